"""Drive a ship over a real loopback socket against ``st-run sim`` in a subprocess."""

from __future__ import annotations

import math
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from runner.sim.clock import parse_iso
from tests.support.openapi import SpecValidator
from tests.support.simproc import start_sim_process


class Client:
    """A tiny spec-checking client: what a real bot does, one request at a time."""

    def __init__(self, http: httpx.Client, spec: SpecValidator) -> None:
        self.http, self.spec = http, spec

    def __call__(self, method: str, path: str, **kw: Any) -> Any:
        response = self.http.request(method, path, **kw)
        body = response.json() if response.content else None
        self.spec.validate_response(method, path, response.status_code, body)
        assert response.status_code < 300, response.text
        self.last = response
        return body["data"] if body else None


def _nearest_fuel_market(call: Client, system: str, hq: str) -> str:
    here = call("GET", f"/systems/{system}/waypoints/{hq}")
    markets = []
    page = 1
    while True:
        found = call("GET", f"/systems/{system}/waypoints",
                     params={"traits": "MARKETPLACE", "limit": 20, "page": page})
        markets += [w for w in found if (w["x"], w["y"]) != (here["x"], here["y"])]
        if len(found) < 20:
            break
        page += 1
    markets.sort(key=lambda w: math.hypot(w["x"] - here["x"], w["y"] - here["y"]))
    for wp in markets:
        market = call("GET", f"/systems/{system}/waypoints/{wp['symbol']}/market")
        if any(g["symbol"] == "FUEL" for g in market["exchange"]):
            return str(wp["symbol"])
    raise AssertionError("no fuel market")


@pytest.mark.slow
def test_orbit_navigate_arrive_dock_refuel_buy_sell_in_subprocess(spec: SpecValidator) -> None:
    with start_sim_process("--seed", "2", "--speed", "50", "--no-rate-limit") as (_, url), \
            httpx.Client(base_url=url, timeout=10) as http:
        call = Client(http, spec)
        reg = call("POST", "/register", json={"symbol": "LOOPER", "faction": "COSMIC"})
        http.headers["Authorization"] = f"Bearer {reg['token']}"
        ship, hq = "LOOPER-1", reg["agent"]["headquarters"]
        system = reg["ships"][0]["nav"]["systemSymbol"]
        target = _nearest_fuel_market(call, system, hq)

        assert call("POST", f"/my/ships/{ship}/orbit")["nav"]["status"] == "IN_ORBIT"
        moved = call("POST", f"/my/ships/{ship}/navigate", json={"waypointSymbol": target})
        assert moved["nav"]["status"] == "IN_TRANSIT" and moved["fuel"]["current"] < 400
        speed = float(call.last.headers["x-sim-speed"])
        server_now = parsedate_to_datetime(call.last.headers["date"]).timestamp()
        wall_wait = (parse_iso(moved["nav"]["route"]["arrival"]) - server_now) / speed
        time.sleep(max(0.0, wall_wait) + 0.2)
        for _ in range(50):  # the server updates lazily: re-read until it reports arrival
            nav = call("GET", f"/my/ships/{ship}/nav")
            if nav["status"] != "IN_TRANSIT":
                break
            time.sleep(0.1)
        assert nav["status"] == "IN_ORBIT" and nav["waypointSymbol"] == target

        assert call("POST", f"/my/ships/{ship}/dock")["nav"]["status"] == "DOCKED"
        refuel = call("POST", f"/my/ships/{ship}/refuel")
        assert refuel["fuel"]["current"] == 400
        credits = refuel["agent"]["credits"]
        market = call("GET", f"/systems/{system}/waypoints/{target}/market")
        good = min(market["tradeGoods"], key=lambda g: g["purchasePrice"])
        bought = call("POST", f"/my/ships/{ship}/purchase",
                      json={"symbol": good["symbol"], "units": 2})
        assert bought["cargo"]["units"] == 2
        assert bought["agent"]["credits"] == credits - bought["transaction"]["totalPrice"]
        sold = call("POST", f"/my/ships/{ship}/sell", json={"symbol": good["symbol"], "units": 2})
        assert sold["cargo"]["units"] == 0
        assert sold["agent"]["credits"] == (bought["agent"]["credits"]
                                            + sold["transaction"]["totalPrice"])

        ledger = http.get("/_sim/ledger").json()["data"]
        assert [e["path"].rsplit("/", 1)[-1] for e in ledger] == [
            "register", "orbit", "navigate", "dock", "refuel", "purchase", "sell"]


def test_bad_options_exit_2_with_one_line() -> None:
    import subprocess
    import sys

    for args in (["--rate-limit", "nope"], ["--faults", "500:x"],
                 ["--rate-limit", "2/1s", "--no-rate-limit"], ["--universe", "/no/such.json"],
                 ["--speed", "0"], ["--port", "70000"], ["--seed", "x"]):
        done = subprocess.run([sys.executable, "-m", "runner", "sim", "--port", "0", *args],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and not done.stdout
        if args != ["--seed", "x"]:  # click's own type errors add a usage line
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_universe_file_in_subprocess(samples_dir: Any, spec: SpecValidator) -> None:
    snapshot = samples_dir / "X1-AD75_universe_snapshot_2025-04.json"
    with start_sim_process("--universe", str(snapshot)) as (_, url), \
            httpx.Client(base_url=url) as http:
        system = Client(http, spec)("GET", "/systems/X1-AD75")
        assert len(system["waypoints"]) == 82


def test_cli_galaxy_and_account_token_options(live_spec: Any) -> None:
    """``--systems``, ``--require-account-token`` and ``--rate-limit-per-ip`` reach the server."""
    with start_sim_process("--systems", "250", "--require-account-token",
                           "--rate-limit-per-ip", "--rate-limit", "50/1s") as (_, url), \
            httpx.Client(base_url=url, timeout=10) as http:
        listed = Client(http, live_spec)("GET", "/systems")
        assert len(listed) == 10
        assert http.get("/systems").json()["meta"]["total"] == 250
        refused = http.post("/register", json={"symbol": "NOACC", "faction": "COSMIC"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == 4116
        account = http.post("/_sim/accounts", json={}).json()["data"]["token"]
        agent = http.post("/register", json={"symbol": "WITHACC", "faction": "COSMIC"},
                          headers={"Authorization": f"Bearer {account}"})
        assert agent.status_code == 201, agent.text
        assert agent.headers["x-ratelimit-type"] == "IP_ADDRESS"
