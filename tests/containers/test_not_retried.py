"""A failure ``plan`` would report the same way on every restart (the step cannot run as
written) ends the container at once instead of restarting forever under ``restart:
always`` (issue 15). Here the bad step is in the second iteration of an ``until`` loop,
which ``plan`` shows once, so only the run meets it. Real processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.domain.status import ContainerStatus
from runner.state.store import Store
from tests.containers.support import st_run

pytestmark = pytest.mark.timeout(240)

SECOND_LAP_IS_LOST = """\
name: lost-later
ship: {role: COMMAND}
restart: {policy: always, backoff: {initial: 1s, max: 1s}}
steps:
  - repeat:
      until: ship.fuel.current < 0
      steps:
        - log: "lap {{ loop.index }}"
        - navigate: "{{ ship.nav.waypoint if loop.first else 'X9-NOPE-A1' }}"
"""


def test_a_step_that_cannot_run_as_written_is_not_restarted(tmp_path: Path) -> None:
    playbook = tmp_path / "lost.yaml"
    playbook.write_text(SECOND_LAP_IS_LOST)
    db = tmp_path / "state.db"
    result = st_run(tmp_path, "--sim", "--db", str(db), str(playbook))  # old code: forever
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "waypoint `X9-NOPE-A1`: system X9-NOPE is not loaded" in result.stdout
    assert "not restarting: the step cannot run as written" in result.stdout
    with Store.open(str(db)) as store:
        record = store.require_container("lost-later")
    assert record.status is ContainerStatus.FAILED and record.restarts == 0
