"""A real ``st-run watch`` process survives a server reset of a real ``st-run sim``.

The simulator requires an account token to register (as the live server does). Mid-run the
simulator's reset control wipes agents, ships and tokens; the watcher must notice (4113 or a
changed ``resetDate``), stop the agent's containers, register the agent again with the
account token, save the new token, and run every playbook again in the new universe, with
no person involved. Without an account token it says what to do and keeps running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.api import Token
from runner.config import AgentEntry, UserConfig, load_config, save_config
from tests.support.simproc import start_sim_process
from tests.watch.procs import REPO, WAIT_S, State, ledger, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

PATROL = """\
name: patrol
ship: {role: COMMAND}
restart: always
steps:
  - repeat:
      forever: true
      steps:
        - orbit
        - log: "patrol tick {{ loop.index }}"
        - dock
        - wait: 5s
"""

ONCE = """\
name: once
ship: {role: SATELLITE}
steps:
  - orbit
  - dock
"""


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with start_sim_process("--speed", "20", "--no-rate-limit",
                           "--require-account-token") as (_, url):
        yield url


def _account(url: str) -> str:
    answer = httpx.post(f"{url}/_sim/accounts", json={"email": "a@b.c"}, timeout=30)
    answer.raise_for_status()
    token: str = answer.json()["data"]["token"]
    return token


def _register(url: str, symbol: str, account: str) -> str:
    answer = httpx.post(f"{url}/register", json={"symbol": symbol, "faction": "COSMIC"},
                        headers={"Authorization": f"Bearer {account}"}, timeout=30)
    answer.raise_for_status()
    token: str = answer.json()["data"]["token"]
    return token


def _agent_answer(url: str, token: str) -> dict[str, Any]:
    answer = httpx.get(f"{url}/my/agent", headers={"Authorization": f"Bearer {token}"},
                       timeout=30)
    body: dict[str, Any] = answer.json()
    return body


class Watch:
    """``st-run watch DIR`` (or ``run`` with ``args``) with a config file of saved agents
    (no SPACETRADERS_TOKEN); its terminal output goes to ``log``."""

    def __init__(self, folder: Path, db: Path, config: Path, log: Path,
                 account: str | None, args: tuple[str, ...] = ()) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "ST_RUN_CONFIG": str(config),
               "ST_RUN_RESET_CHECK_S": "1"}
        for name in ("SPACETRADERS_TOKEN", "ST_RUN_API_URL", "ST_RUN_DB",
                     "SPACETRADERS_ACCOUNT_TOKEN"):
            env.pop(name, None)
        if account is not None:
            env["SPACETRADERS_ACCOUNT_TOKEN"] = account
        self.log = log
        self._err = log.open("a")
        command = args or ("watch", str(folder))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", *command, "--db", str(db)],
            cwd=REPO, env=env, stdout=self._err, stderr=self._err, text=True)

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=WAIT_S)
        finally:
            self._err.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._err.close()


@pytest.fixture
def setup(sim_url: str, tmp_path: Path) -> tuple[Path, Path, Path, str]:
    """(folder, db, config, account token); resets the simulator first, so each test
    starts in a universe of its own."""
    httpx.post(f"{sim_url}/_sim/reset", timeout=30).raise_for_status()
    account = _account(sim_url)
    token = _register(sim_url, "ALPHA", account)
    config = tmp_path / "config.toml"
    save_config(UserConfig({"alpha": AgentEntry("ALPHA", Token(token), "COSMIC", sim_url)},
                           "alpha"), config)
    folder = tmp_path / "fleet"
    folder.mkdir()
    (folder / "patrol.yaml").write_text(PATROL)
    (folder / "once.yaml").write_text(ONCE)
    return folder, tmp_path / "state.db", config, account


def _status(db: Path) -> dict[str, dict[str, Any]]:
    """``st-run status --all --json``, by container name."""
    out = subprocess.run([sys.executable, "-m", "runner", "status", "--all", "--json",
                          "--db", str(db)], cwd=REPO, capture_output=True, text=True,
                         timeout=WAIT_S, check=True)
    return {c["name"]: c for c in json.loads(out.stdout)}


def _ran_before_reset(state: State) -> bool:
    once, patrol = state.container("once"), state.container("patrol")
    ticks = [m for m in state.messages("patrol") if "patrol tick 2" in m]
    return bool(once and once.status.value == "COMPLETED" and patrol
                and patrol.status.value == "RUNNING" and ticks)


def _loops_afresh(state: State) -> bool:
    """The patrol's log shows its second loop after it started afresh."""
    lines = state.messages("patrol")
    starts = [i for i, m in enumerate(lines) if "afresh in the new universe" in m]
    return bool(starts) and any("patrol tick 2" in m for m in lines[starts[-1]:])


