"""Several runners on one Postgres (issue 19): two real ``st-run --watch DIR`` processes share
one folder and one database against one real ``st-run sim``.

Each container runs in exactly one runner; the other watches; a runner that joins gets its
share (half of ten here: the first hands five over, each stopped at a safe point and resumed
in the other from its checkpoint). SIGKILL a runner: the survivor takes every one of its
containers over within the lease ttl (+ a few seconds) and resumes it from its checkpoint.
SIGTERM: the runner hands its containers over at once (LISTEN/NOTIFY), without waiting for
the ttl. The simulator's ledger shows every state
change once: each ship's orbits and docks strictly alternate.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from runner.state.records import ContainerRecord
from runner.state.runners import Runners
from tests.support.simproc import start_sim_process
from tests.watch.procs import REPO, Agent, State, ledger, register, until

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(180)]

AGENTS = 5  # two ships each: ten containers
TTL_S = 3.0

PATROL = """\
name: {name}
ship: {ship}
agent: {agent}
restart: always
steps:
  - repeat:
      forever: true
      steps:
        - orbit
        - log: "{name} tick {{{{ loop.index }}}}"
        - dock
        - wait: 2s
"""


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with start_sim_process("--speed", "20", "--no-rate-limit") as (_, url):
        yield url


class Runner:
    """One ``st-run --watch DIR`` process; its stderr goes to a file."""

    def __init__(self, folder: Path, db: str, config: Path, log: Path, ttl_s: float) -> None:
        self.log = log
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "ST_RUN_CONFIG": str(config),
               "ST_RUN_LEASE_TTL": f"{ttl_s:g}"}
        for name in ("ST_RUN_DB", "SPACETRADERS_TOKEN", "ST_RUN_API_URL"):
            env.pop(name, None)
        self._err = log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "--watch", str(folder), "--db", db],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=self._err, text=True)

    def output(self) -> str:
        return self.log.read_text()

    def owner(self) -> str | None:
        """The runner's name (its lease owner), once it printed it."""
        found = re.search(r"\(runner (\S+), database", self.output())
        return None if found is None else found[1]

    def stop(self, sig: signal.Signals) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._err.close()


@pytest.fixture
def shared(tmp_path: Path, sim_url: str, pg_db_url: str
           ) -> Iterator[tuple[Path, Path, list[Agent]]]:
    """A folder of ten patrol playbooks (five agents, two ships each) and their config."""
    tag = uuid.uuid4().hex[:6].upper()  # the simulator is shared by the module's tests
    agents = [register(sim_url, f"R{tag}{i}") for i in range(AGENTS)]
    config = tmp_path / "config.toml"
    config.write_text("".join(
        f'[agents.a{i}]\nsymbol = "{a.symbol}"\napi_url = "{a.url}"\ntoken = "{a.token}"\n\n'
        for i, a in enumerate(agents)))
    config.chmod(0o600)
    folder = tmp_path / "playbooks"
    folder.mkdir()
    for i, agent in enumerate(agents):
        for ship in agent.ships:
            name = ship.lower()
            (folder / f"{name}.yaml").write_text(PATROL.format(name=name, ship=ship,
                                                               agent=f"a{i}"))
    yield folder, config, agents


def containers(state: State) -> list[ContainerRecord]:
    return state.store.list_containers(all=True)


def all_run_by(state: State, owner: str | None, count: int) -> bool:
    """Every one of ``count`` containers is RUNNING under ``owner``'s lease."""
    records = containers(state)
    return owner is not None and len(records) == count and all(
        r.status.value == "RUNNING" and r.lease_owner == owner for r in records)


def ticks(state: State, name: str) -> int:
    return sum(" tick " in m for m in state.messages(name))


def taken_over_at(state: State, name: str) -> datetime:
    """When the survivor logged that it took ``name`` over (the store's log time)."""
    lines = [line for line in state.store.logs(name, limit=None)
             if "taking the container over" in line.message]
    assert lines, f"{name}: no take-over line"
    return lines[-1].time


def assert_each_change_sent_once(state: State, agents: list[Agent]) -> None:
    """Per ship, orbits and docks strictly alternate in the simulator's ledger (a step done
    twice would repeat one of them), and the journal has a checkpoint for each but at most
    one (a command sent just before a SIGKILL may lack its checkpoint: orbit and dock are
    idempotent, so the survivor finds it done and sends nothing)."""
    for agent in agents:
        for ship in agent.ships:
            actions = [e["path"].rsplit("/", 1)[-1] for e in ledger(agent.url, ship)
                       if e["method"] == "POST"]
            assert actions, f"no state change for {ship}"
            assert all(x != y for x, y in itertools.pairwise(actions)), \
                f"{ship}: a step was done twice: {actions}"
            record = state.container(ship.lower())
            assert record is not None
            assert len(actions) - 1 <= state.checkpoints(record.id) <= len(actions)


def held(state: State, *owners: str | None) -> list[int] | None:
    """How many RUNNING containers each of ``owners`` holds, once every container runs
    under one of them (None before)."""
    records = containers(state)
    if not records or not all(r.status.value == "RUNNING" and r.lease_owner in owners
                              for r in records):
        return None
    return [sum(r.lease_owner == o for r in records) for o in owners]


