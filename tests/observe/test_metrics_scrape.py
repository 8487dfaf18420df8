"""``/metrics`` scraped while a fleet runs on the simulator: every named series, templated
endpoint labels, and the Prometheus naming rules (``promtool check metrics`` does not
install here, so its rules are checked by :func:`naming_problems`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.support import wait_for
from tests.observe.conftest import Fleet

NAMED_SERIES = {
    "st_run_api_requests": "counter",
    "st_run_api_rate_limited": "counter",
    "st_run_api_retries": "counter",
    "st_run_api_limiter_wait_seconds": "histogram",
    "st_run_api_budget_utilisation_ratio": "gauge",
    "st_run_container_status": "gauge",
    "st_run_container_restarts": "counter",
    "st_run_agent_credits": "gauge",
    "st_run_ship_fuel_units": "gauge",
    "st_run_ship_fuel_capacity_units": "gauge",
    "st_run_ship_cargo_units": "gauge",
    "st_run_ship_cargo_capacity_units": "gauge",
    "st_run_ship_nav_status": "gauge",
    "st_run_ship_location_info": "gauge",
    "st_run_ship_idle_seconds": "counter",
    "st_run_market_data_age_seconds": "gauge",
}
NON_BASE_UNITS = ("milliseconds", "microseconds", "nanoseconds", "minutes", "hours", "days",
                  "kilobytes", "megabytes", "percent", "celsius")
RESERVED_SUFFIXES = ("_count", "_sum", "_bucket")
SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")


def naming_problems(families: Iterable[Metric]) -> list[str]:
    """The rules of ``promtool check metrics`` (and the Prometheus naming guide) that apply:
    snake case names and labels, HELP text, ``_total`` on counters only, base units, no
    reserved suffixes or type names in a name, one prefix for the application."""
    problems = []
    for family in families:
        name = family.name
        exposed = {s.name for s in family.samples}
        if not SNAKE.match(name):
            problems.append(f"{name}: not snake_case")
        if not name.startswith("st_run_"):
            problems.append(f"{name}: no st_run_ prefix")
        if not family.documentation.strip():
            problems.append(f"{name}: no help text")
        if family.type == "counter" and exposed - {f"{name}_total", f"{name}_created"}:
            problems.append(f"{name}: counter samples without _total: {sorted(exposed)}")
        if family.type != "counter" and name.endswith("_total"):
            problems.append(f"{name}: non-counter named _total")
        if family.type not in ("histogram", "summary") and name.endswith(RESERVED_SUFFIXES):
            problems.append(f"{name}: reserved suffix")
        if any(unit in name for unit in NON_BASE_UNITS):
            problems.append(f"{name}: not in base units")
        if any(word in name.split("_") for word in ("gauge", "counter", "metric")):
            problems.append(f"{name}: type name in the metric name")
        for sample in family.samples:
            for label in sample.labels:
                if not SNAKE.match(label) or label.startswith("__"):
                    problems.append(f"{name}: bad label name {label!r}")
    return problems


def test_naming_rules_catch_bad_names() -> None:
    bad = text_string_to_metric_families(
        "# HELP stRun_latency_milliseconds x\n# TYPE stRun_latency_milliseconds gauge\n"
        "stRun_latency_milliseconds 1\n"
        "# HELP st_run_requests_total \n# TYPE st_run_requests_total gauge\n"
        "st_run_requests_total 1\n")
    found = naming_problems(bad)
    assert any("snake_case" in p for p in found)
    assert any("base units" in p for p in found)
    assert any("non-counter named _total" in p for p in found)
    assert any("no help text" in p for p in found)


def scrape(fleet: Fleet) -> dict[str, Metric]:
    response = httpx.get(fleet.metrics_url, timeout=10)
    response.raise_for_status()
    assert response.headers["content-type"].startswith("text/plain")
    return {f.name: f for f in text_string_to_metric_families(response.text)}


def _complete(fleet: Fleet, ships: list[str]) -> dict[str, Metric] | None:
    """The scrape once every series has data for both containers and every ship."""
    families = scrape(fleet)
    if not all(families.get(n) is not None and families[n].samples for n in NAMED_SERIES):
        return None
    fuel_ships = {s.labels["ship"] for s in families["st_run_ship_fuel_units"].samples}
    containers = {s.labels["container"]
                  for s in families["st_run_container_status"].samples}
    return families if set(ships) <= fuel_ships and containers == {"long", "tour"} else None


def test_scrape_during_a_run_has_every_series(fleet: Fleet) -> None:
    ships = fleet.ships()
    families = wait_for(lambda: _complete(fleet, ships), timeout=120, interval=0.5)
    for name, kind in NAMED_SERIES.items():
        assert families[name].type == kind, name
    assert naming_problems(families.values()) == []

    requests = families["st_run_api_requests"].samples
    endpoints = {s.labels["endpoint"] for s in requests}
    assert "/my/ships/{ship}/navigate" in endpoints
    assert {s.labels["container"] for s in requests} >= {"long", "tour"}
    assert {s.labels["priority"] for s in requests} >= {"ACTION", "QUERY"}
    assert "200" in {s.labels["status"] for s in requests}
    for endpoint in endpoints:  # templates only: no symbol of the agent, ship or waypoint
        assert all(re.fullmatch(r"[a-z-]+|\{[a-z]+\}", part)
                   for part in endpoint.strip("/").split("/") if part), endpoint
        assert fleet.agent not in endpoint and "X1-" not in endpoint

    credits = families["st_run_agent_credits"].samples
    assert credits and credits[0].value > 0
    status = {s.labels["container"]: s.labels["status"]
              for s in families["st_run_container_status"].samples if s.value == 1}
    assert status["long"] == "RUNNING" and status["tour"] in ("RUNNING", "COMPLETED")
    nav = [s for s in families["st_run_ship_nav_status"].samples if s.value == 1]
    assert {s.labels["ship"] for s in nav} == set(ships)
    waits = [s for s in families["st_run_api_limiter_wait_seconds"].samples
             if s.name.endswith("_count")]
    assert sum(s.value for s in waits) > 0


def test_bare_429s_are_counted_by_kind(fleet: Fleet) -> None:
    def counted() -> float:
        limited = scrape(fleet)["st_run_api_rate_limited"].samples
        return sum(s.value for s in limited if s.labels["kind"] == "bare")

    assert wait_for(counted, timeout=120, interval=0.5) >= 1
