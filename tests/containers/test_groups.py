"""Group playbooks (issue 18, ``ships:``): one container per matching ship, with real
processes against a real ``st-run sim`` over loopback.

- ``st-run run`` starts a member per ship, waits while none matches, lets ships bought during
  the run join (and re-slots the others), and ``plan`` gives the same ``ship.index`` values;
- ``status``, ``logs``, ``describe`` and ``stop`` take the group's name;
- ``st-run watch`` starts the members, lets a ship bought by another process join (polling),
  reloads every member on an edit, stops a member whose ship was scrapped, keeps members a
  user stopped stopped, and stops every member when the file is deleted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.simproc import start_sim_process
from tests.watch.procs import REPO, Agent, State, register, until, watcher

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

RICH = 2_000_000
"""Credits given to each test's agent: enough for every drone it buys."""

GROUP = """\
name: drones
ships: {frame: FRAME_DRONE}
vars: {belts: [B0, B1, B2]}
steps:
  - repeat:
      until: ship.count >= 3
      steps:
        - wait: 10s
  - log: "member {{ ship.index }} of {{ ship.count }} -> {{ belts[ship.index % 3] }}"
"""

BUYER = """\
name: buyer
ship: {role: COMMAND}
steps:
  - repeat:
      times: TIMES
      steps:
        - purchase_ship: SHIP_MINING_DRONE
"""

PATROL = """\
name: patrol
ships: {role: EXCAVATOR}
steps:
  - repeat:
      forever: true
      steps:
        - log: "TAG tick {{ ship.index }}/{{ ship.count }}"
        - wait: 30s
"""


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with start_sim_process("--speed", "20", "--no-rate-limit") as (_, url):
        yield url


def rich_agent(url: str, symbol: str) -> Agent:
    agent = register(url, symbol)
    httpx.put(f"{url}/_sim/agents/{symbol}/credits", json={"credits": RICH},
              timeout=10).raise_for_status()
    return agent


def env_of(agent: Agent, tmp_path: Path, poll_s: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("ST_RUN_DB", "NO_COLOR")}
    env.update(SPACETRADERS_TOKEN=agent.token, ST_RUN_API_URL=agent.url,
               XDG_STATE_HOME=str(tmp_path / "xdg"), ST_RUN_FLEET_POLL=poll_s)
    return env