BETA = """\
name: beta
agent: beta
ship: {role: COMMAND}
steps:
  - repeat:
      forever: true
      steps:
        - orbit
        - dock
        - wait: 5s
"""


def test_a_reset_mid_run_re_registers_and_runs_every_playbook_again(
        sim_url: str, setup: tuple[Path, Path, Path, str], tmp_path: Path) -> None:
    """Agent alpha is registered again; agent beta, saved without its faction (an old
    config file), cannot be: one line says so and alpha runs on."""
    folder, db, config, account = setup
    saved = load_config(config)
    old_token = saved.agents["alpha"].token.reveal()
    beta = AgentEntry("BETA", Token(_register(sim_url, "BETA", account)), "", sim_url)
    save_config(saved.with_agent("beta", beta, make_default=False), config)
    (folder / "beta.yaml").write_text(BETA)
    state = State(db)
    watch = Watch(folder, db, config, tmp_path / "watch.log", account)
    try:
        until(lambda: _ran_before_reset(state), "both playbooks ran before the reset",
              timeout=120, on_fail=watch.output)
        before = len(ledger(sim_url))
        httpx.post(f"{sim_url}/_sim/reset", timeout=30).raise_for_status()

        until(lambda: "started 2 playbook(s) afresh" in watch.output(),
              "the watcher started both playbooks afresh", timeout=120, on_fail=watch.output)
        new_changes = lambda: ledger(sim_url)[before:]  # noqa: E731
        # every playbook ran again in the new universe: the one-shot completed again and
        # the patrol loops again, both by the new agent's requests
        until(lambda: (r := state.container("once")) and r.status.value == "COMPLETED"
              and {e["ship"] for e in new_changes()} >= {"ALPHA-1", "ALPHA-2"},
              "both ships changed state in the new universe", timeout=120,
              on_fail=watch.output)
        until(lambda: _loops_afresh(state), "the patrol loops again", on_fail=watch.output)
        assert watch.proc.poll() is None
        assert watch.stop() == 0
    finally:
        watch.kill()
        state.close()
    out = watch.output()
    assert "Traceback" not in out
    for stage in ("agent alpha: server reset detected", "agent alpha: stopping",
                  "agent alpha: re-registered as ALPHA (COSMIC); new token saved to",
                  "agent alpha: started 2 playbook(s) afresh in the new universe",
                  "agent beta: server reset detected",
                  "agent beta: its faction is not saved in the config file: run `st-run "
                  "register BETA --faction F --force`"):
        assert sum(stage in line for line in out.splitlines()) == 1, (stage, out)
    assert "agent beta: started" not in out
    new_token = load_config(config).agents["alpha"].token.reveal()
    assert new_token != old_token
    assert _agent_answer(sim_url, new_token)["data"]["symbol"] == "ALPHA"
    assert _agent_answer(sim_url, old_token)["error"]["code"] == 4113
    # the old runs are marked as the old universe's in their logs; the new ones ran afresh
    for name in ("once", "patrol"):
        assert any("belongs to the old universe" in m for m in state.messages(name)), name
    status = _status(db)
    assert status["once"]["status"] == "COMPLETED"
    assert status["patrol"]["status"] == "STOPPED"  # by the SIGTERM, after looping again
    assert "belongs to the old universe" in status["beta"]["last_error"]


def test_without_an_account_token_one_line_says_what_to_do(
        sim_url: str, setup: tuple[Path, Path, Path, str], tmp_path: Path) -> None:
    """The watcher runs on; once the user registers the agent (``st-run register --force``
    saves the new token in the config file), it takes the token up by itself."""
    folder, db, config, account = setup
    state = State(db)
    watch = Watch(folder, db, config, tmp_path / "watch.log", None)
    try:
        until(lambda: _ran_before_reset(state), "both playbooks ran before the reset",
              timeout=120, on_fail=watch.output)
        httpx.post(f"{sim_url}/_sim/reset", timeout=30).raise_for_status()
        until(lambda: "no account token" in watch.output(), "the line saying what to do",
              timeout=120, on_fail=watch.output)
        assert watch.proc.poll() is None  # the watcher runs on
        # nothing of the old universe is resumed: stopped, with its progress dropped
        assert _status(db)["patrol"]["status"] == "STOPPED"
        assert state.checkpoints(state.container("patrol").id) == 0  # type: ignore[union-attr]
        token = _register(sim_url, "ALPHA", account)  # what `st-run register --force` does
        save_config(UserConfig({"alpha": AgentEntry("ALPHA", Token(token), "COSMIC",
                                                    sim_url)}, "alpha"), config)
        until(lambda: "started 2 playbook(s) afresh" in watch.output(),
              "the playbooks started afresh with the saved token", on_fail=watch.output)
        assert watch.stop() == 0
    finally:
        watch.kill()
        state.close()
    out = watch.output()
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if "no account token" in line]
    assert len(lines) == 1 and "SPACETRADERS_ACCOUNT_TOKEN" in lines[0], out
    assert "agent alpha: re-registered as ALPHA elsewhere; using the new token saved in" in out


