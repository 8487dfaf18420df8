"""Shared market knowledge on the real simulator: one container (the probe) scans the
system's markets; another container, through its own store on the same SQLite file (as
another process would), flies to ``{best: {buys: GOOD}}`` and sells there. ``plan`` picks
the same market; ``max_age`` leaves stale observations out."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from runner.domain.status import ContainerStatus
from runner.playbook import StepContext, resolve_waypoint
from runner.runtime.adapters import Universe
from runner.state.models import cache_markets
from runner.state.store import Store
from tests.actions.harness import Game, game, run_playbook

REPO = Path(__file__).resolve().parents[2]
GOOD = "JEWELRY"  # the headquarters' market exports it; two others import it (seed 1)
EYES = """
name: eyes
ship: {role: SATELLITE}
steps:
  - tour: {visit: {all: {traits: [MARKETPLACE]}}, steps: [scan_market]}
"""
TRADER = """
name: trader
ship: {role: COMMAND}
steps:
  - buy: {symbol: JEWELRY, units: 2}
  - navigate: {best: {buys: JEWELRY, max_age: 1d}}
  - sell: {symbol: JEWELRY}
"""


def ship_of(g: Game, role: str) -> str:
    return next(str(s["symbol"]) for s in g.get("/my/ships")
                if s["registration"]["role"] == role)


def scan_everything(g: Game) -> None:
    outcome = asyncio.run(run_playbook(g, EYES, name="eyes", ship=ship_of(g, "SATELLITE")))
    assert outcome.status is ContainerStatus.COMPLETED, outcome.error


def buyers(store: Store, system: str) -> set[str]:
    """The markets whose stored prices say they buy GOOD."""
    with store.engine.connect() as conn:
        symbols = list(conn.execute(sa.select(cache_markets.c.symbol)).scalars())
    return {s for s, (m, _) in store.cached_markets(symbols).items()
            if s.startswith(system) and GOOD in m.trade_goods and m.buys(GOOD)}


def choice(g: Game, store: Store, max_age: str = "1d") -> str:
    """What the selector picks for the command ship now, from ``store`` (a fresh universe)."""
    async def pick() -> str:
        async with g.world.client() as client:
            ship = await client.get_ship(g.world.ship)
            system = await Universe(store, client).system(ship.nav.system)
            ctx = StepContext(ship=ship, system=system, now=client.clock.now())
            return resolve_waypoint({"best": {"buys": GOOD, "max_age": max_age}}, ctx)
    return asyncio.run(pick())


def age_market(store: Store, symbol: str, days: float) -> None:
    """Test-only edit: the stored observation of ``symbol`` becomes ``days`` older."""
    with store.engine.begin() as conn:
        (at,) = conn.execute(sa.select(cache_markets.c.fetched_at)
                             .where(cache_markets.c.symbol == symbol)).one()
        conn.execute(sa.update(cache_markets).where(cache_markets.c.symbol == symbol)
                     .values(fetched_at=at - timedelta(days=days)))


def plan_json(g: Game, tmp_path: Path, text: str) -> dict[str, object]:
    """``st-run plan --json`` in its own process, on the same state database."""
    path = tmp_path / "trader.yaml"
    path.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(ST_RUN_DB=str(tmp_path / "state.db"), ST_RUN_API_URL=g.world.url,
               SPACETRADERS_TOKEN=g.world.token, XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, "-m", "runner", "plan", "--json", str(path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_another_process_sells_where_the_probe_saw_the_best_price(tmp_path: Path) -> None:
    with game(tmp_path, speed=5000) as g:
        start = g.ship()["nav"]["waypointSymbol"]
        system = g.ship()["nav"]["systemSymbol"]
        scan_everything(g)
        cached = g.world.store.cached_system(system)
        assert cached is not None
        known = buyers(g.world.store, system)
        assert len(known) == 2 and start not in known
        # The system as first fetched holds no remote prices: they come from the scans.
        assert all(not cached[0][s].market.trade_goods for s in known)  # type: ignore[union-attr]
        planned = plan_json(g, tmp_path, TRADER)
        legs = planned["legs"]
        assert isinstance(legs, list) and legs
        chosen = legs[-1]["to"]
        assert chosen in known
        other = Store.open(str(tmp_path / "state.db"))  # another process's store
        try:
            outcome = asyncio.run(run_playbook(g, TRADER, name="trader", store=other))
        finally:
            other.close()
        assert outcome.status is ContainerStatus.COMPLETED, outcome.error
        assert g.ship()["nav"]["waypointSymbol"] == chosen  # sold where plan said
        sold = g.accepted("/sell")
        assert len(sold) == 1 and sold[0]["body"]["symbol"] == GOOD


def test_max_age_leaves_stale_markets_out(tmp_path: Path) -> None:
    with game(tmp_path, speed=5000) as g:
        scan_everything(g)
        store = g.world.store
        first = choice(g, store)
        age_market(store, first, days=2)
        second = choice(g, store)
        assert second != first and second in buyers(store, first.rsplit("-", 1)[0])
        outcome = asyncio.run(run_playbook(g, TRADER, name="trader"))
        assert outcome.status is ContainerStatus.COMPLETED, outcome.error
        assert g.ship()["nav"]["waypointSymbol"] == second
        # Both stale: the step fails naming the freshest one's age.
        age_market(store, second, days=3)
        again = "name: again\nship: {role: COMMAND}\nsteps:\n" \
                "  - navigate: {best: {buys: JEWELRY, max_age: 1d}}\n"
        failed = asyncio.run(run_playbook(g, again, name="again"))
        assert failed.status is ContainerStatus.FAILED
        lines = " ".join(r.message for r in store.logs("again"))
        assert re.search(rf"seen within 24h00m buys {GOOD} \(the freshest, {first}, was seen "
                         r"(4[89]|5\d)h\d\dm ago", lines), lines  # 2 days + the game since


def test_the_examples_eyes_then_best_trade(tmp_path: Path) -> None:
    examples = REPO / "playbooks"
    eyes = (examples / "market-eyes.yaml").read_text()  # one round of every market
    # Game time runs fast here: the probe's round takes hours of it.
    trade = (examples / "best-trade.yaml").read_text().replace("max_age: 1h", "max_age: 1d")
    with game(tmp_path, speed=5000) as g:
        start = g.ship()["nav"]["waypointSymbol"]
        scanned = asyncio.run(run_playbook(g, eyes, name="eyes", ship=ship_of(g, "SATELLITE")))
        assert scanned.status is ContainerStatus.COMPLETED, scanned.error
        outcome = asyncio.run(run_playbook(g, trade, name="trade"))
        assert outcome.status is ContainerStatus.COMPLETED, outcome.error
        bought, sold = g.accepted("/purchase"), g.accepted("/sell")
        assert [e["body"]["units"] for e in bought] == [5]
        assert [e["body"]["units"] for e in sold] == [5]
        where = g.ship()["nav"]["waypointSymbol"]
        assert where != start and where in buyers(g.world.store, start.rsplit("-", 1)[0])
        lines = [r.message for r in g.world.store.logs("trade")]
        assert any(m.startswith(f"bought at {start}; best buyer now {where}") for m in lines), \
            lines
