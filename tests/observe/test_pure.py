"""Pure parts of runner.observe: listen addresses, ship progress, histograms, pictures, and
the dashboard app's guards (in process, no browser)."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.domain.ship import (
    Cargo,
    Cooldown,
    FlightMode,
    Fuel,
    Nav,
    NavStatus,
    Route,
    Ship,
)
from runner.domain.universe import System, Waypoint
from runner.errors import InvalidInput
from runner.observe.observer import Observer, sustained_budget
from runner.observe.prometheus import WAIT_BUCKETS, _WaitHistogram, registry_for
from runner.observe.serve import ListenAddress
from runner.observe.state import ship_state, utilisation
from runner.observe.svg import credits_svg, system_svg
from runner.observe.web import dashboard_app
from runner.runtime.adapters import AgentDirectory
from runner.runtime.supervisor import Supervisor
from runner.state.store import Store

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("text", "host", "port"), [
    (":8080", "127.0.0.1", 8080), ("8080", "127.0.0.1", 8080), (":0", "127.0.0.1", 0),
    ("0.0.0.0:9464", "0.0.0.0", 9464), ("localhost:1", "localhost", 1),
    ("[::1]:8080", "::1", 8080),
])
def test_listen_addresses(text: str, host: str, port: int) -> None:
    assert ListenAddress.parse(text) == ListenAddress(host, port)


@pytest.mark.parametrize("text", ["", "abc", ":99999", "::1:80", "host:", "[::1]", ":-1"])
def test_bad_listen_addresses_are_one_line(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^--dashboard .*expected \[HOST\]:PORT"):
        ListenAddress.parse(text, "--dashboard")


def _ship(status: NavStatus, *, cooldown_until: datetime | None = None) -> Ship:
    route = Route("X1-A-1", "X1-A-2", T0, T0 + timedelta(seconds=100))
    return Ship("S-1", "COMMAND", Nav("X1-A", "X1-A-2", status, FlightMode.CRUISE, route),
                Fuel(50, 100), Cargo(40, 7), 30,
                cooldown=Cooldown(60, 60, cooldown_until) if cooldown_until else None)


def test_a_flying_ship_is_along_its_route_with_an_eta_in_wall_seconds() -> None:
    state = ship_state(_ship(NavStatus.IN_TRANSIT), "a", T0 + timedelta(seconds=25), 10.0)
    assert state.in_transit and state.progress == 0.25 and state.eta_s == 7.5
    assert (state.origin, state.destination) == ("X1-A-1", "X1-A-2")


def test_a_ship_past_its_arrival_is_shown_in_orbit_at_its_destination() -> None:
    state = ship_state(_ship(NavStatus.IN_TRANSIT), "a", T0 + timedelta(seconds=101), 1.0)
    assert not state.in_transit and state.status == "IN_ORBIT" and state.eta_s is None
    assert state.waypoint == "X1-A-2"


def test_a_docked_ship_has_no_eta_but_its_cooldown() -> None:
    state = ship_state(_ship(NavStatus.DOCKED, cooldown_until=T0 + timedelta(seconds=40)),
                       "a", T0, 2.0)
    assert not state.in_transit and state.eta_s is None and state.cooldown_s == 20.0
    assert (state.fuel, state.cargo, state.cargo_capacity) == (50, 7, 40)


def test_budget_and_utilisation() -> None:
    assert sustained_budget() == 2.5
    assert utilisation(150, 60.0, 2.5) == 1.0
    assert utilisation(5, 0.0, 2.5) == 0.0


def test_wait_histogram_is_cumulative_and_fed_incrementally() -> None:
    samples = [0.0005, 0.3]
    hist = _WaitHistogram()
    hist.feed(samples)
    samples.append(100.0)
    hist.feed(samples)
    buckets = dict(hist.buckets())
    assert buckets["0.001"] == 1 and buckets["0.5"] == 2 and buckets["60.0"] == 2
    assert buckets["+Inf"] == 3 and len(buckets) == len(WAIT_BUCKETS) + 1
    assert hist.total == pytest.approx(100.3005)


def _system() -> System:
    return System.of("X1-A", [Waypoint("X1-A-1", "X1-A", "PLANET", 0, 0),
                              Waypoint("X1-A-2", "X1-A", "MOON", 100, 0, orbits=None),
                              Waypoint("X1-A-3", "X1-A", "ORBITAL_STATION", 100, 0,
                                       orbits="X1-A-2")])


def test_system_map_places_a_flying_ship_between_origin_and_destination() -> None:
    flying = ship_state(_ship(NavStatus.IN_TRANSIT), "a", T0 + timedelta(seconds=50), 1.0)
    root = ET.fromstring(system_svg(_system(), [flying]))
    spots = {c.get("data-symbol"): (float(c.get("cx", "0")), float(c.get("cy", "0")))
             for c in root.iter(f"{SVG}circle") if c.get("data-symbol")}
    assert set(spots) == {"X1-A-1", "X1-A-2", "X1-A-3"}
    assert spots["X1-A-3"] != spots["X1-A-2"]  # co-located: the station is on a ring
    ship = next(g for g in root.iter(f"{SVG}g") if g.get("data-ship") == "S-1")
    tip = ship.find(f"{SVG}path")
    assert tip is not None
    x = float(tip.get("d", "M0 ").split()[0][1:])
    assert spots["X1-A-1"][0] < x < spots["X1-A-2"][0]
    assert "ETA 50s" in "".join(ship.itertext())


def test_texts_in_pictures_are_escaped() -> None:
    odd = System.of("X1-<&>", [Waypoint("X1-<&>-1", "X1-<&>", "PLANET", 0, 0)])
    ET.fromstring(system_svg(odd))  # parses: nothing unescaped
    ET.fromstring(credits_svg([]))
    ET.fromstring(credits_svg([(0.0, 10), (60.0, 25)]))


class Client:
    """Requests to the dashboard app in process (``httpx.ASGITransport``)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://127.0.0.1") as http:
                return await http.get(path, headers=headers)
        return asyncio.run(go())


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    store = Store.open(str(tmp_path / "state.db"))
    agents = AgentDirectory({}, default="none")
    observer = Observer(Supervisor(store, agents), agents, store)
    yield Client(dashboard_app(observer, registry_for(observer)))
    store.close()