def _completed_again(sim_url: str, state: State, before: int) -> bool:
    once = state.container("once")
    return bool(once and once.status.value == "COMPLETED"
                and any(e.get("ship") == "ALPHA-2" for e in ledger(sim_url)[before:]))


def test_a_changed_reset_date_is_noticed_while_nothing_runs(
        sim_url: str, setup: tuple[Path, Path, Path, str], tmp_path: Path) -> None:
    """No request could answer 4113 (the only playbook completed): ``GET /`` tells."""
    folder, db, config, account = setup
    (folder / "patrol.yaml").unlink()
    state = State(db)
    watch = Watch(folder, db, config, tmp_path / "watch.log", account)
    try:
        until(lambda: (r := state.container("once")) and r.status.value == "COMPLETED",
              "the one-shot completed", timeout=120, on_fail=watch.output)
        until(lambda: "ALPHA" in watch.output(), "the watcher is up", on_fail=watch.output)
        before = len(ledger(sim_url))
        # a reset on a later day (resetDate is a date, as on the live server)
        httpx.post(f"{sim_url}/_sim/clock", json={"advance": 86400},
                   timeout=30).raise_for_status()
        httpx.post(f"{sim_url}/_sim/reset", timeout=30).raise_for_status()
        until(lambda: "started 1 playbook(s) afresh" in watch.output(),
              "the one-shot started afresh", timeout=120, on_fail=watch.output)
        until(lambda: _completed_again(sim_url, state, before),
              "the one-shot completed in the new universe", on_fail=watch.output)
        assert watch.stop() == 0
    finally:
        watch.kill()
        state.close()
    out = watch.output()
    assert "Traceback" not in out
    assert "agent alpha: server reset detected (the server's resetDate changed from" in out


def test_a_reset_while_the_watcher_was_down_is_survived_at_its_restart(
        sim_url: str, setup: tuple[Path, Path, Path, str], tmp_path: Path) -> None:
    folder, db, config, account = setup
    state = State(db)
    first = Watch(folder, db, config, tmp_path / "first.log", account)
    try:
        until(lambda: _ran_before_reset(state), "both playbooks ran before the reset",
              timeout=120, on_fail=first.output)
        assert first.stop() == 0
    finally:
        first.kill()
    before = len(ledger(sim_url))
    httpx.post(f"{sim_url}/_sim/reset", timeout=30).raise_for_status()
    second = Watch(folder, db, config, tmp_path / "second.log", account)
    try:
        until(lambda: "started 2 playbook(s) afresh" in second.output(),
              "both playbooks started afresh", timeout=120, on_fail=second.output)
        until(lambda: _completed_again(sim_url, state, before),
              "the one-shot completed in the new universe", on_fail=second.output)
        until(lambda: _loops_afresh(state), "the patrol loops again", on_fail=second.output)
        assert second.stop() == 0
    finally:
        second.kill()
        state.close()
    out = second.output()
    assert "Traceback" not in out
    assert "agent alpha: re-registered as ALPHA (COSMIC)" in out


def test_a_long_run_survives_a_reset_too(
        sim_url: str, setup: tuple[Path, Path, Path, str], tmp_path: Path) -> None:
    """``st-run run`` (foreground) re-registers and starts its playbooks afresh."""
    folder, db, config, account = setup
    state = State(db)
    run = Watch(folder, db, config, tmp_path / "run.log", account,
                ("run", str(folder / "patrol.yaml"), str(folder / "once.yaml")))
    try:
        until(lambda: _ran_before_reset(state), "both playbooks ran before the reset",
              timeout=120, on_fail=run.output)
        before = len(ledger(sim_url))
        httpx.post(f"{sim_url}/_sim/reset", timeout=30).raise_for_status()
        until(lambda: "started 2 playbook(s) afresh" in run.output(),
              "both playbooks started afresh", timeout=120, on_fail=run.output)
        until(lambda: _completed_again(sim_url, state, before),
              "the one-shot completed in the new universe", on_fail=run.output)
        assert run.proc.poll() is None  # the patrol loops on
        assert run.stop() == 130  # interrupted
    finally:
        run.kill()
        state.close()
    out = run.output()
    assert "Traceback" not in out
    assert "agent alpha: re-registered as ALPHA (COSMIC)" in out, out
