"""Parse at the boundary (issue 14): one duration notation, parsed once, when the playbook
loads; ``validate`` and ``run`` load through the same function, so they accept the same
playbooks, and the schema's duration pattern and the parser agree."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.domain.duration import DURATION_PATTERN, parse_duration
from runner.domain.restart import RestartPolicy
from runner.playbook import PlaybookError, load_playbook_text
from runner.playbook.keywords import RESTART

durations = st.from_regex(DURATION_PATTERN, fullmatch=True).filter(lambda t: "\n" not in t)


@settings(max_examples=150, deadline=None)
@given(durations)
def test_every_duration_the_schema_accepts_parses(text: str) -> None:
    assert parse_duration(text) >= 0


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="0123456789.smhd :-xé", max_size=12))
def test_the_parser_accepts_only_what_the_schema_accepts(text: str) -> None:
    matches = re.match(DURATION_PATTERN, text) is not None and "\n" not in text
    try:
        parse_duration(text)
        parsed = True
    except ValueError:
        parsed = False
    assert parsed == matches


restarts = st.one_of(
    st.sampled_from(["no", "always", "unless-stopped", "on-failure", "on-failure:3"]),
    st.fixed_dictionaries(
        {"policy": st.sampled_from(["no", "on-failure", "always", "unless-stopped"])},
        optional={"max_restarts": st.integers(0, 5), "reset_after": durations,
                  "backoff": st.fixed_dictionaries({}, optional={
                      "initial": durations, "max": durations,
                      "factor": st.floats(1, 4)})}))


@settings(max_examples=150, deadline=None)
@given(restarts)
def test_a_schema_valid_restart_either_loads_or_is_a_located_problem(spec: object) -> None:
    jsonschema.validate(spec, dict(RESTART))  # the generator stays inside the schema
    text = f"ship: A\nrestart: {json.dumps(spec)}\nsteps: [dock]\n"
    try:
        book = load_playbook_text(text, "p.yaml")
    except PlaybookError as exc:  # e.g. max below initial, or a zero initial back-off
        assert [(p.line, p.col) for p in exc.problems] == [(2, 10)]
        with pytest.raises(ValueError):
            RestartPolicy.parse(spec)
        return
    assert isinstance(book.restart, RestartPolicy)
    assert book.restart == RestartPolicy.parse(spec)
