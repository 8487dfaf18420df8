"""Every step keyword, parsed once from the one table, and the run-time loop decisions."""

from __future__ import annotations

import pytest

from runner.playbook import (
    LoopState,
    PlaybookError,
    StepError,
    evaluate,
    load_playbook_text,
    loop_items,
)
from runner.playbook.keywords import STEP_KEYWORDS, parse_duration
from tests.playbook.helpers import ctx, one_step
from tests.playbook.universe import ship


def test_the_keyword_table_lists_the_issue_keywords() -> None:
    assert [k.name for k in STEP_KEYWORDS] == [
        "name", "when", "retries", "delay", "until", "timeout", "register", "ignore_errors"]


def test_every_keyword_is_parsed_onto_the_step() -> None:
    step = one_step("""
- dock:
  name: dock up
  when: ship.fuel.current < 500
  retries: 3
  delay: 1m
  until: ship.nav.status == "DOCKED"
  timeout: 2h
  register: docking
  ignore_errors: true
""")
    assert (step.name, step.when, step.retries, step.delay, step.until, step.timeout,
            step.register, step.ignore_errors) == (
        "dock up", "ship.fuel.current < 500", 3, 60.0, 'ship.nav.status == "DOCKED"', 7200.0,
        "docking", True)
    assert step.title == "dock up"


def test_keyword_defaults() -> None:
    step = one_step("- dock")
    assert (step.name, step.when, step.retries, step.delay, step.until, step.timeout,
            step.register, step.ignore_errors) == (None, None, 0, 5.0, None, None, None, False)
    assert step.title == "dock"


def test_when_accepts_booleans_and_an_exact_template() -> None:
    assert one_step("- dock:\n  when: false").when == "false"
    assert one_step('- dock:\n  when: "{{ ship.fuel.current > 1 }}"').when == \
        "ship.fuel.current > 1"


# What the keywords *do* (when skips, until retries, repeat loops) is the interpreter's:
# tests/interpreter. Here: the expressions they hold, evaluated on live state.

def test_when_is_evaluated_on_live_state() -> None:
    step = one_step("- refuel:\n  when: ship.fuel.current < 100")
    assert step.when is not None
    assert not evaluate(step.when, ctx().names())
    assert evaluate(step.when, ctx(ship(fuel=(50, 400))).names())
    assert one_step("- dock").when is None


def test_until_is_evaluated_after_the_attempt() -> None:
    step = one_step("- extract:\n  retries: 3\n  until: ship.cargo.units > 0")
    assert step.until is not None
    assert not evaluate(step.until, ctx().names())
    assert evaluate(step.until, ctx(ship(inventory={"ICE_WATER": 1})).names())


def test_repeat_times_until_forever() -> None:
    times = one_step("- repeat: {times: 2, steps: [dock]}")
    assert list(loop_items(times, ctx()) or []) == [1, 2]
    until = one_step("- repeat: {until: ship.cargo.free == 0, steps: [extract]}")
    assert not evaluate(until.args["until"], ctx().names())
    assert evaluate(until.args["until"], ctx(ship(capacity=2, inventory={"X": 2})).names())
    assert loop_items(until, ctx()) is None
    forever = one_step("- repeat: {forever: true, steps: [dock]}")
    assert loop_items(forever, ctx()) is None


def test_repeat_times_from_a_template() -> None:
    step = one_step('- repeat: {times: "{{ n }}", steps: [dock]}', vars={"n": 3})
    assert list(loop_items(step, ctx(vars={"n": 3})) or []) == [1, 2, 3]


def test_loop_names_inside_repeat() -> None:
    book = load_playbook_text(
        'ship: A\nsteps:\n  - repeat:\n      times: 2\n      steps:\n'
        '        - log: "{{ loop.index }} of {{ loop.length }} first={{ loop.first }}"\n')
    child = book.steps[0].children[0]
    from runner.playbook import expand_step

    assert expand_step(child, ctx(loop=LoopState(1, 2, 1)))[0].message == "1 of 2 first=True"
    assert child.path == (0, 0) and child.label == "1.1"


def test_tour_stops_resolve_selectors_dedupe_and_keep_written_order_when_asked() -> None:
    step = one_step("- tour:\n    visit: [X1-T-EX, headquarters, X1-T-EX, "
                    "{nearest: {type: FUEL_STATION}}]\n    order: as_written")
    assert loop_items(step, ctx()) == ["X1-T-EX", "X1-T-HQ", "X1-T-FS"]


def test_tour_all_matching_with_a_limit_nearest_first() -> None:
    step = one_step("- tour:\n    visit: {all: {traits: [MARKETPLACE], not_here: true}, "
                    "limit: 2}\n    order: as_written")
    assert loop_items(step, ctx()) == ["X1-T-EX", "X1-T-FS"]


@pytest.mark.parametrize(("text", "seconds"), [
    (0, 0.0), (12, 12.0), (1.5, 1.5), ("45", 45.0), ("45s", 45.0), ("3m", 180.0),
    ("1h", 3600.0), ("1d", 86400.0), ("1h 30m", 5400.0), ("100ms", 0.1)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "soon", "-5s", "5 parsecs", True, -1])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_expressions_that_fail_at_run_time_are_step_errors() -> None:
    step = one_step("- dock:\n  when: ship.fuel.current / 0 > 1")
    assert step.when is not None
    with pytest.raises(StepError, match="ZeroDivisionError"):
        evaluate(step.when, ctx().names())


def test_register_names_are_known_to_later_templates_anywhere() -> None:
    book = load_playbook_text(
        'ship: A\nsteps:\n  - log: "{{ sale }}"\n    when: sale is defined\n'
        '  - sell: all\n    register: sale\n')
    assert book.registered_names() == {"sale"}


def test_until_in_repeat_must_be_a_bare_expression() -> None:
    with pytest.raises(PlaybookError, match="must be bare"):
        load_playbook_text('ship: A\nsteps:\n  - repeat:\n      until: "full {{ x }}"\n'
                           '      steps: [extract]\n')
