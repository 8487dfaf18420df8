"""The issue-17 actions against the real simulator: each completes, and a lost answer
(``drop-after``: applied, then the socket closed) or a crash between the request and the
checkpoint never makes the simulator's ledger show the state change twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from runner.domain import commands as c
from runner.domain.status import ContainerStatus
from tests.actions.harness import Game, SendsThenCrashes, game, run_playbook
from tests.runtime.harness import Crash

HAND_OVER = """
name: hand-over
ship: {role: COMMAND}
steps:
  - purchase_ship: SHIP_MINING_DRONE
    register: drone
  - buy: {symbol: FUEL, units: 5}
  - transfer: {to: "{{ drone.symbol }}", symbol: FUEL, units: 5}
"""


def drone_of(g: Game) -> str:
    bought = g.accepted("/my/ships")
    assert len(bought) == 1, bought
    ships = g.get("/my/ships")
    drones = [s["symbol"] for s in ships if s["frame"]["symbol"] == "FRAME_DRONE"]
    assert len(drones) == 1, drones
    return str(drones[0])


def assert_handed_over_once(g: Game) -> None:
    assert len(g.accepted("/my/ships")) == 1
    assert len(g.accepted("/transfer")) == 1
    drone = g.ship(drone_of(g))
    assert drone["cargo"]["inventory"] == [
        {"symbol": "FUEL", "name": "Fuel", "description": drone["cargo"]["inventory"][0][
            "description"], "units": 5}]
    assert g.ship()["cargo"]["units"] == 0


def test_purchase_ship_then_transfer_to_it(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        outcome = asyncio.run(run_playbook(g, HAND_OVER))
        assert outcome.status is ContainerStatus.COMPLETED
        assert_handed_over_once(g)
        ship_type = g.accepted("/my/ships")[0]["body"]["shipType"]
        assert ship_type == "SHIP_MINING_DRONE"


@pytest.mark.parametrize("endpoint", ["purchase-ship", "transfer-cargo"])
def test_lost_answers_apply_once(tmp_path: Path, endpoint: str) -> None:
    with game(tmp_path) as g:
        g.faults(f"drop-after:100%:endpoint={endpoint}")
        outcome = asyncio.run(run_playbook(g, HAND_OVER))
        assert outcome.status is ContainerStatus.COMPLETED
        assert_handed_over_once(g)


@pytest.mark.parametrize("kind", [c.PurchaseShip, c.Transfer])
def test_crash_after_the_request_resumes_without_repeating(tmp_path: Path, kind: type) -> None:
    with game(tmp_path) as g:
        with pytest.raises(Crash):
            asyncio.run(run_playbook(g, HAND_OVER,
                                     wrap_api=lambda api: SendsThenCrashes(api, kind)))
        outcome = asyncio.run(run_playbook(g, HAND_OVER))
        # the registered ship symbol was only in the lost answer: it is rebuilt on resume
        assert outcome.status is ContainerStatus.COMPLETED
        assert_handed_over_once(g)
        lines = [r.message for r in g.world.store.logs("c1")]
        assert any("had been applied before the restart" in m for m in lines), lines


def test_transfer_to_a_ship_elsewhere_fails_clearly(tmp_path: Path) -> None:
    text = """
name: far
ship: {role: COMMAND}
steps:
  - buy: {symbol: FUEL, units: 1}
  - navigate: {nearest: {type: GAS_GIANT}}
  - transfer: {to: {role: SATELLITE}, symbol: FUEL}
"""
    with game(tmp_path) as g:
        outcome = asyncio.run(run_playbook(g, text))
        assert outcome.status is ContainerStatus.FAILED
        assert g.accepted("/transfer") == []
        lines = [r.message for r in g.world.store.logs("c1")]
        assert any("a transfer needs both ships at one waypoint" in m for m in lines), lines


SUPPLY = """
name: supply
ship: {role: COMMAND}
steps:
  - buy: {symbol: FAB_MATS, units: 10}
  - supply_construction: {symbol: FAB_MATS, units: all}
    register: site
  - log: "site {{ site.materials.FAB_MATS.fulfilled }}"
