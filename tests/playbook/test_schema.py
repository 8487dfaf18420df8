"""The committed schema is the one the tables generate; the examples validate against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from runner.actions import registry
from runner.playbook import load_playbook
from runner.playbook.keywords import STEP_KEYWORDS
from runner.playbook.loader import load_text
from runner.playbook.schema import build_schema, schema_text

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "playbook.schema.json"
EXAMPLES = sorted((REPO / "playbooks").glob("*.yaml"))
MODELINE = "# yaml-language-server: $schema=../schemas/playbook.schema.json"


def test_committed_schema_matches_the_tables() -> None:
    assert SCHEMA_FILE.read_text() == schema_text(), (
        "schemas/playbook.schema.json drifted from the keyword/action tables; "
        "regenerate it: st-run schema > schemas/playbook.schema.json")


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_declares_every_action_and_keyword() -> None:
    defs = build_schema()["$defs"]
    for action in registry():
        props = defs[f"step_{action.name}"]["properties"]
        assert action.name in props
        assert {k.name for k in STEP_KEYWORDS} <= set(props)
    assert set(defs["bare_step"]["enum"]) == {a.name for a in registry() if a.bare}


def test_required_example_playbooks_exist() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {"route", "mine", "trade", "tour", "contract"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_carries_modeline_validates_and_uses_no_symbols(path: Path) -> None:
    text = path.read_text()
    assert text.splitlines()[0] == MODELINE
    playbook = load_playbook(path)
    assert playbook.steps
    # The published schema (what editors use) accepts it too.
    jsonschema.Draft202012Validator(build_schema()).validate(load_text(text).value)
    # Selectors, not this reset's symbols: no waypoint symbol like X1-AB12-C3 anywhere.
    assert "X1-" not in text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_published_schema_agrees_with_the_validator_on_examples(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    assert not list(validator.iter_errors(load_text(path.read_text()).value))


def test_published_schema_rejects_a_mistyped_step() -> None:
    validator = jsonschema.Draft202012Validator(build_schema())
    doc = load_text("ship: A\nsteps:\n  - navigte: X\n").value
    assert list(validator.iter_errors(doc))
