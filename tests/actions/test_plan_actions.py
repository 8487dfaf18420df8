"""The issue-17 actions at plan time: predicted commands with preconditions inserted and
skipped when met, and located problems (``file:line:col``) for wrong arguments."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from runner.domain import commands as c
from runner.domain.plan import Plan
from runner.domain.ship import Ship
from runner.playbook import PlaybookError, load_playbook_text
from runner.playbook.compiler import compile_playbook
from runner.playbook.state_file import build_ship, build_system
from tests.playbook.universe import agent

SYSTEM = build_system({"symbol": "X1-T", "waypoints": [
    {"symbol": "X1-T-HQ", "type": "PLANET", "x": 0, "y": 0,
     "market": {"exchange": ["FUEL"], "exports": ["FAB_MATS"]},
     "shipyard": ["SHIP_MINING_DRONE"]},
    {"symbol": "X1-T-YARD", "type": "ORBITAL_STATION", "x": 60, "y": 0,
     "market": {"exchange": ["FUEL"]}, "shipyard": ["SHIP_PROBE", "SHIP_SIPHON_DRONE"]},
    {"symbol": "X1-T-GAS", "type": "GAS_GIANT", "x": 0, "y": 80},
    {"symbol": "X1-T-GATE", "type": "JUMP_GATE", "x": -90, "y": 0},
    {"symbol": "X1-T-ROCK", "type": "ASTEROID", "x": 0, "y": -50},
]})
FRIGATE = ("MOUNT_MINING_LASER_II", "MOUNT_SURVEYOR_II", "MOUNT_GAS_SIPHON_II",
           "MOUNT_SENSOR_ARRAY_II")


def frigate(at: str = "X1-T-HQ", status: str = "DOCKED",
            inventory: dict[str, int] | None = None) -> Ship:
    return build_ship({"symbol": "T-1", "role": "COMMAND", "at": at, "status": status,
                       "cargo": {"capacity": 40, "inventory": inventory or {}},
                       "mounts": list(FRIGATE)})


def drone(at: str = "X1-T-HQ", status: str = "IN_ORBIT") -> Ship:
    return build_ship({"symbol": "T-3", "role": "EXCAVATOR", "at": at, "status": status,
                       "cargo": {"capacity": 15}})


def plan(steps: str, ship: Ship | None = None, ships: Sequence[Ship] = ()) -> Plan:
    text = "name: t\nship: T-1\nsteps:\n" + steps
    ship = ship or frigate()
    return compile_playbook(load_playbook_text(text, "t.yaml"), SYSTEM, ship, agent(),
                            ships=[ship, *ships])


def problems(steps: str, ship: Ship | None = None, ships: Sequence[Ship] = ()) -> list[str]:
    with pytest.raises(PlaybookError) as caught:
        plan(steps, ship, ships)
    return [f"{p.line}:{p.col}: {p.message}" for p in caught.value.problems]


def test_purchase_ship_flies_to_the_nearest_yard_that_sells_the_type() -> None:
    trace = plan("  - purchase_ship: SHIP_PROBE\n").trace
    assert isinstance(trace[-1], c.PurchaseShip)
    assert trace[-1] == c.PurchaseShip("SHIP_PROBE", "X1-T-YARD")
    assert any(isinstance(x, c.Navigate) and x.destination == "X1-T-YARD" for x in trace)


def test_purchase_ship_at_a_yard_already_there_sends_one_request() -> None:
    trace = plan("  - purchase_ship: SHIP_MINING_DRONE\n").trace
    assert trace == (c.PurchaseShip("SHIP_MINING_DRONE", "X1-T-HQ"),)


def test_transfer_matches_the_other_ships_nav_state() -> None:
    loaded = frigate(inventory={"IRON_ORE": 10})
    trace = plan("  - transfer: {to: {role: EXCAVATOR}, symbol: IRON_ORE}\n", loaded,
                 [drone(status="IN_ORBIT")]).trace
    assert trace == (c.Orbit(), c.Transfer("IRON_ORE", 10, "T-3"))
    docked = plan("  - transfer: {to: T-3, symbol: all}\n", loaded,
                  [drone(status="DOCKED")]).trace
    assert docked == (c.Transfer("IRON_ORE", 10, "T-3"),)  # already docked: skipped


def test_a_transfer_to_a_ship_here_plans_its_wait_and_no_time() -> None:
    """``here: true``: the plan shows the wait for the ship (predicted to take no time) and
    the transfers to it; the nav state to match is the runner's to find."""
    loaded = frigate(inventory={"IRON_ORE": 10, "ICE_WATER": 2})
    planned = plan("  - transfer: {to: {role: HAULER, here: true}, symbol: all, wait: 1h}\n",
                   loaded)
    assert planned.trace == (c.AwaitShip("X1-T-HQ", 12, 3600.0, role="HAULER"),
                             c.Transfer("ICE_WATER", 2), c.Transfer("IRON_ORE", 10))
    assert [x.describe() for x in planned.trace] == [
        "wait for a HAULER ship at X1-T-HQ with room for 12 units (at most 1h)",
        "transfer 2 ICE_WATER to that ship", "transfer 10 IRON_ORE to that ship"]
    assert planned.total_duration_s == 0
    assert planned.requests == 2


