"""The ``-e`` values a resumed container runs with, as a table of cases."""

from __future__ import annotations

import pytest

from runner.runtime.resume_values import ResumeRefused, decide_values, render


@pytest.mark.parametrize(("stored", "asked", "values", "note"), [
    ({}, {}, {}, None),
    ({"n": "3"}, {"n": "3"}, {"n": "3"}, None),
    ({"n": "3"}, {}, {"n": "3"}, "c: resuming with the values it started with (-e n=3)"),
])
def test_resume_takes_the_stored_values(stored: dict[str, str], asked: dict[str, str],
                                        values: dict[str, str], note: str | None) -> None:
    decision = decide_values("c", stored, asked)
    assert dict(decision.values) == values and decision.note == note


@pytest.mark.parametrize(("stored", "asked"), [
    ({"n": "3"}, {"n": "5"}), ({}, {"n": "5"}), ({"n": "3", "m": "x"}, {"n": "3"})])
def test_other_values_are_refused_with_exit_2(stored: dict[str, str],
                                              asked: dict[str, str]) -> None:
    with pytest.raises(ResumeRefused) as refused:
        decide_values("c", stored, asked)
    assert refused.value.exit_code == 2
    assert f"cannot resume with {render(asked)}: it started with {render(stored)}" in \
        refused.value.message


def test_render_is_sorted() -> None:
    assert render({"b": "2", "a": "1"}) == "-e a=1 -e b=2"
    assert render({}) == "no -e values"
