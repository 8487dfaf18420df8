"""Every action's expansion: commands, inserted preconditions, skipped ones, refusals."""

from __future__ import annotations

import json

import pytest

from runner.domain.commands import (
    AcceptContract,
    Deliver,
    Dock,
    Extract,
    ExtractWithSurvey,
    FulfillContract,
    Jettison,
    Log,
    Navigate,
    NegotiateContract,
    Orbit,
    Purchase,
    Refine,
    Refuel,
    Scan,
    ScanMarket,
    Sell,
    SetFlightMode,
    SupplyConstruction,
    Survey,
    Wait,
)
from runner.domain.ship import FlightMode
from runner.playbook import LoopState, StepError, expand_step
from tests.playbook.helpers import ctx, one_step
from tests.playbook.universe import ship

BURN, CRUISE, DRIFT = FlightMode.BURN, FlightMode.CRUISE, FlightMode.DRIFT


def expand(step_yaml: str, the_ship=None, **kw):  # type: ignore[no-untyped-def]
    step = one_step(step_yaml, kw.get("vars"), kw.pop("index", 0))
    return expand_step(step, ctx(the_ship, **kw))


# -- navigate -----------------------------------------------------------------------------

def test_navigate_from_docked_orbits_sets_mode_and_flies() -> None:
    assert expand("- navigate: X1-T-B1") == [
        Orbit(), SetFlightMode(BURN), Navigate("X1-T-B1", BURN, 100.0, 200, 50)]


def test_navigate_in_orbit_with_mode_already_set_sends_only_the_hop() -> None:
    assert expand("- navigate: X1-T-B1", ship(status="IN_ORBIT", mode="BURN")) == [
        Navigate("X1-T-B1", BURN, 100.0, 200, 50)]


def test_navigate_to_where_the_ship_is_does_nothing() -> None:
    assert expand("- navigate: X1-T-HQ") == []
    assert expand("- navigate: headquarters") == []


def test_navigate_with_forced_mode_uses_it_on_every_hop() -> None:
    commands = expand("- navigate: {to: X1-T-B1, mode: DRIFT}")
    assert [c for c in commands if isinstance(c, Navigate)] == [
        Navigate("X1-T-B1", DRIFT, 100.0, 1, 709)]
    assert SetFlightMode(DRIFT) in commands


def test_navigate_inserts_dock_and_refuel_where_the_route_buys_fuel() -> None:
    commands = expand("- navigate: X1-T-FS", ship(at="X1-T-EX", status="IN_ORBIT",
                                                  fuel=(100, 400)))
    first_nav = next(i for i, c in enumerate(commands) if isinstance(c, Navigate))
    assert commands[:2] == [Dock(), Refuel(units=300)]
    assert Orbit() in commands[2:first_nav]


def test_navigate_resolves_nearest_selector_from_the_ship_position() -> None:
    commands = expand("- navigate: {nearest: {type: ASTEROID}}", ship(at="X1-T-EX"))
    assert [c.destination for c in commands if isinstance(c, Navigate)] == ["X1-T-B1"]


def test_navigate_to_an_unknown_waypoint_names_it() -> None:
    with pytest.raises(StepError, match=r"waypoint `X1-T-B9` is not in system X1-T; "
                                        r"did you mean `X1-T-B[12]`\?"):
        expand("- navigate: X1-T-B9")


def test_navigate_that_cannot_be_fuelled_is_refused_before_flying() -> None:
    stranded = ship(at="X1-T-FAR", status="IN_ORBIT", fuel=(0, 400))
    with pytest.raises(StepError, match="no route"):
        expand("- navigate: X1-T-HQ", stranded)


def test_navigate_renders_templates_from_vars() -> None:
    commands = expand('- navigate: "{{ belt }}"', vars={"belt": "X1-T-B1"})
    assert commands[-1] == Navigate("X1-T-B1", BURN, 100.0, 200, 50)


def test_in_transit_ship_is_treated_as_arrived_in_orbit() -> None:
    assert expand("- orbit", ship(at="X1-T-B1", status="IN_TRANSIT")) == []
    assert expand("- dock", ship(at="X1-T-B1", status="IN_TRANSIT")) == [Dock()]


# -- dock, orbit, flight_mode, wait, log ------------------------------------------------------

