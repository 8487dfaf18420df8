"""The agent token never leaves the process: not in output, logs, the database or its WAL.

Two kinds of runs: ``st-run --sim`` (the token exists only in memory; we grep for anything
JWT-shaped) and ``st-run run`` with ``SPACETRADERS_TOKEN`` against an ``st-run sim``
subprocess (we grep for the token itself and for long pieces of it), including runs that
fail: a step the server refuses, a token from before a server reset, a garbage token.
Places searched: stdout/stderr of every command, the raw bytes of every file under the state
and config folders (SQLite database, ``-wal``, ``-shm``), ``status``, ``status --json``,
``logs``, ``logs --json``, ``health``.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import Sim, sim_process
from tests.prove.support import EXAMPLES, Result, st_run

JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")


def pieces(token: str, size: int = 12) -> list[str]:
    """Every ``size``-long piece of the token's payload and signature (its header is public)."""
    secret = token.split(".", 1)[1] if "." in token else token
    return [secret[i:i + size] for i in range(0, max(1, len(secret) - size + 1))]


def files_under(*folders: Path) -> dict[str, bytes]:
    """Raw bytes of every regular file under ``folders`` (database, WAL, shm, config)."""
    return {str(p): p.read_bytes() for folder in folders if folder.exists()
            for p in folder.rglob("*") if p.is_file()}


def leaks(token: str, outputs: dict[str, str], files: dict[str, bytes]) -> list[str]:
    """Where a piece of ``token`` shows up."""
    found = []
    for piece in pieces(token):
        found += [f"output of {n}" for n, text in outputs.items() if piece in text]
        found += [f"file {n}" for n, data in files.items() if piece.encode() in data]
    return sorted(set(found))


def read_everything(home: Path, *db_args: str) -> dict[str, str]:
    """What a user can print about the runs recorded in the database."""
    outputs = {}
    for args in (("status", "--all"), ("status", "--all", "--json"), ("logs",),
                 ("logs", "--json")):
        result = st_run(home, *args, *db_args)
        assert result.code == 0, result.text
        outputs[" ".join(args)] = result.text
    return outputs


@pytest.mark.slow
def test_sim_run_leaves_nothing_token_shaped_anywhere(tmp_path: Path) -> None:
    outputs = {}
    for playbook in ("trade.yaml", "route.yaml"):
        result = st_run(tmp_path, "--sim", str(EXAMPLES / playbook), timeout=180)
        assert result.code == 0, result.text
        outputs[playbook] = result.text
    outputs.update(read_everything(tmp_path, "--sim"))
    assert "COMPLETED" in outputs["status --all"]
    files = files_under(tmp_path / "state", tmp_path / "config")
    assert any(name.endswith("sim.db") for name in files), sorted(files)
    assert not [n for n, text in outputs.items() if JWT.search(text.encode())]
    assert not [n for n, data in files.items() if JWT.search(data)]


def token_run(home: Path, sim: Sim, token: str, playbook: Path, db: str) -> Result:
    return st_run(home, "run", str(playbook), "--db", db, timeout=180,
                  env={"SPACETRADERS_TOKEN": token, "ST_RUN_API_URL": sim.url})


@pytest.mark.slow
def test_token_run_against_a_sim_process_leaks_nowhere(tmp_path: Path) -> None:
    db = str(tmp_path / "state" / "runs.db")
    (tmp_path / "state").mkdir()
    refused = tmp_path / "refused.yaml"  # no market sells it here
    refused.write_text("name: refused\nship: {role: COMMAND}\nsteps:\n"
                       "  - buy: {symbol: QUANTUM_STABILIZERS, units: 1}\n")
    with sim_process(seed=1, speed=200.0) as sim:
        token = sim.register("LEAKY")
        outputs = {"trade": token_run(tmp_path, sim, token, EXAMPLES / "trade.yaml", db).text,
                   "refused": token_run(tmp_path, sim, token, refused, db).text}
        assert "trade: COMPLETED" in outputs["trade"], outputs["trade"]
        # run checks meaning as plan does, so it is refused before anything starts
        assert "does not sell QUANTUM_STABILIZERS" in outputs["refused"], outputs["refused"]
        env = {"SPACETRADERS_TOKEN": token, "ST_RUN_API_URL": sim.url}
        outputs["health"] = st_run(tmp_path, "health", "--db", db, env=env).text
        garbage = token[:-6] + "AAAAAA"  # a tampered token: the server refuses it (4104)
        outputs["garbage"] = token_run(tmp_path, sim, garbage, EXAMPLES / "route.yaml",
                                       str(tmp_path / "garbage.db")).text
        sim.send("POST", "/_sim/reset")  # the token is now from an old reset (4113)
        outputs["old-reset"] = token_run(tmp_path, sim, token, EXAMPLES / "route.yaml", db).text
    assert "4113" in outputs["old-reset"] or "reset" in outputs["old-reset"].lower(), \
        outputs["old-reset"]
    # the checks can fail: the token is JWT-shaped and found where it is
    assert JWT.search(token.encode()) and leaks(token, {"probe": f"x{token}x"}, {})
    outputs.update(read_everything(tmp_path, "--db", db))
    files = files_under(tmp_path / "state", tmp_path / "config", tmp_path / "garbage.db")
    assert any(name.endswith("runs.db-wal") or name.endswith("runs.db") for name in files)
    assert leaks(token, outputs, files) == []
    assert leaks(garbage, outputs, files) == []
    assert "Traceback" not in "".join(outputs.values())


