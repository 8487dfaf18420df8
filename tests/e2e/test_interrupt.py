"""Ctrl-C / SIGTERM stop ``st-run run`` at a safe point, say how to resume, and the next
run resumes from the checkpoint ("resuming NAME at step N/M")."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.support import run_runner, sim_process, start_runner, wait_for

FAR = "X1-EU98-X25"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_at_a_safe_point_and_the_next_run_resumes(tmp_path: Path,
                                                               signum: int) -> None:
    playbook = tmp_path / "hop.yaml"
    playbook.write_text("name: hop\nship: {role: COMMAND}\nsteps:\n  - dock\n"
                        f"  - navigate: {{to: {FAR}, mode: CRUISE}}\n  - dock\n  - refuel\n")
    db = str(tmp_path / "s.db")
    with sim_process(seed=1, speed=100.0) as sim:
        token = sim.register("HOPPER")
        runner = start_runner(sim, token, playbook, db)
        wait_for(lambda: any(e["path"].endswith("/navigate") for e in sim.ledger()
                             if e["agent"] == "HOPPER"))
        runner.send_signal(signum)
        out, _ = runner.communicate(timeout=30)
        assert runner.returncode == 130, out
        assert f"resume with: st-run {playbook}" in out
        assert "Traceback" not in out
        done = run_runner(sim, token, playbook, db)
        assert done.returncode == 0, done.stdout
        assert "resuming hop at step 2/4" in done.stdout
        navigations = [e for e in sim.ledger()
                       if e["agent"] == "HOPPER" and e["path"].endswith("/navigate")]
        assert len(navigations) == 1