def test_dock_and_orbit_only_when_needed() -> None:
    assert expand("- dock") == []
    assert expand("- orbit") == [Orbit()]
    assert expand("- dock", ship(status="IN_ORBIT")) == [Dock()]
    assert expand("- orbit", ship(status="IN_ORBIT")) == []


def test_flight_mode_set_or_skipped() -> None:
    assert expand("- flight_mode: DRIFT") == [SetFlightMode(DRIFT)]
    assert expand("- flight_mode: {mode: CRUISE}") == []


@pytest.mark.parametrize(("value", "seconds"), [
    ("30", 30.0), ("30s", 30.0), ("5m", 300.0), ("2h", 7200.0), ("1h30m", 5400.0),
    ("250ms", 0.25), ("1.5", 1.5)])
def test_wait_durations(value: str, seconds: float) -> None:
    assert expand(f"- wait: {value}") == [Wait(seconds)]


def test_wait_from_a_template() -> None:
    assert expand('- wait: "{{ pause }}"', vars={"pause": "2m"}) == [Wait(120.0)]
    with pytest.raises(StepError, match="not a duration"):
        expand('- wait: "{{ pause }}"', vars={"pause": "soon"})


def test_log_renders_the_message() -> None:
    assert expand('- log: "fuel {{ ship.fuel.current }}/{{ ship.fuel.capacity }}"') == [
        Log("fuel 400/400", "info")]
    assert expand("- log: {message: careful, level: warning}") == [Log("careful", "warning")]


# -- refuel ----------------------------------------------------------------------------------

def test_refuel_fills_the_tank_docking_first() -> None:
    assert expand("- refuel", ship(status="IN_ORBIT", fuel=(100, 400))) == [Dock(), Refuel()]


def test_refuel_with_a_full_tank_or_no_tank_does_nothing() -> None:
    assert expand("- refuel", ship(status="IN_ORBIT")) == []
    assert expand("- refuel", ship(fuel=(0, 0))) == []


def test_refuel_units_are_capped_at_the_room_in_the_tank() -> None:
    assert expand("- refuel: {units: 500}", ship(fuel=(250, 400))) == [Refuel(units=150)]
    assert expand("- refuel: {units: 100, from_cargo: true}", ship(fuel=(0, 400))) == [
        Refuel(units=100, from_cargo=True)]


def test_refuel_where_there_is_no_market_or_no_fuel() -> None:
    with pytest.raises(StepError, match="X1-T-B1 has no marketplace"):
        expand("- refuel", ship(at="X1-T-B1", fuel=(0, 400)))


# -- extract, survey -------------------------------------------------------------------------

def test_extract_orbits_first() -> None:
    assert expand("- extract", ship(at="X1-T-B1")) == [Orbit(), Extract()]
    assert expand("- extract", ship(at="X1-T-B1", status="IN_ORBIT")) == [Extract()]


def test_extract_needs_a_mining_laser_room_and_an_asteroid() -> None:
    with pytest.raises(StepError, match="has no mining laser"):
        expand("- extract", ship(at="X1-T-B1", mounts=()))
    with pytest.raises(StepError, match="cargo hold is full"):
        expand("- extract", ship(at="X1-T-B1", capacity=10, inventory={"IRON_ORE": 10}))
    with pytest.raises(StepError, match=r"X1-T-HQ \(PLANET\) cannot be mined; extract needs "
                                        "one of ASTEROID, ASTEROID_FIELD, ENGINEERED_ASTEROID"):
        expand("- extract")


def test_survey_needs_a_surveyor() -> None:
    assert expand("- survey", ship(at="X1-T-B1")) == [Orbit(), Survey()]
    with pytest.raises(StepError, match="has no surveyor"):
        expand("- survey", ship(mounts=("MOUNT_MINING_LASER_I",)))


# -- buy, sell, jettison, deliver ------------------------------------------------------------

def test_buy_docks_and_splits_by_trade_volume() -> None:
    assert expand("- buy: {symbol: FOOD, units: 25}", ship(status="IN_ORBIT")) == [
        Dock(), Purchase("FOOD", 10), Purchase("FOOD", 10), Purchase("FOOD", 5)]


def test_buy_refusals() -> None:
    with pytest.raises(StepError, match="do not fit: 5 free"):
        expand("- buy: {symbol: FOOD, units: 6}", ship(capacity=10, inventory={"X": 5}))
    with pytest.raises(StepError, match="does not sell IRON_ORE"):
        expand("- buy: {symbol: IRON_ORE, units: 1}")
    with pytest.raises(StepError, match="has no cargo hold"):
        expand("- buy: {symbol: FOOD, units: 1}", ship(capacity=0))


