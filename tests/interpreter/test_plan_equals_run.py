"""Plan = run (issue 14): for generated playbooks, the state-changing requests ``run`` sends
(the simulator's ledger) and its log lines are exactly what ``plan`` predicted, in order.

A seeded set of 50 runs here; ``bench/plan_run_equivalence.py`` runs hundreds.
"""

from __future__ import annotations

import itertools
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
