"""Several processes fight over one container with short leases, on the real clock.

Whatever the interleaving, fencing must give: each lease version belongs to one owner, and
checkpoints in commit order never go back to an older version (a runner that lost its lease
never records progress after the new holder did).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner.state.models import checkpoints
from runner.state.store import Store

REPO = Path(__file__).resolve().parents[2]

WORKER = """
import sys, time
from pathlib import Path
from runner.state.store import LeaseLost, Store
url, container_id, me, rounds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
store = Store.open(url)
Path(sys.argv[5] + ".ready").touch()
while not Path(sys.argv[5]).exists():  # start together, so that they really contend
    time.sleep(0.002)
wrote = held = attempts = 0
while held < rounds and attempts < 3000:  # keep contending until this runner held it enough
    attempts += 1
    lease = store.claim(container_id, me, ttl_s=0.15)
    if lease is None:
        time.sleep(0.005)
        continue
    held += 1
    try:
        for step in range(3):
            store.record_intent(lease, f"steps[{held}]", step, {"n": held}, {})
            time.sleep(0.05)  # "sending the request": 3 of them outlast the lease
            store.checkpoint(lease, f"steps[{held}]", step, {"owner": me,
                                                              "version": lease.version})
            wrote += 1
    except LeaseLost:
        pass
    time.sleep(0.005)  # give the others a chance to claim between two runs
store.close()
print(wrote)
"""


@pytest.mark.timeout(240)
def test_fencing_holds_across_processes(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    record = store.upsert_container("contested", "p.yaml", "h", "SHIP-1", "AGENT")
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db_url, str(record.id), f"w{i}",
                               "8", str(tmp_path / f"go{i}")], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(3)]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"go{i}.ready").exists() for i in range(3)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.01)
    for i in range(3):
        (tmp_path / f"go{i}").touch()
    written = 0
    for proc in procs:
        out, err = proc.communicate(timeout=200)
        assert proc.returncode == 0, err
        written += int(out)
    with store.engine.connect() as conn:
        states = [row.state for row in conn.execute(
            checkpoints.select().where(checkpoints.c.container_id == record.id)
            .order_by(checkpoints.c.id))]
    store.close()
    # Each claim gives its holder well over one transaction's time before expiry, so some
    # progress is certain; which runner makes it, and how often leases change hands, is not.
    assert len(states) == written > 0
    owner_of: dict[int, str] = {}
    for state in states:
        assert owner_of.setdefault(state["version"], state["owner"]) == state["owner"]
    versions = [state["version"] for state in states]
    assert versions == sorted(versions), "a fenced-off runner wrote after its successor"
    print(f"{len(states)} checkpoints, {len(owner_of)} lease versions, "
          f"{len(set(owner_of.values()))} owners")