def test_buy_units_from_a_template_are_numbers() -> None:
    assert expand('- buy: {symbol: FOOD, units: "{{ ship.cargo.free // 8 }}"}') == [
        Purchase("FOOD", 5)]
    with pytest.raises(StepError, match="`units` must be a whole number"):
        expand('- buy: {symbol: FOOD, units: "{{ ship.symbol }}"}')


def test_sell_all_sells_each_good_the_market_buys_split_by_volume() -> None:
    full = ship(at="X1-T-EX", status="IN_ORBIT",
                inventory={"IRON_ORE": 32, "ICE_WATER": 3, "QUARTZ_SAND": 5})
    assert expand("- sell: all", full) == [
        Dock(), Sell("ICE_WATER", 3), Sell("IRON_ORE", 15), Sell("IRON_ORE", 15),
        Sell("IRON_ORE", 2)]


def test_sell_one_symbol_or_some_units() -> None:
    loaded = ship(at="X1-T-EX", inventory={"IRON_ORE": 12})
    assert expand("- sell: IRON_ORE", loaded) == [Sell("IRON_ORE", 12)]
    assert expand("- sell: {symbol: IRON_ORE, units: 4}", loaded) == [Sell("IRON_ORE", 4)]
    with pytest.raises(StepError, match="cannot sell 20 IRON_ORE: 12 aboard"):
        expand("- sell: {symbol: IRON_ORE, units: 20}", loaded)
    with pytest.raises(StepError, match="does not buy FOOD"):
        expand("- sell: FOOD", loaded)


def test_sell_with_nothing_aboard_does_nothing() -> None:
    assert expand("- sell: all", ship(status="IN_ORBIT")) == []


def test_jettison_and_deliver() -> None:
    loaded = ship(status="IN_ORBIT", inventory={"IRON_ORE": 7})
    assert expand("- jettison: IRON_ORE", loaded) == [Jettison("IRON_ORE", 7)]
    assert expand("- jettison: {symbol: IRON_ORE, units: 50}", loaded) == [
        Jettison("IRON_ORE", 7)]
    assert expand("- jettison: GOLD", loaded) == []
    assert expand("- deliver: IRON_ORE", loaded) == [Dock(), Deliver(None, "IRON_ORE", 7)]
    assert expand("- deliver: {symbol: IRON_ORE, units: 2, contract: c-1}", loaded) == [
        Dock(), Deliver("c-1", "IRON_ORE", 2)]
    assert expand("- deliver: GOLD", loaded) == []


# -- contracts, market -------------------------------------------------------------------------

def test_contract_actions() -> None:
    assert expand("- negotiate_contract", ship(status="IN_ORBIT")) == [
        Dock(), NegotiateContract()]
    assert expand("- accept_contract") == [AcceptContract(None)]
    assert expand("- accept_contract: c-9") == [AcceptContract("c-9")]
    two = '- negotiate_contract:\n  register: offer\n- fulfill_contract: {id: "{{ offer.id }}"}'
    assert expand(two, index=1, registered={"offer": {"id": "c-7"}}) == [FulfillContract("c-7")]


def test_scan_market_here_or_refused_where_there_is_none() -> None:
    assert expand("- scan_market") == [ScanMarket("X1-T-HQ")]
    with pytest.raises(StepError, match="has no marketplace"):
        expand("- scan_market", ship(at="X1-T-B1"))


# -- repeat and tour ---------------------------------------------------------------------------

def test_repeat_has_no_commands_of_its_own() -> None:
    with pytest.raises(StepError, match="run its steps"):
        expand("- repeat: {times: 2, steps: [dock]}")


def test_tour_expands_to_the_flight_to_the_current_stop() -> None:
    step = one_step("- tour: {visit: [X1-T-B1, X1-T-EX], steps: [scan_market]}")
    assert expand_step(step, ctx(loop=LoopState(1, 2, "X1-T-B1")))[-1] == \
        Navigate("X1-T-B1", BURN, 100.0, 200, 50)
    with pytest.raises(StepError, match="once per stop"):
        expand_step(step, ctx())


