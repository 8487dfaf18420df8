"""Bench: the runner's Postgres goes away for 30 s in the middle of a run.

The machine's Postgres is shared, so it is not restarted: the runner reaches it through a
small TCP proxy in this script (asyncio, in a thread), and the proxy is "cut" for
``--outage`` seconds: every open connection is aborted and new ones are closed at once, as
if the server had gone down. Then it lets connections through again.

The playbook (``--iterations`` rounds of orbit, dock, a numbered log line and a 1 s wait,
on ``st-run sim --speed 1``) is run by ``st-run run --db postgresql+psycopg://...@proxy``;
the cut starts ``--cut-after`` seconds after the third round began (checkpoints exist).
Reported: whether the runner process survived the outage, its exit code, what it printed
during the outage, the seconds from the end of the outage to the next state change, the
container's final status, and from the ledger and the database: orbits and docks (each round
exactly one of each, alternating), and the log lines of every round present (no checkpoint
lost). When the runner died, it is run again once the database is back (as systemd or a
shell loop would), and that rerun is reported too.

Usage: ``.venv/bin/python bench/db_outage.py [--outage 30] [--iterations 40] [--cut-after 0.5]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.support import Sim, sim_process  # noqa: E402

PG_URL = os.environ.get("ST_RUN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PLAYBOOK = """\
name: outage
ship: {{role: COMMAND}}
restart: on-failure:5
steps:
  - repeat:
      times: {iterations}
      steps:
        - orbit
        - dock
        - log: "round {{{{ loop.index }}}}"
        - wait: 1s
"""


class Proxy:
    """A TCP proxy to ``host:port`` that can be cut (all connections dropped) and restored."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cut = False
        self.listen_port = 0
        self.connections = 0
        self.refused = 0
        self._open: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop).result()
        self.listen_port = server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def set_cut(self, cut: bool) -> None:
        def apply() -> None:
            self.cut = cut
            if cut:
                for writer in list(self._open):
                    writer.transport.abort()  # an RST, as from a server that went away
                self._open.clear()
        self._loop.call_soon_threadsafe(apply)

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
                      ) -> None:
        if self.cut:
            self.refused += 1
            client_w.transport.abort()
            return
        self.connections += 1
        try:
            server_r, server_w = await asyncio.open_connection(self.host, self.port)
        except OSError:
            client_w.transport.abort()
            return
        self._open |= {client_w, server_w}
        await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w))
        self._open -= {client_w, server_w}

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """A fresh database on the shared server; yields its name, dropped afterwards."""
    name = f"strun_outage_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def mutations(sim: Sim, agent: str) -> list[tuple[float, str]]:
    """(seconds since now-relative order, action) of the agent's orbit/dock changes."""
    return [(entry["seq"], entry["path"].rsplit("/", 1)[-1]) for entry in sim.ledger()
            if entry["agent"] == agent and entry["path"].endswith(("/orbit", "/dock"))]


