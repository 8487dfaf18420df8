"""First checks of the simulator: registration, the starting fleet, headers, a loopback socket."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from tests.sim.helpers import Checked, error_code
from tests.support.openapi import SpecValidator


def test_register_grants_frigate_probe_credits_and_contract(sim_app: Any,
                                                            spec: SpecValidator) -> None:
    client = Checked(sim_app, spec)
    data = client.register("BADGER")
    assert data["agent"]["credits"] == 175_000
    frigate, probe = data["ships"]
    assert frigate["symbol"] == "BADGER-1" and probe["symbol"] == "BADGER-2"
    assert frigate["registration"]["role"] == "COMMAND"
    assert frigate["fuel"] == {"current": 400, "capacity": 400}
    assert frigate["engine"]["speed"] == 36 and frigate["cargo"]["capacity"] == 40
    mounts = {m["symbol"] for m in frigate["mounts"]}
    assert {"MOUNT_MINING_LASER_II", "MOUNT_SURVEYOR_II", "MOUNT_SENSOR_ARRAY_II"} <= mounts
    assert probe["registration"]["role"] == "SATELLITE" and probe["fuel"]["capacity"] == 0
    for ship in (frigate, probe):
        assert ship["nav"]["status"] == "DOCKED"
        assert ship["nav"]["waypointSymbol"] == data["agent"]["headquarters"]
    assert data["contract"]["accepted"] is False


def test_every_response_has_speed_and_game_clock_date(make_sim_app: Any) -> None:
    client = Checked(make_sim_app(speed=1000))
    client.advance(86400 * 30)
    response = client.call("GET", "/")
    assert response.headers["x-sim-speed"] == "1000"
    date = parsedate_to_datetime(response.headers["date"]).timestamp()
    clock = client.call("GET", "/_sim/clock").json()["data"]["epoch"]
    assert abs(date - clock) < 5 * 1000  # the game clock, ~30 days ahead of wall time
    assert client.call("GET", "/nope").headers["x-sim-speed"] == "1000"


def test_starting_fleet_matches_the_live_ship_data(sim_app: Any, samples_dir: Any) -> None:
    import json

    live = {s["type"]: s for s in json.loads(
        (samples_dir / "shipyard_ships_2025-04.json").read_text())}
    ships = Checked(sim_app).register()["ships"]
    for ship, kind in zip(ships, ["SHIP_COMMAND_FRIGATE", "SHIP_PROBE"], strict=True):
        real = live[kind]
        assert ship["frame"]["fuelCapacity"] == real["frame"]["fuelCapacity"]
        assert ship["engine"]["speed"] == real["engine"]["speed"]
        assert [m["symbol"] for m in ship["mounts"]] == [m["symbol"] for m in real["mounts"]]
        assert [m["symbol"] for m in ship["modules"]] == [m["symbol"] for m in real["modules"]]


def test_sim_server_serves_on_a_real_socket(sim_server: Any) -> None:
    assert sim_server.url.startswith("http://127.0.0.1:") and sim_server.url.endswith("/v2")
    with httpx.Client(base_url=sim_server.url) as client:
        assert client.get("/").status_code == 200
        response = client.get("/my/agent")
        assert response.status_code == 401 and error_code(response) == 4103


@pytest.mark.parametrize("sim_app", [{"speed": 7.5}], indirect=True)
def test_sim_app_takes_config_by_indirect_param(sim_app: Any) -> None:
    assert Checked(sim_app).call("GET", "/").headers["x-sim-speed"] == "7.5"


@pytest.mark.parametrize("sim_server", [{"speed": 100}], indirect=True)
def test_socket_responses_carry_one_game_clock_date(sim_server: Any) -> None:
    with httpx.Client(base_url=sim_server.url) as client:
        sim_server.app.state.sim.clock.advance(10 * 86400)
        response = client.get("/")
    assert len(response.headers.get_list("date")) == 1
    assert response.headers["x-sim-speed"] == "100"
    date = parsedate_to_datetime(response.headers["date"]).timestamp()
    assert date > time.time() + 9 * 86400