def test_navigate_never_lands_with_an_empty_tank_where_no_fuel_is_sold() -> None:
    from runner.playbook.simulate import apply_command

    start = ship(at="X1-T-EX", status="IN_ORBIT", fuel=(0, 400))
    state = start
    for command in expand("- navigate: X1-T-B2", start):
        state = apply_command(state, command)
    assert state.nav.waypoint == "X1-T-B2"
    assert state.fuel.current >= 1


def test_extract_is_refused_at_an_asteroid_base() -> None:
    with pytest.raises(StepError, match=r"X1-T-EX \(ASTEROID_BASE\) cannot be mined"):
        expand("- extract", ship(at="X1-T-EX"))


# -- issue 17: fleet actions (their runs and plans: tests/actions) -----------------------------

def test_purchase_ship_without_a_shipyard_in_the_system_is_refused() -> None:
    with pytest.raises(StepError, match="no shipyard in X1-T sells SHIP_PROBE"):
        expand("- purchase_ship: SHIP_PROBE")


def test_transfer_names_a_ship_of_the_fleet() -> None:
    with pytest.raises(StepError, match="no ship matches symbol T-9"):
        expand("- transfer: {to: T-9, symbol: all}")


def test_supply_construction_needs_a_gate_or_a_site() -> None:
    with pytest.raises(StepError, match="has no jump gate; say where with `at`"):
        expand("- supply_construction: {symbol: FOOD, units: 2}",
               ship(inventory={"FOOD": 2}))
    assert expand("- supply_construction: {symbol: FOOD, at: X1-T-M}",
                  ship(inventory={"FOOD": 2}))[-1] == SupplyConstruction("FOOD", 2, "X1-T-M")
    assert expand("- supply_construction: {symbol: FOOD}") == []  # none aboard


def test_siphon_needs_a_siphon_and_a_gas_giant() -> None:
    with pytest.raises(StepError, match="has no gas siphon"):
        expand("- siphon")
    with pytest.raises(StepError, match=r"X1-T-HQ \(PLANET\) cannot be siphoned"):
        expand("- siphon", ship(mounts=("MOUNT_GAS_SIPHON_II",)))


def test_refine_sends_one_refine() -> None:
    assert expand("- refine: {produce: IRON}") == [Refine("IRON")]


def test_chart_of_a_charted_waypoint_does_nothing() -> None:
    assert expand("- chart") == []


def test_scan_orbits_first_and_needs_a_sensor_array() -> None:
    with pytest.raises(StepError, match="has no sensor array"):
        expand("- scan: ships")
    assert expand("- scan: ships", ship(mounts=("MOUNT_SENSOR_ARRAY_II",))) == [
        Orbit(), Scan("ships")]


def test_extract_with_the_best_registered_survey() -> None:
    small = {"signature": "S-1", "symbol": "X1-T-B1", "deposits": [{"symbol": "IRON_ORE"}],
             "size": "SMALL", "expiration": "2030-01-01T00:00:00Z"}
    large = {**small, "signature": "S-2", "size": "LARGE"}
    elsewhere = {**large, "signature": "S-3", "symbol": "X1-T-B2"}
    commands = expand("- extract: {survey: best}", ship("X1-T-B1", status="IN_ORBIT"),
                      registered={"s": [small, large, elsewhere]})
    assert commands == [ExtractWithSurvey(json.dumps(large, sort_keys=True))]


def test_refits_need_a_shipyard_and_the_part() -> None:
    with pytest.raises(StepError, match="X1-T-HQ has no shipyard"):
        expand("- repair")
    with pytest.raises(StepError, match="MOUNT_SURVEYOR_II is not in T-1's hold"):
        expand("- install_mount: MOUNT_SURVEYOR_II")
    with pytest.raises(StepError, match="T-1 has no MOUNT_GAS_SIPHON_I mounted"):
        expand("- remove_mount: MOUNT_GAS_SIPHON_I")
    with pytest.raises(StepError, match="MOUNT_X is not a module"):
        expand("- install_module: MOUNT_X")
    with pytest.raises(StepError, match="MODULE_CARGO_HOLD_I is not in T-1's hold"):
        expand("- install_module: {symbol: MODULE_CARGO_HOLD_I}")
    with pytest.raises(StepError, match="X1-T-HQ has no shipyard"):
        expand("- remove_module: MODULE_CARGO_HOLD_I")
    with pytest.raises(StepError, match="X1-T-HQ has no shipyard"):
        expand("- scrap")
