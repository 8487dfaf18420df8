"""Fuzz: random templates and expressions built from the payload classes of issue 21.

Hypothesis composes operators, filters, ``str`` methods, literals, loops, ``set`` blocks and
macros over sizes from 0 to 10**9. For every evaluation: it ends in a value or a StepError
(never another exception), a value it returns fits the bounds, a completed evaluation spent
at most its budget, and the process's memory stays within 100 MB of where it started.
The figures (examples tried, worst CPU and wall time, worst memory growth) are printed with
``-s``.
"""

from __future__ import annotations

import resource
import time
from typing import Any

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.playbook import StepError, evaluate, render
from runner.playbook.bounds import MAX_OUTPUT, MAX_SIZE, MAX_STEPS, bounded
from tests.playbook.test_template import names
from tests.playbook.test_template_bounds import ISSUE_EXPRESSIONS, ISSUE_PAYLOADS, RULES

MB = 1024 * 1024
SIZES = st.sampled_from([0, 1, 2, 7, 99, 999, 4000, 99999, 10 ** 6, 10 ** 9])
ATOMS = st.one_of(
    SIZES.map(str),
    st.sampled_from([
        "ship.fuel.current", "ship.cargo.inventory", "ship.mounts", "belt", "'ab'", "'\\t'",
        "'%0*d'", "'%s%s'", "'%(a)s'", "range(99999)", "(range(9999) | list)", "[1, 2]",
        "{'a': belt}", "agent.credits", "sale", "''", "2.5", "none", "true",
    ]),
)
BINARY = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "~", "==", "<", "in"])
FILTERS = st.sampled_from([
    "center({n})", "indent({n})", "format({n}, {n})", "join({x})", "replace('', {x})",
    "batch({n}, 'x')", "slice({n})", "tojson(indent={n})", "list", "string", "length",
    "sum", "sort", "unique", "reverse", "upper", "wordwrap({n})", "truncate({n})",
    "map('string')", "select", "first", "default({x})", "int", "abs", "round({n})",
    "replace({x}, {x})", "format({x})", "wordwrap({n}, wrapstring={x})", "urlize(target={x})",
    "tojson(indent={x})", "indent({x})", "center({x})",
])
METHODS = st.sampled_from([
    "ljust({n})", "rjust({n}, 'x')", "center({n})", "zfill({n})", "expandtabs({n})",
    "replace('', {x})", "join({x})", "split()", "upper()", "count('a')", "startswith('X')",
    "translate({{97: {x}}})", "encode()", "to_bytes({n}, 'big')", "replace({x}, {x})",
    "expandtabs({x})", "ljust({x})",
])


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, BINARY, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, FILTERS, SIZES, inner).map(
            lambda t: f"({t[0]} | {t[1].format(n=t[2], x=t[3])})"),
        st.tuples(inner, METHODS, SIZES, inner).map(
            lambda t: f"({t[0]}).{t[1].format(n=t[2], x=t[3])}"),
        st.lists(inner, min_size=1, max_size=12).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.tuples(inner, inner).map(lambda t: f"{{'a': {t[0]}, 'b': {t[1]}}}"),
    )


EXPRESSIONS = st.recursive(ATOMS, _extend, max_leaves=10)
TEMPLATES = st.one_of(
    EXPRESSIONS.map(lambda e: "{{ " + e + " }}"),
    EXPRESSIONS.map(lambda e: "text {{ " + e + " }} more"),
    st.tuples(SIZES, SIZES, EXPRESSIONS).map(
        lambda t: f"{{% for i in range({t[0]}) %}}{{% for j in range({t[1]}) %}}"
                  f"{{{{ {t[2]} }}}}{{% endfor %}}{{% endfor %}}"),
    st.tuples(SIZES, EXPRESSIONS).map(
        lambda t: f"{{% set s %}}{{% for i in range({t[0]}) %}}{{{{ {t[1]} }}}}{{% endfor %}}"
                  "{% endset %}{{ s | length }}"),
    st.tuples(EXPRESSIONS, SIZES).map(
        lambda t: f"{{% set a = [{t[0]}] %}}{{% for i in range({t[1]}) %}}"
                  "{{ a.extend(a) }}{% endfor %}{{ a | length }}"),
    st.tuples(st.integers(0, 60), EXPRESSIONS).map(
        lambda t: "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% else %}"
                  f"{{{{ {t[1]} }}}}{{% endif %}}{{% endmacro %}}{{{{ f({t[0]}) }}}}"),
)


class Figures:
    """What the fuzz saw: evaluations, the slowest, the memory growth."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.start_rss = self.process.memory_info().rss
        self.start_peak = _peak_rss()
        self.tried = self.failed = 0
        self.worst_s = self.worst_cpu_s = 0.0
        self.worst_text = ""
        self.worst_rss = 0

    def check(self, text: str, expression: bool) -> None:
        """Evaluate ``text`` once and check every property of the module docstring."""
        started, cpu = time.monotonic(), time.thread_time()
        with bounded() as budget:
            try:
                value: Any = evaluate(text, names()) if expression else render(text, names())
            except StepError:
                value = StepError
        elapsed, cpu = time.monotonic() - started, time.thread_time() - cpu
        self.tried += 1
        if value is StepError:
            self.failed += 1
        else:
            assert budget.spent <= MAX_STEPS, text
            limit = MAX_OUTPUT if isinstance(value, str) else 4 * MAX_SIZE
            assert len(str(value)) <= limit, text
        if cpu > self.worst_cpu_s:
            self.worst_cpu_s, self.worst_text = cpu, text
        self.worst_s = max(self.worst_s, elapsed)
        growth = max(self.process.memory_info().rss - self.start_rss,
                     _peak_rss() - self.start_peak)
        self.worst_rss = max(self.worst_rss, growth)
        assert growth < 100 * MB, (text, growth)

    def report(self) -> str:
        return (f"{self.tried} evaluations ({self.failed} stopped with a StepError), worst "
                f"{self.worst_cpu_s * 1000:.0f} ms CPU ({self.worst_text[:60]!r}), worst "
                f"{self.worst_s * 1000:.0f} ms wall, worst RSS growth "
                f"{self.worst_rss / MB:.1f} MB")


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.fixture(scope="module")
def figures() -> Figures:
    render("{{ ship.symbol }} {% for i in range(3) %}{{ i }}{% endfor %}", names())  # warm up
    return Figures()


def test_the_payload_classes_stay_bounded(figures: Figures) -> None:
    for text in [*ISSUE_PAYLOADS.values(), *RULES.values()]:
        figures.check(text, expression=False)
    for text in ISSUE_EXPRESSIONS.values():
        figures.check(text, expression=True)
    print(f"\npayloads: {figures.report()}")
    assert figures.failed == figures.tried


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(text=EXPRESSIONS)
def test_random_expressions_stay_bounded(figures: Figures, text: str) -> None:
    figures.check(text, expression=True)


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(text=TEMPLATES)
def test_random_templates_stay_bounded(figures: Figures, text: str) -> None:
    figures.check(text, expression=False)


def test_fuzz_figures(figures: Figures) -> None:
    """Prints the figures of the whole module (run with ``-s``)."""
    print(f"\nall: {figures.report()}")
    assert figures.tried >= 500