def st_run(agent: Agent, tmp_path: Path, *args: str, poll_s: str = "1") -> str:
    done = subprocess.run([sys.executable, "-m", "runner", *args], cwd=REPO,
                          env=env_of(agent, tmp_path, poll_s), capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def buy(agent: Agent, tmp_path: Path, db: Path, times: int) -> None:
    path = tmp_path / f"buy{times}.yaml"
    path.write_text(BUYER.replace("TIMES", str(times)).replace("buyer", f"buy{times}"))
    st_run(agent, tmp_path, "run", "--db", str(db), str(path))


def test_run_starts_members_as_ships_join_and_plan_agrees(tmp_path: Path,
                                                          sim_url: str) -> None:
    agent = rich_agent(sim_url, "GRPRUN")
    db = tmp_path / "state.db"
    group = tmp_path / "drones.yaml"
    group.write_text(GROUP)
    buyer = tmp_path / "buyer.yaml"
    buyer.write_text(BUYER.replace("TIMES", "3"))
    # The fleet is looked at only every 10 minutes: each drone joins because this process
    # bought it (the purchase makes the group look at once).
    out = st_run(agent, tmp_path, "run", "--db", str(db), str(group), str(buyer),
                 poll_s="600")
    assert "drones: no ship matches frame FRAME_DRONE yet; waiting for members" in out
    assert out.count("(it joined the fleet)") == 3, out
    drones = [f"GRPRUN-{n}" for n in (3, 4, 5)]
    state = State(db)
    try:
        for index, ship in enumerate(drones):
            record = state.container(f"drones/{ship}")
            assert record is not None and record.status.value == "COMPLETED"
            assert record.ship == ship
            lines = state.messages(f"drones/{ship}")
            assert f"member {index} of 3 -> B{index}" in lines, lines
    finally:
        state.close()
    # plan gives the values run gave, one section per member (or one with --ship)
    planned = st_run(agent, tmp_path, "plan", str(group))
    for index, ship in enumerate(drones):
        assert f"== drones/{ship} (ship.index {index} of 3) ==" in planned
        assert f"member {index} of 3 -> B{index}" in planned
    one = json.loads(st_run(agent, tmp_path, "plan", str(group), "--ship", drones[1],
                            "--json"))
    assert one["ship"] == drones[1]
    # the verbs take the group's name
    status = st_run(agent, tmp_path, "status", "--all", "--db", str(db))
    assert "drones 0/3 running, 3 COMPLETED" in status
    listed = json.loads(st_run(agent, tmp_path, "status", "--all", "--json", "--db", str(db)))
    assert sorted(c["name"] for c in listed if c["group"] == "drones") == \
        [f"drones/{s}" for s in drones]
    assert [c["group"] for c in listed if c["name"] == "buyer"] == [None]
    logs = st_run(agent, tmp_path, "logs", "drones", "--db", str(db))
    assert all(f"drones/{s}" in logs for s in drones) and "buyer" not in logs
    described = json.loads(st_run(agent, tmp_path, "describe", "drones", "--json",
                                  "--db", str(db)))
    assert [d["ship"] for d in described] == drones


def test_watch_keeps_a_group_in_step_with_the_fleet(tmp_path: Path, sim_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_RUN_FLEET_POLL", "1")
    agent = rich_agent(sim_url, "GRPWATCH")
    folder, db, log = tmp_path / "playbooks", tmp_path / "state.db", tmp_path / "watch.log"
    folder.mkdir()
    buy(agent, tmp_path, db, 2)
    drones = [f"GRPWATCH-{n}" for n in (3, 4, 5)]
    (folder / "patrol.yaml").write_text(PATROL.replace("TAG", "v1"))
    state = State(db)

    def said(ship: str, line: str) -> bool:
        return line in state.messages(f"patrol/{ship}")

    def status_of(ship: str) -> str:
        record = state.container(f"patrol/{ship}")
        return "" if record is None else record.status.value

    try:
        with watcher(folder, db, agent, log) as proc:
            for index, ship in enumerate(drones[:2]):
                until(lambda s=ship, i=index: said(s, f"v1 tick {i}/2"), f"{ship} ticking",
                      on_fail=proc.output)
            buy(agent, tmp_path, db, 1)  # another process: the watcher's poll sees it
            until(lambda: said(drones[2], "v1 tick 2/3"), "the bought drone joined",
                  on_fail=proc.output)
            until(lambda: said(drones[0], "v1 tick 0/3"), "the others re-slotted",
                  on_fail=proc.output)
            status = st_run(agent, tmp_path, "status", "--db", str(db))
            assert "patrol 3/3 running" in status, status
            # an edit reloads every member at its safe point
            (folder / "patrol.yaml").write_text(PATROL.replace("TAG", "v2"))
            for index, ship in enumerate(drones):
                until(lambda s=ship, i=index: said(s, f"v2 tick {i}/3"), f"{ship} reloaded",
                      on_fail=proc.output)
            # a scrapped ship leaves: its member stops with a line saying why
            httpx.post(f"{sim_url}/my/ships/{drones[0]}/scrap", timeout=10,
                       headers={"Authorization": f"Bearer {agent.token}"}).raise_for_status()
            until(lambda: status_of(drones[0]) == "STOPPED", "the scrapped ship's member "
                  "stopped", on_fail=proc.output)
            assert any(f"ship {drones[0]} no longer exists (sold or scrapped)" in m
                       for m in state.messages(f"patrol/{drones[0]}"))
            # `stop GROUP` stops every member, and the watcher keeps them stopped
            stopped = st_run(agent, tmp_path, "stop", "patrol", "--db", str(db))
            assert all(f"patrol/{s}" in stopped for s in drones[1:]), stopped
            for ship in drones[1:]:
                until(lambda s=ship: status_of(s) == "STOPPED", f"{ship} stopped",
                      on_fail=proc.output)
            st_run(agent, tmp_path, "start", "-d", "patrol", "--db", str(db))
            for ship in drones[1:]:  # PENDING again: the group's next look resumes them
                until(lambda s=ship: status_of(s) == "RUNNING", f"{ship} running again",
                      on_fail=proc.output)
            (folder / "patrol.yaml").unlink()  # deleting the file stops every member
            for ship in drones[1:]:
                until(lambda s=ship: status_of(s) == "STOPPED", f"{ship} stopped by delete",
                      on_fail=proc.output)
            proc.signal()
            assert proc.wait() == 0, proc.output()
        assert "Traceback" not in log.read_text()
    finally:
        state.close()


ONCE = """\
name: once
ships: {role: EXCAVATOR}
steps:
  - log: "once {{ ship.index }}/{{ ship.count }}"
"""


def test_a_restarted_watcher_resumes_groups_and_leaves_finished_members(
        tmp_path: Path, sim_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_RUN_FLEET_POLL", "1")
    agent = rich_agent(sim_url, "GRPBACK")
    folder, db, log = tmp_path / "playbooks", tmp_path / "state.db", tmp_path / "watch.log"
    folder.mkdir()
    buy(agent, tmp_path, db, 2)
    drones = [f"GRPBACK-{n}" for n in (3, 4, 5)]
    probe = "GRPBACK-2"  # the satellite: a patrol of one that keeps running
    (folder / "patrol.yaml").write_text(PATROL.replace("TAG", "v1")
                                        .replace("EXCAVATOR", "SATELLITE"))
    (folder / "once.yaml").write_text(ONCE)
    state = State(db)

    def lines(name: str) -> list[str]:
        return state.messages(name)

    def status_of(name: str) -> str:
        record = state.container(name)
        return "" if record is None else record.status.value

    def ticks() -> int:
        return sum("v1 tick 0/1" in m for m in lines(f"patrol/{probe}"))

    try:
        with watcher(folder, db, agent, log) as proc:
            for ship in drones[:2]:
                until(lambda s=ship: status_of(f"once/{s}") == "COMPLETED", f"once/{ship}",
                      on_fail=proc.output)
            until(ticks, "the patrol ticking", on_fail=proc.output)
            proc.signal()
            assert proc.wait() == 0, proc.output()
        assert status_of(f"patrol/{probe}") == "STOPPED"
        log.write_text("")
        with watcher(folder, db, agent, log) as proc:
            report = until(lambda: "patrol.yaml: db says" in proc.output() and proc.output(),
                           "start report", on_fail=proc.output)
            assert "once.yaml: db says once: COMPLETED" in report
            assert "left as it is" in report
            assert "patrol.yaml: db says patrol: RUNNING" in report
            assert "resumed from checkpoint" in report
            before = ticks()
            until(lambda: ticks() > before, "the patrol resumed", on_fail=proc.output)
            buy(agent, tmp_path, db, 1)
            (folder / "once.yaml").write_text(ONCE)  # same bytes: a re-scan, not a reload
            until(lambda: status_of(f"once/{drones[2]}") == "COMPLETED",
                  "the new drone joined the finished group", on_fail=proc.output)
            assert "once 2/3" in lines(f"once/{drones[2]}")
            for index, ship in enumerate(drones[:2]):  # finished members did not run again
                assert lines(f"once/{ship}").count(f"once {index}/2") == 1
                assert status_of(f"once/{ship}") == "COMPLETED"
            proc.signal()
            assert proc.wait() == 0, proc.output()
        assert "Traceback" not in log.read_text()
    finally:
        state.close()
