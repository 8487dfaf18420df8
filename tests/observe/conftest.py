"""A fleet running on the simulator with ``--metrics`` and ``--dashboard``, shared by the
scrape and browser tests of this folder. Package scope: starting one costs ~15 s (the runtime
reads every market of the system at the real rate limit); the browser test, in
``test_web_dashboard.py``, runs last because it stops a container."""

from __future__ import annotations

import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.support import ST_RUN, Sim, runner_env, sim_process

REPO = Path(__file__).resolve().parents[2]

LONG_PLAYBOOK = """\
name: long
ship: {role: COMMAND}
steps:
  - navigate: {nearest: {traits: [MARKETPLACE], sells: FUEL, not_here: true}}
  - dock
  - refuel
  - scan_market
  - wait: 6h
  - log: done
"""


@dataclass
class Fleet:
    """The running ``st-run run`` with its simulator, agent token and served URLs."""

    sim: Sim
    token: str
    agent: str
    db: str
    process: subprocess.Popen[str]
    metrics_url: str
    dashboard_url: str
    output: list[str]

    def ships(self) -> list[str]:
        """The agent's ships, asked as the runner's neighbour: the simulator's real rate
        limit (and its injected 429s) apply, so a 429 is waited out and asked again."""
        import time

        import httpx

        for _ in range(30):
            response = httpx.get(f"{self.sim.url}/my/ships", timeout=10,
                                 headers={"Authorization": f"Bearer {self.token}"})
            if response.status_code != 429:
                break
            time.sleep(float(response.headers.get("retry-after", "1") or 1))
        response.raise_for_status()
        return sorted(s["symbol"] for s in response.json()["data"])

    def st_run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Another ``st-run`` command against the same database."""
        return subprocess.run([*ST_RUN, *args, "--db", self.db], cwd=REPO, text=True,
                              capture_output=True, env=runner_env(self.sim, self.token),
                              timeout=60)


def _served(process: subprocess.Popen[str], output: list[str]) -> tuple[str, str]:
    """Read the runner's output until both URLs are announced, then keep draining it in a
    thread (a full pipe would block the runner)."""
    urls: dict[str, str] = {}
    assert process.stdout is not None
    stream = process.stdout
    while len(urls) < 2:
        line = stream.readline()
        if not line:
            raise AssertionError("st-run ended before serving: " + "".join(output))
        output.append(line)
        found = re.search(r"(metrics|dashboard) at (http://\S+)", line)
        if found:
            urls[found.group(1)] = found.group(2)
    threading.Thread(target=lambda: output.extend(stream), daemon=True).start()
    return urls["metrics"], urls["dashboard"]


@pytest.fixture(scope="package")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Two playbooks on the simulator (real rate limits, 2% bare 429s injected): ``long``
    (flies, then waits 6 game hours) and the example ``tour`` (the probe)."""
    tmp = tmp_path_factory.mktemp("fleet")
    long_path = tmp / "long.yaml"
    long_path.write_text(LONG_PLAYBOOK)
    db = str(tmp / "state.db")
    with sim_process(speed=20.0, extra=["--rate-limit", "2/1s,30/60s",
                                        "--faults", "429:2%,seed=7"]) as sim:
        agent = "OBSERVER"
        token = sim.register(agent)
        args = [*ST_RUN, "run", str(long_path), str(REPO / "playbooks" / "tour.yaml"),
                "--db", db, "--metrics", "127.0.0.1:0", "--dashboard", ":0"]
        process = subprocess.Popen(args, cwd=REPO, env=runner_env(sim, token),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output: list[str] = []
        try:
            metrics_url, dashboard_url = _served(process, output)
            yield Fleet(sim, token, agent, db, process, metrics_url, dashboard_url, output)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
