"""Templating: sandboxed, strict, bare expressions, native values, the known names."""

from __future__ import annotations

import pytest

from runner.playbook import LoopState, StepError, evaluate, render, template_names
from runner.playbook.bounds import bounded
from runner.playbook.template import bare_expression
from tests.playbook.universe import agent, ship


def names(**extra: object) -> dict[str, object]:
    base = template_names(ship(inventory={"IRON_ORE": 3}), agent(), {"belt": "X1-T-B1"},
                          {"sale": {"units": 3}}, LoopState(2, 3, "X1-T-EX"))
    base.update(extra)
    return base


def test_template_names_cover_ship_agent_vars_registered_and_loop() -> None:
    n = names()
    assert evaluate("ship.cargo.units", n) == 3
    assert evaluate("ship.cargo.capacity", n) == 40
    assert evaluate("ship.cargo.free", n) == 37
    assert evaluate("ship.cargo.inventory.IRON_ORE", n) == 3
    assert evaluate("ship.fuel.current", n) == 400
    assert evaluate("ship.nav.waypoint", n) == "X1-T-HQ"
    assert evaluate("ship.nav.status", n) == "DOCKED"
    assert evaluate("ship.can_mine and ship.can_survey", n) is True
    assert evaluate("agent.credits", n) == 100_000
    assert evaluate("agent.headquarters", n) == "X1-T-HQ"
    assert evaluate("belt == vars.belt", n) is True
    assert evaluate("sale.units", n) == 3
    assert evaluate("[loop.index, loop.index0, loop.first, loop.last, loop.item]", n) == \
        [2, 1, False, False, "X1-T-EX"]


def test_render_keeps_native_values_for_a_single_expression() -> None:
    assert render("{{ ship.cargo.free }}", names()) == 37
    assert render("free: {{ ship.cargo.free }}", names()) == "free: 37"
    assert render({"a": ["{{ belt }}", 3, None]}, names()) == {"a": ["X1-T-B1", 3, None]}
    assert render("no template", names()) == "no template"


def test_undefined_names_are_errors_not_empty_strings() -> None:
    with pytest.raises(StepError, match="`nope` is undefined"):
        render("{{ nope }}", names())
    with pytest.raises(StepError, match="`nope` is undefined"):
        render("text {{ nope }}", names())
    with pytest.raises(StepError):
        evaluate("ship.nope.deeper", names())


@pytest.mark.parametrize("expr", [
    "ship.__class__", "().__class__.__bases__[0].__subclasses__()",
    "ship.items.__globals__", "lipsum.__globals__['os']", "cycler.__init__.__globals__",
    "range.__self__",
])
def test_sandbox_blocks_python_internals(expr: str) -> None:
    with pytest.raises(StepError):
        evaluate(expr, names())


def test_no_environment_or_files_reachable() -> None:
    for expr in ("environ", "os", "open", "__import__", "self"):
        with pytest.raises(StepError):
            evaluate(f"{expr}.x", names())


def test_mixed_text_is_refused_where_an_expression_is_expected() -> None:
    with pytest.raises(StepError, match="always true"):
        bare_expression("x {{ ship.fuel.current }}")
    with pytest.raises(StepError, match="always true"):
        evaluate("{{ a }} and {{ b }}", names())
    assert bare_expression("{{ ship.fuel.current < 10 }}") == "ship.fuel.current < 10"
    assert bare_expression(" ship.fuel.current < 10 ") == "ship.fuel.current < 10"


def test_syntax_errors_are_step_errors() -> None:
    with pytest.raises(StepError, match=r"in `ship\.fuel <`"):
        evaluate("ship.fuel <", names())


@pytest.mark.parametrize("expr", [
    "ship.cargo.units", "ship.cargo.units >= ship.cargo.capacity", "1 < 2 < 3", "3 > 2 > 5",
    "agent.credits // 3 + 2 * 5 - 1", "agent.credits / 7", "agent.credits % 7",
    "not ship.can_mine or belt", "belt and 0", "-ship.fuel.current", "+3",
    "'IRON_ORE' in ship.cargo.inventory", "'GOLD' not in ship.cargo.inventory",
    "ship.cargo.inventory['IRON_ORE']", "[1, belt, (2, 3)]", "1 if ship.can_mine else 2",
    "true and True and not false and none is none", "loop.item == 'X1-T-EX'",
    "ship.cargo.inventory.get('X', 4)", "belt ~ '!'", "2 ** 3", "belt | lower",
    "sale is defined", "ship.nav.waypoint[0:2]",
])
def test_tree_interpreter_agrees_with_jinja(expr: str) -> None:
    from runner.playbook.template import _compiled_expression

    with bounded():
        assert evaluate(expr, names()) == _compiled_expression(expr)(**names())


@pytest.mark.parametrize("text", [
    "at {{ ship.nav.waypoint }} with {{ ship.fuel.current }}", "{{ none }} {{ true }}",
    "{% if ship.can_mine %}miner{% endif %}", "{{ belt | upper }}", "plain {{ 1 + 1 }}",
])
def test_template_rendering_agrees_with_jinja(text: str) -> None:
    from runner.playbook.template import _compiled_template

    with bounded():
        assert render(text, names()) == _compiled_template(text).render(**names())


@pytest.mark.parametrize("expr", ["'x' * 10**9", "[1] * 1000000", "2 ** 100000000",
                                  "belt * 1000000"])
def test_templates_cannot_exhaust_memory_or_time(expr: str) -> None:
    with pytest.raises(StepError, match=r"(larger|more) than"):
        evaluate(expr, names())


def test_modest_repetition_and_powers_still_work() -> None:
    assert evaluate("'ab' * 3", names()) == "ababab"
    assert evaluate("2 ** 10", names()) == 1024