# ---- the canary: every sink, after each failure mode -----------------------------------------

def echo_proxy(upstream: str) -> ThreadingHTTPServer:
    """A proxy to ``upstream`` that answers every state-changing request (POST) 401/4104
    quoting the Authorization header it got, as a careless server would; reads pass."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            answer = httpx.get(f"{upstream}{self.path}", headers=headers, timeout=30)
            self._reply(answer.status_code, answer.content,
                        {"Date": answer.headers.get_list("date")[-1:],
                         "x-sim-speed": answer.headers.get_list("x-sim-speed")})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            header = self.headers.get("Authorization")
            body = {"error": {"code": 4104, "message":
                              f"Invalid Authorization header: {header!r}",
                              "data": {"authorization": header}}}
            self._reply(401, json.dumps(body).encode(), {})

        do_PATCH = do_POST

        def _reply(self, status: int, data: bytes, extra: dict[str, list[str]]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, values in extra.items():
                for value in values:
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("debug", ["", "1"])
def test_canary_token_reaches_no_sink_after_any_failure(tmp_path: Path, debug: str) -> None:
    """A token with a line break inside, and a server that echoes the header (4104): the
    token is in no output (run, health, status, logs, their --json), no file (database,
    WAL) and no traceback, with and without ST_RUN_DEBUG."""
    db = str(tmp_path / "state" / "runs.db")
    (tmp_path / "state").mkdir()
    with sim_process(seed=3, speed=200.0) as sim:
        canary = sim.register("CANARY")
        proxy = echo_proxy(sim.url)
        try:
            outputs = canary_runs(tmp_path, canary, f"http://127.0.0.1:"
                                  f"{proxy.server_address[1]}", db, debug)
        finally:
            proxy.shutdown()
            proxy.server_close()
    outputs.update(read_everything(tmp_path, "--db", db))
    assert "4104" in outputs["logs"] and "4104" in outputs["status --all --json"], outputs
    files = files_under(tmp_path / "state", tmp_path / "config")
    assert any(name.endswith("runs.db") for name in files)
    assert leaks(canary, {"probe": f"x{canary}x"}, {}), "the check itself can fail"
    assert leaks(canary, outputs, files) == []
    assert "Traceback" not in "".join(outputs.values())


def canary_runs(home: Path, canary: str, url: str, db: str, debug: str) -> dict[str, str]:
    """``run`` and ``health`` with the canary broken by a line break, then whole against
    the echoing server; what each printed."""
    half = len(canary) // 2
    playbook = home / "canary.yaml"  # its first POST (orbit) is answered with the echo
    playbook.write_text("name: canary\nship: {role: COMMAND}\nrestart: 'no'\nsteps:\n"
                        "  - orbit\n  - dock\n")
    outputs: dict[str, str] = {}
    for name, token in (("crlf", f"{canary[:half]}\r\n{canary[half:]}"),
                        ("lf", canary.replace(".", "\n", 1)), ("echo", canary)):
        env = {"SPACETRADERS_TOKEN": token, "ST_RUN_API_URL": url, "ST_RUN_DEBUG": debug,
               "ST_RUN_DB": db}
        run = st_run(home, "run", str(playbook), env=env, timeout=120)
        health = st_run(home, "health", env=env)
        outputs[f"run {name}"], outputs[f"health {name}"] = run.text, health.text
        if name == "echo":
            assert run.code == 1 and "4104" in run.text, run.text
            assert health.code == 0, health.text  # reads pass the proxy
        else:  # one clear line, exit 2, and it does not print the token
            for result in (run, health):
                assert result.code == 2, result.text
                lines = result.err.strip().splitlines()
                assert len(lines) == 1 and "line break" in lines[0], result.err
                assert "SPACETRADERS_TOKEN" in lines[0]
    return outputs
