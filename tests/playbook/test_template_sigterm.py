"""A real ``st-run run`` whose container meets a template that would run for hours (10**10
loop iterations, CPU only: the old unbounded code hung here without filling the memory; it
reads a name, so ``validate`` cannot run it beforehand):
the container fails at its step, its sibling keeps logging, and SIGTERM ends the runner
(exit 130) within its grace period (issue 21, section 1)."""

from __future__ import annotations

import signal
from pathlib import Path

from runner.domain.status import ContainerStatus
from runner.state.store import Store
from tests.e2e.support import sim_process, start_runner, wait_for

# The heavy loop's size reads a registered result, so neither `validate` (constant parts)
# nor `plan` (the meaning check `run` makes before it starts) can evaluate it: it meets
# its bound only at run time.
HEAVY = """name: heavy
ship: {role: COMMAND}
steps:
  - scan_market:
    register: seen
  - log: "{% for i in range(1000 * (seen.goods | length)) %}{% for j in range(100000) %}\
      {% endfor %}{% endfor %}{{ seen.symbol }}"
"""
SIBLING = """name: sibling
ship: {role: SATELLITE}
steps:
  - repeat:
      times: 100000
      steps:
        - log: "tick {{ loop.index }}"
        - orbit
        - dock
"""


def test_sigterm_ends_a_runner_whose_container_met_a_heavy_template(tmp_path: Path) -> None:
    heavy, sibling = tmp_path / "heavy.yaml", tmp_path / "sibling.yaml"
    heavy.write_text(HEAVY)
    sibling.write_text(SIBLING)
    db = str(tmp_path / "s.db")
    with sim_process(seed=1, speed=100.0) as sim:
        token = sim.register("HEAVY")
        runner = start_runner(sim, token, sibling, db, str(heavy), "--grace", "10")
        try:
            store = Store.open(db)

            def ticks() -> int:
                return sum(1 for r in store.logs("sibling") if r.message.startswith("tick"))

            def heavy_failed() -> bool:
                found = [r for r in store.list_containers(all=True) if r.name == "heavy"]
                return bool(found) and found[0].status is ContainerStatus.FAILED

            try:
                wait_for(heavy_failed, timeout=60)
            except AssertionError:
                runner.kill()
                raise AssertionError(runner.communicate()[0]) from None
            seen = ticks()
            wait_for(lambda: ticks() > seen + 3, timeout=30)  # the sibling carries on
            error = store.require_container("heavy").last_error or ""
            store.close()
            runner.send_signal(signal.SIGTERM)
            out, _ = runner.communicate(timeout=30)
        finally:
            if runner.poll() is None:
                runner.kill()
                runner.wait()
    assert "step 2 log: in `{% for i in range(1000 * (seen.goods | length)) %}" in error
    assert "needs more than 100,000 steps" in error
    assert runner.returncode == 130, out
    assert "Traceback" not in out