"""


@pytest.mark.parametrize("fault", [None, "drop-after:100%:endpoint=supply-construction"])
def test_supply_the_gate_once(tmp_path: Path, fault: str | None) -> None:
    with game(tmp_path) as g:
        if fault:
            g.faults(fault)
        outcome = asyncio.run(run_playbook(g, SUPPLY))
        assert outcome.status is ContainerStatus.COMPLETED
        supplied = g.accepted("/construction/supply")
        assert [e["body"]["units"] for e in supplied] == [10]
        gate = supplied[0]["path"].split("/")[-3]
        system = gate.rsplit("-", 1)[0]
        site = g.get(f"/systems/{system}/waypoints/{gate}/construction")
        fab = next(m for m in site["materials"] if m["tradeSymbol"] == "FAB_MATS")
        assert fab["fulfilled"] == 10
        lines = [r.message for r in g.world.store.logs("c1")]
        assert "site 10" in lines, lines  # registered also when the answer was lost


def test_supply_crash_after_the_request_resumes_without_repeating(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        with pytest.raises(Crash):
            asyncio.run(run_playbook(g, SUPPLY, wrap_api=lambda api: SendsThenCrashes(
                api, c.SupplyConstruction)))
        outcome = asyncio.run(run_playbook(g, SUPPLY))
        assert outcome.status is ContainerStatus.COMPLETED
        assert len(g.accepted("/construction/supply")) == 1


SIPHON = """
name: gas
ship: {role: COMMAND}
steps:
  - navigate: {nearest: {type: GAS_GIANT}}
  - siphon:
    register: gas
  - log: "siphoned {{ gas.units }} {{ gas.symbol }}"
"""


@pytest.mark.parametrize("fault", [None, "drop-after:100%:endpoint=siphon-resources"])
def test_siphon_once(tmp_path: Path, fault: str | None) -> None:
    with game(tmp_path) as g:
        if fault:
            g.faults(fault)
        outcome = asyncio.run(run_playbook(g, SIPHON))
        assert outcome.status is ContainerStatus.COMPLETED
        assert len(g.accepted("/siphon")) == 1
        assert g.ship()["cargo"]["units"] > 0


SURVEYED = """
name: surveyed
ship: {role: COMMAND}
steps:
  - navigate: {nearest: {type: ENGINEERED_ASTEROID}}
  - survey:
    register: surveys
  - extract: {survey: best}
"""


@pytest.mark.parametrize("fault", [None, "drop-after:100%:endpoint=extract-survey"])
def test_extract_with_the_best_survey_once(tmp_path: Path, fault: str | None) -> None:
    with game(tmp_path) as g:
        if fault:
            g.faults(fault)
        outcome = asyncio.run(run_playbook(g, SURVEYED))
        assert outcome.status is ContainerStatus.COMPLETED
        used = g.accepted("/extract/survey")
        assert len(used) == 1
        assert g.accepted("/extract") == []  # no plain extraction
        assert used[0]["body"]["signature"]
        assert g.ship()["cargo"]["units"] > 0


SCAN = """
name: scan
ship: {role: COMMAND}
steps:
  - scan: waypoints
    register: found
  - log: "{{ found | length }} waypoints"
"""


@pytest.mark.parametrize("fault", [None, "drop-after:100%:endpoint=create-ship-waypoint-scan"])
def test_scan_once(tmp_path: Path, fault: str | None) -> None:
    # A scan shows only in the reactor's cooldown: the re-read after a lost answer must come
    # before it ends (80 game seconds; at speed 20, 4 wall seconds).
    with game(tmp_path, speed=20.0) as g:
        if fault:
            g.faults(fault)
        outcome = asyncio.run(run_playbook(g, SCAN))
        assert outcome.status is ContainerStatus.COMPLETED
        assert len(g.accepted("/scan/waypoints")) == 1


REFINE = """
name: refine
ship: {role: COMMAND}
steps:
  - refine: {produce: IRON}
    register: metal