def run(outage: float, iterations: int, cut_after: float, *, rerun: bool = True) -> int:
    """Run the scenario, print what happened; 0 when the runner survived, else 1."""
    url = sa.make_url(PG_URL)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    agent = "OUTAGE"
    with tempfile.TemporaryDirectory(prefix="st-outage-") as tmp, pg_database() as dbname, \
            sim_process(seed=1, speed=1.0) as sim:
        home = Path(tmp)
        playbook = home / "outage.yaml"
        playbook.write_text(PLAYBOOK.format(iterations=iterations))
        db = url.set(port=proxy.listen_port, database=dbname).render_as_string(
            hide_password=False)
        token = sim.register(agent)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ST_RUN_", "SPACETRADERS"))}
        env.update(SPACETRADERS_TOKEN=token, ST_RUN_API_URL=sim.url, PYTHONUNBUFFERED="1",
                   XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_HOME=str(home / "config"))
        log = home / "runner.log"
        with log.open("wb") as out:
            runner = subprocess.Popen([sys.executable, "-m", "runner", "run", str(playbook),
                                       "--db", db], cwd=REPO, env=env, stdout=out,
                                      stderr=subprocess.STDOUT)
        # cut once the run is under way (a few rounds checkpointed), not during start-up
        started = time.monotonic()
        while len(mutations(sim, agent)) < 6 and runner.poll() is None \
                and time.monotonic() - started < 120:
            time.sleep(0.1)
        time.sleep(cut_after)
        before = len(mutations(sim, agent))
        printed_before = len(log.read_text(errors="replace"))
        proxy.set_cut(True)
        cut_at = time.monotonic()
        print(f"db_outage: cut the database for {outage:.0f}s, {cut_after:.1f}s after the "
              f"third round started ({before} state changes so far)", flush=True)
        alive_during = True
        while time.monotonic() - cut_at < outage:
            alive_during = alive_during and runner.poll() is None
            time.sleep(0.2)
        during = len(mutations(sim, agent)) - before
        proxy.set_cut(False)
        restored = time.monotonic()
        resumed_after = None
        count = len(mutations(sim, agent))
        code: int | None = None
        deadline = restored + max(180.0, iterations * 4.0)
        while time.monotonic() < deadline:
            if resumed_after is None and len(mutations(sim, agent)) > count:
                resumed_after = time.monotonic() - restored
            code = runner.poll()
            if code is not None:
                break
            time.sleep(0.2)
        if code is None:
            runner.kill()
            runner.wait()
        output = log.read_text(errors="replace")
        rerun_code: int | None = None
        if code != 0 and rerun:  # it died: what systemd or a shell loop would do next
            with (home / "rerun.log").open("wb") as out:
                rerun_code = subprocess.Popen(
                    [sys.executable, "-m", "runner", "run", str(playbook), "--db", db],
                    cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT).wait(timeout=600)
            rerun_text = (home / "rerun.log").read_text(errors="replace").strip()
            print("  rerun output: " + " | ".join(rerun_text.splitlines()[:3]))
        if os.environ.get("DB_OUTAGE_SHOW"):
            print(output)
        changes = [kind for _, kind in mutations(sim, agent)]
        final, rounds = container_state(url.set(database=dbname).render_as_string(
            hide_password=False), iterations)
    proxy.stop()
    alternating = all(kind == ("orbit" if i % 2 == 0 else "dock")
                      for i, kind in enumerate(changes))
    print(f"  runner alive through the outage: {alive_during}; state changes during it: "
          f"{during}; proxy refused {proxy.refused} connection attempts")
    print("  runner output during the outage: "
          + (" | ".join(output[printed_before:].strip().splitlines()[:6]) or "(nothing)"))
    print(f"  first state change {resumed_after:.1f}s after the database came back"
          if resumed_after is not None else "  no state change after the database came back")
    print(f"  exit code {code if code is not None else 'none (killed: no end)'}; "
          f"container {final}; orbits {changes.count('orbit')}, docks {changes.count('dock')} "
          f"for {iterations} rounds, alternating: {alternating}; round log lines in the "
          f"database: {len(rounds)} for {iterations} rounds ({len(set(rounds))} distinct)")
    if rerun_code is not None:
        print(f"  the runner died; a rerun after the outage exited {rerun_code}")
    ok = (code == 0 and final == "COMPLETED" and alternating
          and changes.count("orbit") == iterations == changes.count("dock")
          and set(rounds) == set(range(1, iterations + 1)))
    print(f"db_outage: {'survived' if ok else 'DID NOT survive'} a {outage:.0f}s database "
          f"outage (alive during it: {alive_during}, exit {code}, rerun exit {rerun_code}, "
          f"final {final}, "
          f"{len(set(rounds))}/{iterations} rounds logged, each state change once: "
          f"{alternating and changes.count('orbit') == iterations})")
    return 0 if ok else 1


def container_state(db: str, iterations: int) -> tuple[str, list[int]]:
    """(status, round numbers logged) read directly from the database."""
    from runner.state.store import Store

    store = Store.open(db)
    try:
        status = store.require_container("outage").status.value
        rounds = [int(r.message.split()[1]) for r in store.logs("outage", limit=None)
                  if r.message.startswith("round ")]
        return status, rounds
    except Exception as exc:  # report it rather than hide the figures above
        return f"unreadable ({type(exc).__name__}: {exc})", []
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--cut-after", type=float, default=0.5,
                        help="seconds after the third round started")
    args = parser.parse_args()
    return run(args.outage, args.iterations, args.cut_after)


if __name__ == "__main__":
    sys.exit(main())
