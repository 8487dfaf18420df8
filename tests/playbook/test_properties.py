"""No input yields a traceback: random bytes, random YAML, mutations of valid playbooks.

Every outcome is either a ``Playbook`` (and then a ``Plan`` or located problems from the
compiler) or a ``PlaybookError`` whose problems all have a location and a message.
``ST_RUN_HYPOTHESIS_EXAMPLES`` raises the example count for a deeper run.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.actions import registry
from runner.domain.plan import Plan
from runner.playbook import PlaybookError, compile_playbook
from runner.playbook.keywords import STEP_KEYWORDS, TOP_LEVEL
from runner.playbook.model import load_playbook_bytes
from tests.playbook.universe import agent, ship, small_system

EXAMPLES = int(os.environ.get("ST_RUN_HYPOTHESIS_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
REPO = Path(__file__).resolve().parents[2]
VALID = [p.read_text() for p in sorted((REPO / "playbooks").glob("*.yaml"))] + \
    [p.read_text() for p in sorted((REPO / "tests" / "compile").glob("*/playbook.yaml"))]
SYSTEM = small_system()
FLEET = [ship(), ship(symbol="T-2", role="SATELLITE", fuel=(0, 0), capacity=0, mounts=(),
                      speed=9)]

WORDS = sorted({a.name for a in registry()} | {k.name for k in STEP_KEYWORDS}
               | {k.name for k in TOP_LEVEL}
               | {"to", "mode", "nearest", "type", "traits", "sells", "buys", "symbol", "units",
                  "times", "until", "forever", "visit", "all", "limit", "message", "level",
                  "role", "index", "policy", "not_here", "from_cargo", "id", "order"})
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False),
    st.sampled_from(WORDS), st.text(max_size=12),
    st.sampled_from(["X1-T-HQ", "X1-T-B1", "X1-T-FAR", "headquarters", "all", "DRIFT", "30s",
                     "{{ ship.cargo.units }}", "{{ nope }}", "ship.fuel.current < 10",
                     "x {{ y }}", "{{ loop.index }}", "{% for %}", "COMMAND", "FUEL"]))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)),
                                            inner, max_size=4)),
    max_leaves=25)
PUNCTUATION = [*":-{}[],'\"&*!#|>%@\t\n ", "  ", "- ", ": ", "{{", "}}"]


def check(data: bytes) -> None:
    """The property: a playbook and a plan, or located problems; never anything else."""
    try:
        book = load_playbook_bytes(data, "fuzz.yaml")
    except PlaybookError as exc:
        assert exc.problems and exc.exit_code == 2
        for p in exc.problems:
            assert p.message and p.line >= 0 and p.col >= 0 and p.file == "fuzz.yaml"
        return
    for the_ship in FLEET:
        try:
            plan = compile_playbook(book, SYSTEM, the_ship, agent(), ships=FLEET)
        except PlaybookError as exc:
            assert exc.problems and all(p.message for p in exc.problems)
        else:
            assert isinstance(plan, Plan)


@SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    check(data)


@SETTINGS
@given(st.lists(st.sampled_from([*PUNCTUATION, *"abcXT1-\u00e9", *WORDS]), max_size=60)
       .map("".join))
def test_random_yaml_like_text(text: str) -> None:
    check(text.encode("utf-8"))


@SETTINGS
@given(VALUES)
def test_random_yaml_documents(value: object) -> None:
    check(yaml.safe_dump(value, allow_unicode=True).encode("utf-8"))


@SETTINGS
@given(st.fixed_dictionaries({"ship": VALUES, "steps": st.lists(VALUES, max_size=5)},
                             optional={"vars": VALUES, "restart": VALUES, "name": VALUES}))
def test_random_playbook_shaped_documents(value: dict[str, object]) -> None:
    check(yaml.safe_dump(value, allow_unicode=True).encode("utf-8"))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["delete", "insert", "word", "dup", "swap", "indent"]))
        i = draw(st.integers(0, max(0, len(text) - 1)))
        n = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 5)):]
        elif kind == "insert":
            text = text[:i] + draw(st.sampled_from(PUNCTUATION)) + text[i:]
        elif kind == "word":
            text = text[:i] + draw(st.sampled_from(WORDS)) + text[i:]
        elif kind == "dup":
            lines.insert(n, lines[n])
            text = "\n".join(lines)
        elif kind == "swap":
            m = draw(st.integers(0, len(lines) - 1))
            lines[n], lines[m] = lines[m], lines[n]
            text = "\n".join(lines)
        else:
            lines[n] = draw(st.sampled_from(["", " ", "  ", "    ", "\t"])) + lines[n].lstrip()
            text = "\n".join(lines)
    return text


@SETTINGS
@given(mutated())
def test_mutations_of_valid_playbooks(text: str) -> None:
    check(text.encode("utf-8"))


def test_the_valid_corpus_itself_loads() -> None:
    for text in VALID:
        load_playbook_bytes(text.encode(), "ok.yaml")


@st.composite
def ships(draw: st.DrawFn) -> object:
    capacity = draw(st.sampled_from([0, 10, 40]))
    goods = draw(st.dictionaries(st.sampled_from(["IRON_ORE", "ICE_WATER", "FOOD", "GOLD"]),
                                 st.integers(1, 10), max_size=3))
    inventory = dict(list(goods.items())[:1]) if capacity else {}
    tank = draw(st.sampled_from([0, 80, 400]))
    return ship(at=draw(st.sampled_from(sorted(SYSTEM.waypoints))),
                status=draw(st.sampled_from(["DOCKED", "IN_ORBIT", "IN_TRANSIT"])),
                fuel=(draw(st.integers(0, tank)), tank), capacity=max(capacity, 10 * bool(
                    inventory)), inventory=inventory,
                mounts=draw(st.sampled_from([(), ("MOUNT_MINING_LASER_I",),
                                             ("MOUNT_SURVEYOR_I",)])),
                mode=draw(st.sampled_from(["CRUISE", "DRIFT", "BURN"])),
                speed=draw(st.sampled_from([3, 9, 36])))


@SETTINGS
@given(st.sampled_from(VALID), ships())
def test_valid_playbooks_from_any_ship_state_plan_or_report(text: str, the_ship: object) -> None:
    """What the executor meets at run time: any live state gives commands or StepErrors."""
    book = load_playbook_bytes(text.encode(), "ok.yaml")
    try:
        plan = compile_playbook(book, SYSTEM, the_ship, agent(), ships=[the_ship])  # type: ignore[arg-type]
    except PlaybookError as exc:
        assert exc.problems and all(p.line > 0 and p.message for p in exc.problems)
    else:
        assert isinstance(plan, Plan)
