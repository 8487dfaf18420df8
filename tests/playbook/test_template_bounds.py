"""Every template and expression evaluation is bounded: work, value size, output, time.

The payloads of issue 21 (a 1 GB ``%`` line, a 10 GB string built in a ``for``, a nested list
turned to text, a power tower in a ``when``) and one per rule of the bounded sandbox each fail
at once with a bound's message; legal templates near the bounds still work; a template whose
value cannot change is checked by ``validate``, with its location.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from runner.playbook import PlaybookError, StepError, evaluate, render
from runner.playbook.bounds import MAX_STEPS, Budget, bounded, current
from runner.playbook.model import load_playbook
from tests.playbook.test_template import names

BOUND = r"(larger than|more than|longer than|may not call)"  # the bounds' words

ISSUE_PAYLOADS = {
    "1 GB %-formatted line": "{{ '%0999999999d' % ship.fuel.current }}",
    "1 GB %-line, width from a name": "{{ '%*d' % (ship.fuel.current * 2500000, 1) }}",
    "10 GB string in a for": "{% for i in range(100000) %}{{ belt * 100000 }}{% endfor %}",
    "10 GB string kept in a set block":
        "{% set s %}{% for i in range(100000) %}{{ belt * 14000 }}{% endfor %}{% endset %}x",
    "nested list turned to text":
        "{% set a = range(99999) | list %}{{ [a, a, a, a, a, a, a, a, a, a, a, a] }}",
    "nested list built by repetition": "{{ ([[ship.mounts] * 9999] * 9999) | string }}",
    "nested list joined with ~":
        "{% set a = range(9999) | list %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}"
        "{{ [b, b, b, b, b, b, b, b, b, b] ~ '' }}",
}
ISSUE_EXPRESSIONS = {
    "power tower in a when": "((999 ** 999) ** 999) ** 999 > 0",
    "power tower of names": "ship.fuel.capacity ** ship.fuel.capacity ** 9 > 1",
    "huge repetition": "'x' * 10 ** 9",
}
RULES = {
    "nested loops with an empty body":
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "literal text repeated by a loop":
        "{% for i in range(100000) %}" + "y" * 2000 + "{% endfor %}",
    "exponential macro": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}"
                         "{% endmacro %}{{ f(40) }}",
    "a list doubled in place": "{% set a = [1] %}{% for i in range(60) %}"
                               "{{ a.extend(a) }}{% endfor %}",
    "center filter": "{{ belt | center(1000000000) }}",
    "indent filter": "{{ ('a\n' * 200000) | indent(100) }}",
    "format filter": "{{ '%0999999999d' | format(1) }}",
    "replace filter": "{{ ('x' * 99999) | replace('', 'yyyyyyyyyy') }}",
    "replace filter on lists":  # found by the fuzz test: 3.5 GB before its prediction
        "{{ (range(9999) | list) | replace('', range(9999) | list) }}",
    "format filter on a list": "{{ ['%0999999999d'] | format(1) }}",
    "wordwrap filter": "{{ ('a b ' * 50000) | wordwrap(1, wrapstring='x' * 9999) }}",
    "urlize filter": "{{ ('http://a.b ' * 50000) | urlize(target='x' * 9999) }}",
    "tojson filter": "{{ (range(9999) | list) | tojson(indent='x' * 999) }}",
    "join filter": "{{ range(99999) | join('x' * 99999) }}",
    "batch filter": "{{ [1] | batch(1000000000, 'x') | list }}",
    "slice filter": "{{ [1] | slice(1000000000) | list }}",
    "tojson indent": "{{ (range(99999) | list) | tojson(indent=1000) }}",
    "sum of lists": "{{ ([[1] * 1000] * 100) | sum(start=[]) | length }}",
    "str.ljust": "{{ belt.ljust(1000000000) }}",
    "str.center": "{{ belt.center(1000000000) }}",
    "str.zfill": "{{ belt.zfill(1000000000) }}",
    "str.expandtabs": "{{ ('\t' * 99999).expandtabs(1000) }}",
    "str.replace": "{{ ('x' * 99999).replace('', 'yyyyyyyyyy') }}",
    "str.join of a generator": "{{ ('x' * 99999).join(range(99999) | map('string')) }}",
    "str.format": "{{ '{:>999999999}'.format(1) }}",
    "str.translate": "{{ ('a' * 99999).translate({97: 'b' * 99999}) }}",
    "str.encode": "{{ belt.encode().ljust(1000000000) }}",
    "int.to_bytes": "{{ (1).to_bytes(1000000000, 'big') }}",
    "output size": "{% for i in range(2000) %}{{ belt * 1000 }}{% endfor %}",
    "big integer": "{{ 7 ** 99999 }}",
    "integer product": "{% set n = 7 ** 4000 %}{{ n * n * n * n }}",
}


@pytest.mark.parametrize("template", list(ISSUE_PAYLOADS.values()), ids=list(ISSUE_PAYLOADS))
def test_issue_payloads_fail_fast_with_a_bound(template: str) -> None:
    with pytest.raises(StepError, match=BOUND):
        render(template, names())


@pytest.mark.parametrize("expr", list(ISSUE_EXPRESSIONS.values()), ids=list(ISSUE_EXPRESSIONS))
def test_issue_expressions_fail_fast_with_a_bound(expr: str) -> None:
    with pytest.raises(StepError, match=BOUND):
        evaluate(expr, names())


@pytest.mark.parametrize(("rule", "template"), list(RULES.items()), ids=list(RULES))
def test_every_rule_of_the_bounded_sandbox_trips(rule: str, template: str) -> None:
    with pytest.raises(StepError, match=BOUND) as caught:
        render(template, names())
    name = rule.split()[0].removeprefix("str.")
    if rule.endswith(" filter") or (rule.startswith("str.")
                                     and name not in ("join", "format", "encode")):
        assert f"with `{name}`" in caught.value.message  # refused by its own prediction


def test_the_error_quotes_the_template_and_names_the_bound() -> None:
    with pytest.raises(StepError) as caught:
        render(ISSUE_PAYLOADS["1 GB %-formatted line"], names())
    assert caught.value.message == ("in `'%0999999999d' % ship.fuel.current`: the "
                                    "template would build text larger than 1,000,000 characters")
    with pytest.raises(StepError) as caught:
        render(RULES["nested loops with an empty body"], names())
    assert f"needs more than {MAX_STEPS:,} steps" in caught.value.message
    long = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}" * 3
    with pytest.raises(StepError) as caught:
        render(long, names())
    assert "...`:" in caught.value.message and len(caught.value.message) < 250


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ belt * 100000 }}", "X1-T-B1" * 100000),  # 700,000 characters
    ("{{ (belt * 100000) | length }}", 700000),
    ("{% for i in range(20000) %}{% if loop.last %}{{ i }}{% endif %}{% endfor %}", "19999"),
    ("{{ range(50000) | sum }}", 1249975000),
    ("{{ (2 ** 4000) % 1000 }}", 2 ** 4000 % 1000),
    ("{{ '%05d|%-6s|' % (ship.fuel.current, 'ab') }}", "00400|ab    |"),
    ("{{ ([ship.mounts] * 3) | length }}", 3),
    ("{{ 'a' ~ belt ~ 3 }}", "aX1-T-B13"),
    ("{{ belt.ljust(10, '.') }}", "X1-T-B1..."),
    ("{{ ['a', 'b'] | join(', ') }}", "a, b"),
    ("{{ dict(a=1) }}", {"a": 1}),
])
def test_legal_templates_near_the_bounds_still_work(template: str, expected: object) -> None:
    assert render(template, names()) == expected


def test_a_legal_template_spends_its_steps_and_an_illegal_one_stops_at_the_budget() -> None:
    with bounded() as budget:
        render("{% for i in range(1000) %}{{ i * 2 }}{% endfor %}", names())
    assert 1000 < budget.spent < MAX_STEPS
    with bounded() as budget, pytest.raises(StepError, match="steps"):
        render(RULES["nested loops with an empty body"], names())
    assert budget.steps_left < 0 and budget.spent < MAX_STEPS + 100


def test_the_deadlines_stop_an_evaluation_whatever_its_steps() -> None:
    with bounded(steps=10 ** 12, cpu_seconds=0.05), \
            pytest.raises(StepError, match=r"computes for longer than 0\.05 s"):
        render(RULES["nested loops with an empty body"], names())
    with bounded(steps=10 ** 12, wall_seconds=0.05), \
            pytest.raises(StepError, match=r"runs longer than 0\.05 s"):
        render(RULES["nested loops with an empty body"], names())


def test_the_sandbox_refuses_to_run_outside_a_budget() -> None:
    from runner.playbook.template import _compiled_expression

    with pytest.raises(RuntimeError, match="outside bounded"):
        _compiled_expression("1 + 2")()
    with pytest.raises(RuntimeError):
        current()
    assert Budget(5).steps_left == 5


def test_the_strings_of_one_value_share_one_budget() -> None:
    heavy = "{% for i in range(30000) %}{% endfor %}ok"  # about a third of a budget
    assert render({"a": heavy, "b": [heavy]}, names()) == {"a": "ok", "b": ["ok"]}
    with pytest.raises(StepError, match="steps"):
        render({"a": heavy, "b": [heavy, heavy, heavy]}, names())
    assert [render(heavy, names()) for _ in range(4)] == ["ok"] * 4  # one budget per call


CONSTANT_PAYLOADS = [
    ("log", "\"{{ '%0999999999d' % 1 }}\"", "larger than"),
    ("log", "\"{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}\"", "more than"),
    ("when", "'9 ** 99 ** 99 > 1'", "digits"),
    ("when", "'(' * 3000", "nested too deeply"),
]


@pytest.mark.parametrize(("where", "value", "message"), CONSTANT_PAYLOADS)
def test_validate_refuses_a_constant_payload_at_its_location(tmp_path: Path, where: str,
                                                             value: str, message: str) -> None:
    if value == "'(' * 3000":
        value = "'" + "(" * 3000 + "1" + ")" * 3000 + "'"
    step = f"  - log: {value}\n" if where == "log" else f"  - log: hi\n    when: {value}\n"
    path = tmp_path / "p.yaml"
    path.write_text("ship: T-1\nsteps:\n  - dock\n" + step)
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (str(path), 4 if where == "log" else 5)
    assert message in problem.message and problem.col > 1


@pytest.mark.parametrize(("value", "message"), [
    ("\"{{ belt ~ ('x' * 10 ** 9) }}\"", "repetition larger than"),
    ("\"{{ '%0999999999d' % ship.fuel.current }}\"", "text larger than"),
    ("\"{{ '%0999999999d' | format(ship.fuel.current) }}\"", "text larger than"),
    ("\"{{ ship.symbol ~ ('x' | center(10 ** 9)) }}\"", "with `center`"),
])
def test_validate_refuses_a_constant_part_of_a_template_that_reads_names(
        tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"ship: T-1\nvars: {{belt: B}}\nsteps:\n  - log: {value}\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    problem = caught.value.problems[0]
    assert problem.line == 4 and message in problem.message


def test_validate_leaves_what_depends_on_names_to_run_time(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("ship: T-1\nsteps:\n"
                    "  - log: \"{{ '%0*d' % (ship.fuel.current * 2500000, 1) }}\"\n"
                    "  - log: \"{{ 1 / 0 }}\"\n"
                    "  - log: \"{{ (range(9) | list) ~ ship.symbol * 3 }}\"\n")
    assert len(load_playbook(path).steps) == 3


LEGAL_HEAVY = "{% for i in range(300) %}{% for j in range(200) %}{% endfor %}{% endfor %}ok"
"""60,000 loop iterations: legal, most of a budget."""
TOO_HEAVY = "{% for i in range(3000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}ok"


def test_the_event_loop_keeps_ticking_while_templates_evaluate(
        record_property: pytest.RecordProperty) -> None:
    """A ticker task measures how late the loop wakes it while evaluations run on the loop
    (as the executor runs them). The bound asserted is the budget's: the heavy legal
    template completes, the heavier one gives up by its step budget; the lag is a figure."""
    async def scenario() -> tuple[float, list[str]]:
        lags: list[float] = []
        outcomes: list[str] = []

        async def ticker() -> None:
            while True:
                before = time.monotonic()
                await asyncio.sleep(0.01)
                lags.append(time.monotonic() - before - 0.01)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)
        for template in [LEGAL_HEAVY, TOO_HEAVY] * 5:
            try:
                outcomes.append(render(template, names()))
            except StepError as exc:
                outcomes.append(exc.message)
            await asyncio.sleep(0.02)
        task.cancel()
        return max(lags), outcomes

    worst_lag, outcomes = asyncio.run(scenario())
    record_property("worst_loop_lag_ms", round(worst_lag * 1000, 1))
    print(f"worst event-loop lag while evaluating: {worst_lag * 1000:.0f} ms")
    assert outcomes[0::2] == ["ok"] * 5
    assert all(f"needs more than {MAX_STEPS:,} steps" in o for o in outcomes[1::2])
