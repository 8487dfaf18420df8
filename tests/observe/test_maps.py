"""``st-run plan --map`` and ``st-run map --svg``: valid SVG (parsed), one path per leg,
flight modes, refuel stops and tour order as the plan says."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from runner.playbook.state_file import load_state
from runner.state.store import Store
from tests.e2e.support import ST_RUN

REPO = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
REFUEL_CASE = REPO / "tests" / "compile" / "refuel-stop-then-drift"


def st_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ST_RUN, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def plan_with_map(tmp_path: Path, *args: str) -> tuple[dict[str, Any], ET.Element]:
    """The plan as JSON and its map, parsed."""
    out = tmp_path / "route.svg"
    done = st_run("plan", *args, "--json", "--map", str(out))
    assert done.returncode == 0, done.stderr
    assert f"written to {out}" in done.stderr
    return json.loads(done.stdout), ET.parse(out).getroot()


def legs_of(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter(f"{SVG}path") if "leg" in p.get("class", "").split()]


def stops_of(root: ET.Element) -> list[tuple[str, str]]:
    return [(g.get("data-stop", ""), g.get("data-symbol", "")) for g in root.iter(f"{SVG}g")
            if g.get("class") == "stop"]


def test_plan_map_has_one_path_per_leg_with_modes_and_refuel_stops(tmp_path: Path) -> None:
    plan, root = plan_with_map(tmp_path, str(REFUEL_CASE / "playbook.yaml"),
                               "--state", str(REFUEL_CASE / "state.json"))
    assert root.tag == f"{SVG}svg"
    paths = legs_of(root)
    assert len(paths) == len(plan["legs"]) == 2
    assert [(p.get("data-from"), p.get("data-to"), p.get("data-mode")) for p in paths] == \
        [(leg["from"], leg["to"], leg["mode"]) for leg in plan["legs"]]
    assert [p.get("data-leg") for p in paths] == ["1", "2"]
    refuels = sorted(r.get("data-symbol", "") for r in root.iter(f"{SVG}rect")
                     if r.get("class") == "refuel")
    assert refuels == sorted(leg["from"] for leg in plan["legs"] if leg["refuel_units"])
    # the fuel station is a hop on the way: the only stop is the destination
    assert stops_of(root) == [("1", "X1-T-FAR")]


def test_plan_map_of_a_tour_numbers_the_stops_in_order(tmp_path: Path) -> None:
    plan, root = plan_with_map(tmp_path, str(REPO / "playbooks" / "tour.yaml"), "--sim")
    assert len(plan["legs"]) == 4
    assert len(legs_of(root)) == 4
    assert stops_of(root) == [(str(n), leg["to"]) for n, leg in enumerate(plan["legs"], 1)]
    drawn = {c.get("data-symbol") for c in root.iter(f"{SVG}circle") if c.get("data-symbol")}
    assert {leg["from"] for leg in plan["legs"]} | {leg["to"] for leg in plan["legs"]} <= drawn


def test_plan_map_to_an_unwritable_file_is_one_line(tmp_path: Path) -> None:
    done = st_run("plan", str(REFUEL_CASE / "playbook.yaml"), "--state",
                  str(REFUEL_CASE / "state.json"), "--map", str(tmp_path / "no" / "x.svg"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: --map ")
    assert "Traceback" not in done.stderr


def test_map_draws_a_cached_system(tmp_path: Path) -> None:
    system = load_state(REFUEL_CASE / "state.json")[0]
    db = tmp_path / "state.db"
    with Store.open(str(db)) as store:
        store.cache_system(system)
    out = tmp_path / "system.svg"
    done = st_run("map", system.symbol, "--svg", str(out), "--db", str(db))
    assert done.returncode == 0, done.stderr
    root = ET.parse(out).getroot()
    circles = {c.get("data-symbol"): c.get("data-type") for c in root.iter(f"{SVG}circle")
               if c.get("data-symbol")}
    assert circles == {w.symbol: w.type for w in system}


def test_map_of_an_uncached_system_is_one_line_exit_2(tmp_path: Path) -> None:
    done = st_run("map", "X1-NONE", "--svg", str(tmp_path / "x.svg"), "--db",
                  str(tmp_path / "state.db"))
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: system X1-NONE is not in the cache of "
                                   f"sqlite:///{tmp_path / 'state.db'}: run a playbook in it "
                                   "first, or use --state FILE or --sim")