"""


def give_refinery(g: Game) -> None:
    """Test-only: fit a refinery and load ore directly in the simulator's state."""
    from runner.sim.catalog import MODULES

    ship = g.sim_state().world.ships[g.world.ship]
    ship.template["modules"].append(dict(MODULES["MODULE_ORE_REFINERY_I"]))
    g.world.control("PATCH", f"/ships/{g.world.ship}", {"cargo": {"IRON_ORE": 40}})
    ship.cargo["IRON_ORE"] = 100  # the hold is 40; the refinery needs 100 (test only)


@pytest.mark.parametrize("fault", [None, "drop-after:100%:endpoint=ship-refine"])
def test_refine_once(tmp_path: Path, fault: str | None) -> None:
    with game(tmp_path) as g:
        give_refinery(g)
        if fault:
            g.faults(fault)
        outcome = asyncio.run(run_playbook(g, REFINE))
        assert outcome.status is ContainerStatus.COMPLETED
        assert len(g.accepted("/refine")) == 1
        cargo = {i["symbol"]: i["units"] for i in g.ship()["cargo"]["inventory"]}
        assert cargo.get("IRON") == 10 and "IRON_ORE" not in cargo


def test_refine_without_a_refinery_fails_with_the_servers_reason(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        outcome = asyncio.run(run_playbook(g, REFINE))
        assert outcome.status is ContainerStatus.FAILED
        lines = [r.message for r in g.world.store.logs("c1")]
        assert any("4239" in m for m in lines), lines


CHART = """
name: chart
ship: {role: COMMAND}
steps:
  - chart:
    register: chart
"""


def uncharted_waypoint(g: Game) -> str:
    """Test-only: erase the chart of a waypoint of the agent's system in the simulator."""
    uni = g.sim_state().world.universe
    system = g.world.hq.rsplit("-", 1)[0]
    waypoint = next(w for w in uni.waypoints.values()
                    if w.system == system and w.symbol != g.world.hq)
    waypoint.chart = None
    return str(waypoint.symbol)


@pytest.mark.parametrize("fault", [None, "drop-after:100%:endpoint=create-chart"])
def test_chart_once(tmp_path: Path, fault: str | None) -> None:
    with game(tmp_path) as g:
        target = uncharted_waypoint(g)
        g.world.control("PATCH", f"/ships/{g.world.ship}", {"waypoint": target})
        if fault:
            g.faults(fault)
        outcome = asyncio.run(run_playbook(g, CHART))
        assert outcome.status is ContainerStatus.COMPLETED
        assert len(g.accepted("/chart")) == 1
        assert g.sim_state().world.universe.waypoints[target].charted


def test_chart_a_charted_waypoint_sends_nothing(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        outcome = asyncio.run(run_playbook(g, CHART))
        assert outcome.status is ContainerStatus.COMPLETED
        assert g.accepted("/chart") == []


@pytest.mark.parametrize(("text", "kind", "suffix"), [
    (SIPHON, c.Siphon, "/siphon"), (SURVEYED, c.Extract, "/extract/survey"),
    (CHART, c.Chart, "/chart"), (REFINE, c.Refine, "/refine")])
def test_crash_between_request_and_checkpoint_never_repeats(
        tmp_path: Path, text: str, kind: type, suffix: str) -> None:
    with game(tmp_path) as g:
        if kind is c.Chart:
            g.world.control("PATCH", f"/ships/{g.world.ship}",
                            {"waypoint": uncharted_waypoint(g)})
        if kind is c.Refine:
            give_refinery(g)
        with pytest.raises(Crash):
            asyncio.run(run_playbook(g, text, wrap_api=lambda api: SendsThenCrashes(api, kind)))
        outcome = asyncio.run(run_playbook(g, text))
        assert outcome.status is ContainerStatus.COMPLETED
        assert len(g.accepted(suffix)) == 1, g.accepted(suffix)


REFIT = """
name: refit
ship: {role: COMMAND}
steps:
  - remove_mount: MOUNT_SURVEYOR_II
  - install_mount: MOUNT_SURVEYOR_II
  - remove_module: MODULE_GAS_PROCESSOR_I
  - install_module: {symbol: MODULE_GAS_PROCESSOR_I}
  - repair:
    register: repair
  - log: "repaired for {{ repair.price }}"
"""
REFIT_PATHS = ("/mounts/remove", "/mounts/install", "/modules/remove", "/modules/install",
               "/repair")


def assert_refitted_once(g: Game) -> None:
    for suffix in REFIT_PATHS:
        assert len(g.accepted(suffix)) == 1, (suffix, g.accepted(suffix))
    ship = g.ship()
    assert "MOUNT_SURVEYOR_II" in {m["symbol"] for m in ship["mounts"]}
    assert "MODULE_GAS_PROCESSOR_I" in {m["symbol"] for m in ship["modules"]}
    assert ship["cargo"]["units"] == 0


@pytest.mark.parametrize("fault", [None, "drop-after:100%:endpoint=remove-mount",
                                   "drop-after:100%:endpoint=install-mount",
                                   "drop-after:100%:endpoint=remove-ship-module",
                                   "drop-after:100%:endpoint=install-ship-module"])
def test_refit_and_repair_once(tmp_path: Path, fault: str | None) -> None:
    with game(tmp_path) as g:
        if fault:
            g.faults(fault)
        outcome = asyncio.run(run_playbook(g, REFIT))
        assert outcome.status is ContainerStatus.COMPLETED
        assert_refitted_once(g)


@pytest.mark.parametrize("kind", [c.RemoveMount, c.InstallMount, c.RemoveModule,
                                  c.InstallModule])
def test_refit_crash_after_the_request_resumes_without_repeating(tmp_path: Path,
                                                                   kind: type) -> None:
    with game(tmp_path) as g:
        with pytest.raises(Crash):
            asyncio.run(run_playbook(g, REFIT, wrap_api=lambda api: SendsThenCrashes(api, kind)))
        outcome = asyncio.run(run_playbook(g, REFIT))
        assert outcome.status is ContainerStatus.COMPLETED
        assert_refitted_once(g)


SCRAP = """
name: scrap
ship: {role: COMMAND}
steps:
  - scrap:
    register: paid
  - log: "never: the ship is gone"
"""


@pytest.mark.parametrize("fault", [None, "drop-after:100%:endpoint=scrap-ship"])
def test_scrap_once_and_the_playbook_ends(tmp_path: Path, fault: str | None) -> None:
    with game(tmp_path) as g:
        if fault:
            g.faults(fault)
        outcome = asyncio.run(run_playbook(g, SCRAP))
        assert outcome.status is ContainerStatus.COMPLETED, outcome.error
        assert len(g.accepted("/scrap")) == 1
        lines = [r.message for r in g.world.store.logs("c1")]
        assert not any(m.startswith("never") for m in lines), lines
        assert any("was scrapped: the playbook ends here" in m for m in lines), lines


def test_scrap_crash_after_the_request_resumes_without_repeating(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        with pytest.raises(Crash):
            asyncio.run(run_playbook(g, SCRAP,
                                     wrap_api=lambda api: SendsThenCrashes(api, c.Scrap)))
        outcome = asyncio.run(run_playbook(g, SCRAP))
        assert outcome.status is ContainerStatus.COMPLETED, outcome.error
        assert len(g.accepted("/scrap")) == 1
        lines = [r.message for r in g.world.store.logs("c1")]
        assert any("had been scrapped before the restart" in m for m in lines), lines