def test_wait_until_plans_no_wait() -> None:
    planned = plan("  - wait: {until: \"ship.cargo.units >= ship.cargo.capacity\"}\n")
    assert planned.trace == (c.WaitUntil("ship.cargo.units >= ship.cargo.capacity", 600.0),)
    assert planned.total_duration_s == 0 and planned.requests == 0


@pytest.mark.parametrize(("steps", "message"), [
    ("  - transfer: {to: {role: HAULER, here: true}, symbol: all, wait: soon}\n",
     "4:67: expected a duration: seconds, or text like `30s`, `5m`, `2h`, `1h30m` (how long "
     "`here: true` waits for the ship, default 10m; then the step fails), got `soon`"),
    ("  - transfer: {to: T-3, symbol: all, wait: 5m}\n",
     "4:5: step 1 `transfer`: `wait` needs `to: {role: R, here: true}`"),
    ("  - wait: {until: \"ship.cargo.units >=\"}\n",
     "4:19: expression syntax error: unexpected 'end of template'"),
])
def test_waiting_steps_refuse_bad_arguments(steps: str, message: str) -> None:
    loaded = frigate(inventory={"IRON_ORE": 10})
    found = problems(steps, loaded, [drone()])
    assert len(found) == 1 and found[0].startswith(message), found


def test_supply_defaults_to_the_jump_gate_and_docks_there() -> None:
    trace = plan("  - supply_construction: {symbol: FAB_MATS}\n",
                 frigate(inventory={"FAB_MATS": 12})).trace
    assert trace[-2:] == (c.Dock(), c.SupplyConstruction("FAB_MATS", 12, "X1-T-GATE"))


def test_siphon_scan_chart_refine_expand_with_their_preconditions() -> None:
    trace = plan("  - navigate: X1-T-GAS\n  - siphon\n  - scan: ships\n  - chart\n"
                 "  - refine: {produce: FUEL}\n").trace
    assert trace[-3:] == (c.Siphon(), c.Scan("ships"), c.Refine("FUEL"))  # charted: skipped


def test_extract_with_a_survey_depends_on_the_registered_one() -> None:
    steps = ("  - navigate: X1-T-ROCK\n  - survey:\n    register: s\n"
             "  - extract: {survey: best}\n")
    result = plan(steps)
    notes = [s.note for s in result.steps]
    assert notes[-1] == "depends on a registered result"


LOCATED = [
    ("  - purchase_ship: SHIP_LIGHT_HAULER\n",
     "4:5: step 1 `purchase_ship`: no shipyard in X1-T sells SHIP_LIGHT_HAULER (sold here: "
     "SHIP_MINING_DRONE, SHIP_PROBE, SHIP_SIPHON_DRONE)"),
    ("  - purchase_ship: {type: SHIP_PROBE, at: X1-T-GAS}\n",
     "4:5: step 1 `purchase_ship`: X1-T-GAS has no shipyard"),
    ("  - transfer: {to: {role: HAULER}, symbol: FUEL}\n",
     "4:5: step 1 `transfer`: no ship matches role HAULER (roles: COMMAND, EXCAVATOR)"),
    ("  - transfer: {to: T-3, symbol: FUEL, units: 5}\n",
     "4:5: step 1 `transfer`: cannot transfer 5 FUEL: 0 aboard"),
    ("  - siphon\n",
     "4:5: step 1 `siphon`: X1-T-HQ (PLANET) cannot be siphoned; siphon needs a GAS_GIANT"),
    ("  - navigate: X1-T-ROCK\n  - extract: {survey: \"{{ 3 }}\"}\n",
     "5:5: step 2 `extract`: `survey` must be `best` or a registered survey, got 3"),
]


@pytest.mark.parametrize(("steps", "expected"), LOCATED)
def test_wrong_arguments_are_located(steps: str, expected: str) -> None:
    assert problems(steps, ships=[drone()]) == [expected]


def test_transfer_to_a_ship_elsewhere_is_located() -> None:
    found = problems("  - buy: {symbol: FUEL, units: 1}\n"
                     "  - transfer: {to: T-3, symbol: FUEL}\n", ships=[drone(at="X1-T-GAS")])
    assert found == ["5:5: step 2 `transfer`: T-3 is at X1-T-GAS, T-1 at X1-T-HQ; a transfer "
                     "needs both ships at one waypoint"]


def test_schema_errors_are_located() -> None:
    text = ("name: t\nship: T-1\nsteps:\n  - scan: galaxies\n"
            "  - supply_construction: {symbol: FAB_MATS, units: 0}\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook_text(text, "t.yaml")
    assert [(p.line, p.col) for p in caught.value.problems] == [(4, 11), (5, 52)]


def test_after_a_refine_the_plan_does_not_claim_to_know_the_hold() -> None:
    # 100 ore become 10 metal at run time: the metal is not "none aboard" afterwards
    result = plan("  - refine: IRON\n  - jettison: {symbol: IRON, units: 10}\n",
                  frigate(inventory={"IRON_ORE": 40}))
    assert result.trace == (c.Refine("IRON"), c.Jettison("IRON", 10))
