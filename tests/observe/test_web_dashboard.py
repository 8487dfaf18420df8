"""The dashboard in a real headless Chromium while a fleet runs on the simulator: the map
shows every ship, a container's status changes on the page without a reload, and the agent
token never reaches the page. Runs last in this folder: it stops the ``long`` container.

Skipped when Chromium is not installed, except under ``CI=true`` (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import wait_for
from tests.observe.chromium import Chromium, find_chromium
from tests.observe.conftest import Fleet

pytestmark = pytest.mark.browser

SHIPS_ON_MAP = "[...document.querySelectorAll('#map .ship')].map(e => e.dataset.ship).sort()"


def status_of(name: str) -> str:
    return (f"(document.querySelector('tr.container[data-container=\"{name}\"] .status')"
            " || {}).textContent")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required under CI=true (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    profile = tmp_path / "profile"
    profile.mkdir()
    chromium = Chromium(executable, profile)
    try:
        yield chromium
    finally:
        chromium.close()


def test_dashboard_live_in_chromium(fleet: Fleet, browser: Chromium, tmp_path: Path) -> None:
    ships = fleet.ships()
    page = browser.open(fleet.dashboard_url)

    shown = wait_for(lambda: browser.evaluate(page, SHIPS_ON_MAP) == ships or None,
                     timeout=120, interval=0.5)
    assert shown
    wait_for(lambda: browser.evaluate(page, status_of("long")) == "RUNNING", timeout=60)
    browser.evaluate(page, "window.stillTheSamePage = true")
    assert fleet.token not in browser.evaluate(page, "document.documentElement.outerHTML")

    # select the container: its log tail follows
    browser.evaluate(page, "document.querySelector('tr.container[data-container=\"long\"]')"
                           ".click()")
    assert wait_for(lambda: "navigate" in (browser.evaluate(
        page, "document.getElementById('logs').textContent") or ""), timeout=30)

    stopped = fleet.st_run("stop", "long")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    wait_for(lambda: browser.evaluate(page, status_of("long")) == "STOPPED", timeout=90,
             interval=0.25)
    assert browser.evaluate(page, "window.stillTheSamePage") is True  # no reload happened
    assert browser.evaluate(page, "performance.getEntriesByType('navigation').length") == 1

    html = browser.evaluate(page, "document.documentElement.outerHTML")
    assert fleet.token not in html
    assert 'data-status="STOPPED"' in html
    for path in ("", "fragments?logs=1", "static/dashboard.js"):
        body = httpx.get(fleet.dashboard_url + path, timeout=10).text
        assert fleet.token not in body, path
    assert "the map" not in json.dumps(fleet.output)  # output is reachable for debugging

    shot = browser.screenshot(page, tmp_path / "dashboard.png")
    assert shot.read_bytes().startswith(b"\x89PNG")
    print(f"screenshot: {shot}")