def start_pair(folder: Path, config: Path, db: str, tmp_path: Path, state: State,
               ttl_s: float) -> tuple[Runner, Runner]:
    """Runner A runs all ten containers; then runner B joins, and A hands it half of them
    (each stops at a safe point and resumes in B from its checkpoint)."""
    count = len(list(folder.glob("*.yaml")))
    a = Runner(folder, db, config, tmp_path / "a.log", ttl_s)
    until(lambda: all_run_by(state, a.owner(), count), "runner A runs every container",
          on_fail=a.output)
    until(lambda: all(ticks(state, r.name) >= 1 for r in containers(state)),
          "every container ticking", on_fail=a.output)
    b = Runner(folder, db, config, tmp_path / "b.log", ttl_s)
    until(lambda: held(state, a.owner(), b.owner()) == [count // 2, count // 2],
          "A and B run half of the containers each",
          on_fail=lambda: f"{a.output()}\n{b.output()}")
    assert f"handing {count // 2} of {count} container(s) over" in a.output()
    rows = {row.owner: row for row in Runners(state.store.engine).list()}
    assert [rows[a.owner() or ""].holds, rows[b.owner() or ""].holds] == [5, 5]
    return a, b


def test_sigkill_a_runner_the_other_resumes_its_containers_within_the_ttl(
        tmp_path: Path, shared: tuple[Path, Path, list[Agent]], pg_db_url: str) -> None:
    folder, config, agents = shared
    state = State(pg_db_url)
    a = b = None
    try:
        a, b = start_pair(folder, config, pg_db_url, tmp_path, state, TTL_S)
        before = {r.name: ticks(state, r.name) for r in containers(state)
                  if r.lease_owner == a.owner()}
        a.proc.kill()
        a.proc.wait()
        killed_at = state.store.now()
        until(lambda: all_run_by(state, b.owner(), 10), "runner B runs every container",
              on_fail=b.output)
        until(lambda: all(ticks(state, n) > t for n, t in before.items()),
              "every container ticking again under B", on_fail=b.output)
        taken = {n: taken_over_at(state, n) for n in before}
        print(f"SIGKILL, ttl {TTL_S:g}s: the last container taken over "
              f"{(max(taken.values()) - killed_at).total_seconds():.2f}s after the kill")
        limit = killed_at + timedelta(seconds=TTL_S + 5)
        late = {n: at for n, at in taken.items() if at > limit}
        assert not late, f"taken over later than ttl + 5 s after the kill: {late}"
        assert "resuming" in b.output()
        b_code = b.stop(signal.SIGTERM)
        assert b_code == 0
        assert_each_change_sent_once(state, agents)
    finally:
        for runner in (a, b):
            if runner is not None:
                runner.close()
        state.close()


def test_sigterm_hands_the_containers_over_without_waiting_for_the_ttl(
        tmp_path: Path, shared: tuple[Path, Path, list[Agent]], pg_db_url: str) -> None:
    """A long ttl (30 s): a peer that waited for the released leases' expiry would take
    20-30 s; the notification makes it a moment."""
    folder, config, agents = shared
    ttl_s = 30.0
    state = State(pg_db_url)
    a = b = None
    try:
        a, b = start_pair(folder, config, pg_db_url, tmp_path, state, ttl_s)
        before = {r.name: ticks(state, r.name) for r in containers(state)
                  if r.lease_owner == a.owner()}
        assert a.stop(signal.SIGTERM) == 0
        stopped_at = state.store.now()
        assert a.owner() not in Runners(state.store.engine).live()  # it left
        until(lambda: all_run_by(state, b.owner(), 10), "runner B runs every container",
              timeout=ttl_s / 2, on_fail=b.output)
        taken = {n: taken_over_at(state, n) for n in before}
        print(f"SIGTERM, ttl {ttl_s:g}s: the last container taken over "
              f"{(max(taken.values()) - stopped_at).total_seconds():.2f}s after the exit")
        late = {n: at for n, at in taken.items() if at > stopped_at + timedelta(seconds=5)}
        assert not late, f"taken over more than 5 s after the hand-over: {late}"
        assert "handed it over" in "\n".join(state.messages())
        until(lambda: all(ticks(state, n) > t for n, t in before.items()),
              "every container ticking again under B", on_fail=b.output)
        assert b.stop(signal.SIGTERM) == 0
        assert_each_change_sent_once(state, agents)
    finally:
        for runner in (a, b):
            if runner is not None:
                runner.close()
        state.close()


def test_two_runners_started_together_run_each_container_exactly_once(
        tmp_path: Path, shared: tuple[Path, Path, list[Agent]], pg_db_url: str) -> None:
    """Both runners try every file at once: each claim has one winner, the loser leaves the
    file to it at once (no wait for the lease, no error) and watches it; then the runner
    that holds more hands the other its share."""
    folder, config, agents = shared
    state = State(pg_db_url)
    a = b = None
    try:
        a = Runner(folder, pg_db_url, config, tmp_path / "a.log", 30.0)
        b = Runner(folder, pg_db_url, config, tmp_path / "b.log", 30.0)

        until(lambda: held(state, a.owner(), b.owner()) == [5, 5],
              "A and B run half of the containers each",
              on_fail=lambda: f"{a.output()}\n{b.output()}")
        until(lambda: all(ticks(state, r.name) >= 2 for r in containers(state)),
              "every container ticking", on_fail=lambda: f"{a.output()}\n{b.output()}")
        for runner in (a, b):
            assert "not started" not in runner.output()
        assert a.stop(signal.SIGTERM) == 0
        assert b.stop(signal.SIGTERM) == 0
        assert_each_change_sent_once(state, agents)
    finally:
        for runner in (a, b):
            if runner is not None:
                runner.close()
        state.close()
