"""Example playbooks complete against ``st-run sim --faults`` with every state change once.

The CI share of ``bench/faults.py`` (which runs all examples): ``route`` and ``trade``
under the full fault mix (500s, both kinds of dropped connections, bare 429s and
502s, 2 s latency spikes), each ledger compared with a fault-free run of the same seed.
"""

from __future__ import annotations

import pytest

from bench.faults import SPEC, fault_counts, suite


@pytest.mark.slow
def test_examples_complete_under_faults_and_each_state_change_happens_once() -> None:
    runs, problems = suite(["route", "trade"], SPEC, seed=1, speed=300.0,
                           timeout=240.0)
    assert {name: found for name, found in problems.items() if found} == {}
    # the faults really happened, lost answers of applied requests included
    injected: dict[str, int] = {}
    for run in runs:
        for kind, count in run.stats.get("faults", {}).items():
            injected[kind] = injected.get(kind, 0) + count
    assert sum(injected.values()) >= 10, [fault_counts(r) for r in runs]
    assert {"500", "drop-before", "drop-after"} <= set(injected), injected
    assert all(run.changes for run in runs)
