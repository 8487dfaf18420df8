"""Plan = run (issue 14): for generated playbooks, the state-changing requests ``run`` sends
(the simulator's ledger) and its log lines are exactly what ``plan`` predicted, in order.

A seeded set of 50 runs here; ``bench/plan_run_equivalence.py`` runs hundreds.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.support import Sim, sim_process
from tests.interpreter.plan_run import Facts, compare, facts_of, playbooks

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prop")


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Sim, Facts]]:
    with sim_process(seed=1, speed=500.0) as sim:
        yield sim, facts_of(sim, sim.register("PROPFACTS"))


@pytest.fixture(scope="module")
def galaxy_world() -> Iterator[tuple[Sim, Facts]]:
    """A simulator whose home gate is built, and a marketplace one jump away."""
    with sim_process(seed=1, speed=2000.0) as sim:
        facts = facts_of(sim, sim.register("PROPJUMPS"), jumps=True)
        assert facts.far is not None
        yield sim, facts


COUNTER = itertools.count()


@settings(max_examples=50, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_run_sends_what_plan_predicted(world: tuple[Sim, Facts], tmp: Path,
                                       data: st.DataObject) -> None:
    sim, facts = world
    text = data.draw(playbooks(facts), label="playbook")
    equal, detail = compare(text, sim, tmp, next(COUNTER))
    assert equal, f"{detail}\n--- playbook ---\n{text}"


@settings(max_examples=8, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_run_sends_what_plan_predicted_across_systems(
        galaxy_world: tuple[Sim, Facts], tmp: Path, data: st.DataObject) -> None:
    """The same property with jumps: navigate may target a waypoint one jump away."""
    sim, facts = galaxy_world
    text = data.draw(playbooks(facts), label="playbook")
    equal, detail = compare(text, sim, tmp, next(COUNTER))
    assert equal, f"{detail}\n--- playbook ---\n{text}"


def test_there_and_back_through_a_gate(galaxy_world: tuple[Sim, Facts], tmp: Path) -> None:
    """A fixed case that surely jumps twice (out and back): plan = run."""
    sim, facts = galaxy_world
    text = ("name: prop\nship: {role: COMMAND}\nsteps:\n"
            f"  - navigate: {facts.far}\n"
            "  - log: \"L|far {{ ship.nav.waypoint }} {{ ship.fuel.current }}\"\n"
            f"  - navigate: {facts.hq}\n  - dock\n")
    index = next(COUNTER)
    equal, detail = compare(text, sim, tmp, index)
    assert equal, f"{detail}\n--- playbook ---\n{text}"
    agent = f"PROP{os.getpid() % 1000}X{index}"  # compare's agent for this index
    jumped = [e for e in sim.ledger() if e["agent"] == agent and e["path"].endswith("/jump")]
    assert len(jumped) == 2  # it did go through the gate and back