def test_dashboard_page_renders_with_strict_headers(client: Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "no containers yet" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/dashboard.js").headers["content-type"].startswith(
        "text/javascript")
    assert client.get("/static/../observer.py").status_code == 404
    parts = client.get("/fragments").json()
    assert {"summary", "containers", "map", "credits", "logs", "at"} <= set(parts)
    assert client.get("/metrics").text.startswith("# HELP")


def test_dashboard_refuses_other_host_names(client: Client) -> None:
    """A page on another site that resolves its name to 127.0.0.1 (DNS rebinding) is
    refused: the page is only served under the loopback names."""
    assert client.get("/", headers={"host": "attacker.example:8080"}).status_code == 400


def test_construction_progress_series_appear_with_data(tmp_path: Path) -> None:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from runner.api.parse import parse_construction

    store = Store.open(str(tmp_path / "state.db"))
    agents = AgentDirectory({}, default="none")
    observer = Observer(Supervisor(store, agents), agents, store)
    registry = registry_for(observer)

    def series() -> dict[str, list[tuple[dict[str, str], float]]]:
        text = generate_latest(registry).decode()
        return {f.name: [(s.labels, s.value) for s in f.samples]
                for f in text_string_to_metric_families(text)}

    assert series()["st_run_construction_materials_required_units"] == []
    observer.construction["X1-A-I52"] = parse_construction({  # the spec's example shape
        "symbol": "X1-A-I52", "isComplete": False,
        "materials": [{"tradeSymbol": "FAB_MATS", "required": 1600, "fulfilled": 400},
                      {"tradeSymbol": "ADVANCED_CIRCUITRY", "required": 400, "fulfilled": 0}]})
    found = series()
    store.close()
    assert found["st_run_construction_materials_required_units"] == [
        ({"waypoint": "X1-A-I52", "good": "FAB_MATS"}, 1600.0),
        ({"waypoint": "X1-A-I52", "good": "ADVANCED_CIRCUITRY"}, 400.0)]
    assert found["st_run_construction_materials_fulfilled_units"][0] == (
        {"waypoint": "X1-A-I52", "good": "FAB_MATS"}, 400.0)
    assert found["st_run_construction_complete"] == [({"waypoint": "X1-A-I52"}, 0.0)]


class _FakeClient:
    """Just what the observer reads of a ``SpaceTradersClient`` (a unit-test fake)."""

    def __init__(self, ships: list[Ship]) -> None:
        from runner.api.clock import ServerClock
        from runner.api.metrics import Metrics

        self.ships, self.clock, self.metrics = ships, ServerClock(), Metrics()

    def known_ships(self) -> list[Ship]:
        return self.ships


def test_a_fleet_across_systems_gets_a_galaxy_view_and_a_map_each(tmp_path: Path) -> None:
    from dataclasses import replace

    from runner.observe.web import Fragments

    docked = _ship(NavStatus.DOCKED)
    elsewhere = replace(docked, symbol="S-2", nav=Nav("X1-B", "X1-B-1", NavStatus.IN_ORBIT))
    store = Store.open(str(tmp_path / "state.db"))
    store.cache_system(_system())
    store.cache_system(System.of("X1-B", [Waypoint("X1-B-1", "X1-B", "PLANET", 5, 5)],
                                 x=300, y=-40))
    agents = AgentDirectory({"a": _FakeClient([docked, elsewhere])}, default="a")
    observer = Observer(Supervisor(store, agents), agents, store)
    html = Fragments(observer).map(observer.state())
    store.close()
    root = ET.fromstring(f"<div>{html}</div>")
    pictures = root.findall(f"{SVG}svg")
    assert len(pictures) == 3  # the galaxy, then each system
    galaxy = {g.get("data-symbol") for g in pictures[0].iter(f"{SVG}g")
              if g.get("class") == "system"}
    assert galaxy == {"X1-A", "X1-B"}
    ships = [g.get("data-ship") for p in pictures[1:] for g in p.iter(f"{SVG}g")
             if g.get("data-ship")]
    assert ships == ["S-1", "S-2"]
