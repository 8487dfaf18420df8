"""The Grafana dashboard in ``dashboards/``: valid JSON, the six panels players ask for, and
every query names only series st-run exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from runner.observe.observer import Observer
from runner.observe.prometheus import registry_for
from runner.runtime.adapters import AgentDirectory
from runner.runtime.supervisor import Supervisor
from runner.state.store import Store

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "st-run-fleet.json"
PANELS = ["Credits over time and per hour", "Fleet: containers, ships, states and ETAs",
          "API utilisation and 429s", "Per-ship idle time", "Market freshness",
          "Construction progress and ETA"]
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
            "gauge": ("",)}


def exported(tmp_path: Path) -> set[str]:
    """Every sample name the collector can expose (its families are listed even empty)."""
    store = Store.open(str(tmp_path / "state.db"))
    agents = AgentDirectory({}, default="none")
    observer = Observer(Supervisor(store, agents), agents, store)
    text = generate_latest(registry_for(observer)).decode()
    store.close()
    return {f.name + suffix for f in text_string_to_metric_families(text)
            for suffix in SUFFIXES[f.type]}


def test_dashboard_has_the_six_panels_on_exported_series(tmp_path: Path) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = dashboard["panels"]
    assert [p["title"] for p in panels] == PANELS
    assert len({p["id"] for p in panels}) == len(panels)
    names = exported(tmp_path)
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = set(re.findall(r"\bst_run_[a-z_]+", target["expr"]))
            assert used, target["expr"]
            assert used <= names, (panel["title"], used - names)
