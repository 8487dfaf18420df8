"""Helpers for end-to-end tests: ``st-run sim`` and ``st-run run`` as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
ST_RUN = [sys.executable, "-m", "runner"]


@dataclass
class Sim:
    """A running ``st-run sim`` subprocess."""

    url: str
    process: subprocess.Popen[str]

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def send(self, method: str, path: str, body: Mapping[str, Any] | None = None,
             token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.request(method, f"{self.url}{path}", json=body or {}, headers=headers,
                                 timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def register(self, symbol: str, faction: str = "COSMIC") -> str:
        """A new agent's token."""
        return str(self.send("POST", "/register", {"symbol": symbol, "faction": faction})["token"])

    def ledger(self, since: int = 0) -> list[dict[str, Any]]:
        return list(self.get("/_sim/ledger", since=since))

    def faults(self, spec: str) -> None:
        self.send("PUT", "/_sim/faults", {"spec": spec})

    def credits(self, agent: str, credits: int) -> None:
        self.send("PUT", f"/_sim/agents/{agent}/credits", {"credits": credits})

    def patch_ship(self, ship: str, **changes: Any) -> Any:
        return self.send("PATCH", f"/_sim/ships/{ship}", changes)

    def ship(self, token: str, symbol: str) -> Any:
        response = httpx.get(f"{self.url}/my/ships/{symbol}",
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def agent(self, token: str) -> Any:
        response = httpx.get(f"{self.url}/my/agent",
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
        response.raise_for_status()
        return response.json()["data"]


@contextmanager
def sim_process(*, seed: int = 1, speed: float = 50.0, extra: Sequence[str] = ()
                ) -> Iterator[Sim]:
    """``st-run sim --port 0`` in a subprocess, without rate limits unless ``extra`` says."""
    args = [*ST_RUN, "sim", "--port", "0", "--seed", str(seed), "--speed", str(speed), *extra]
    if not any(a.startswith("--rate-limit") for a in extra):
        args.append("--no-rate-limit")
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"st-run sim did not start: {line!r} "
                               f"{process.stderr.read() if process.stderr else ''}")
        yield Sim(line.rsplit(" ", 1)[1].strip(), process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def runner_env(sim: Sim, token: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(ST_RUN_API_URL=sim.url, SPACETRADERS_TOKEN=token, PYTHONUNBUFFERED="1")
    env.pop("ST_RUN_DB", None)
    return env


def start_runner(sim: Sim, token: str, playbook: Path, db: str, *args: str
                 ) -> subprocess.Popen[str]:
    """``st-run run PLAYBOOK --db DB`` against ``sim`` as the agent of ``token``."""
    return subprocess.Popen([*ST_RUN, "run", str(playbook), "--db", db, *args], cwd=REPO,
                            env=runner_env(sim, token), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def run_runner(sim: Sim, token: str, playbook: Path, db: str, *args: str,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``st-run run`` to its end."""
    return subprocess.run([*ST_RUN, "run", str(playbook), "--db", db, *args], cwd=REPO,
                          env=runner_env(sim, token), capture_output=True, text=True,
                          timeout=timeout)


def wait_for(predicate: Any, timeout: float = 60, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy (a failure after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def state_changes(ledger: Sequence[Mapping[str, Any]], agent: str) -> list[tuple[str, str]]:
    """The agent's accepted state changes as (method, path) with the body's key values."""
    out = []
    for entry in ledger:
        if entry.get("agent") != agent:
            continue
        body = entry.get("body") or {}
        detail = ",".join(f"{k}={body[k]}" for k in sorted(body)) if isinstance(body, dict) \
            else ""
        out.append((f"{entry['method']} {entry['path']}", detail))
    return out
