"""Run one playbook (the real language, executor, client and SQLite store) against an
in-process simulator, with the simulator's faults and a crash hook; read its ledger."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from runner.domain import commands as c
from runner.runtime.adapters import Language, LoadedPlaybook, Universe
from runner.runtime.clock import SystemClock
from runner.runtime.container import ContainerTask, Outcome
from runner.runtime.executor import Executor
from runner.runtime.game import GameApi
from runner.runtime.journal import HeldRoom, LeaseHolder
from runner.runtime.ports import Sent
from runner.runtime.restarts import RestartRule
from runner.runtime.view import ContainerView
from runner.state.store import Store
from tests.runtime.harness import Crash, World


@dataclass
class Game:
    """A simulator with one registered agent, and the state store of its runner."""

    world: World
    server: Any

    def sim_state(self) -> Any:
        """The simulator's state, for test-only edits no control endpoint offers."""
        return self.server.app.state.sim

    def ship(self, symbol: str | None = None) -> Any:
        response = httpx.get(f"{self.world.url}/my/ships/{symbol or self.world.ship}",
                             headers={"Authorization": f"Bearer {self.world.token}"},
                             timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.world.url}{path}",
                             headers={"Authorization": f"Bearer {self.world.token}"},
                             timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def faults(self, spec: str) -> None:
        self.world.control("PUT", "/faults", {"spec": spec})

    def accepted(self, suffix: str, method: str = "POST") -> list[dict[str, Any]]:
        """The agent's state changes the simulator accepted whose path ends in ``suffix``."""
        return [e for e in self.world.ledger()
                if e["path"].endswith(suffix) and e.get("method", method) == method]


@contextmanager
def game(tmp_path: Path, seed: int = 1, symbol: str = "ACTIONS", speed: float = 500.0
         ) -> Iterator[Game]:
    from runner.sim.config import SimConfig
    from runner.sim.server import SimServer

    with SimServer(SimConfig(seed=seed, speed=speed, rate_limit=None)) as server:
        data = httpx.post(f"{server.url}/register", json={"symbol": symbol,
                                                          "faction": "COSMIC"},
                          timeout=10).json()["data"]
        store = Store.open(str(tmp_path / "state.db"))
        ship = next(s for s in data["ships"] if s["registration"]["role"] == "COMMAND")
        try:
            yield Game(World(server.url, data["token"], data["agent"]["symbol"], store,
                             ship["symbol"], ship["nav"]["waypointSymbol"]), server)
        finally:
            store.close()


class SendsThenCrashes:
    """The request reaches the server and is applied, then the runner dies (no checkpoint)."""

    def __init__(self, game: GameApi, kind: type) -> None:
        self.game = game
        self.kind = kind
        self.fired = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.game, name)

    async def send(self, ship: Any, command: c.Command) -> Sent:
        sent = await self.game.send(ship, command)
        if isinstance(command, self.kind) and not self.fired:
            self.fired = True
            raise Crash()
        return sent


async def run_playbook(g: Game, text: str, *, name: str = "c1",
                       wrap_api: Callable[[GameApi], Any] | None = None,
                       ship: str | None = None, store: Store | None = None,
                       ttl_s: float = 30,
                       wrap_room: Callable[[HeldRoom], Any] | None = None) -> Outcome:
    """Run (or resume) the container ``name`` for the playbook ``text`` until it ends
    (for ``ship``, default the command ship; on ``store``, default the game's; its lease
    ``ttl_s``; its cargo reservations through ``wrap_room``)."""
    from runner.playbook.model import load_playbook_text

    world = g.world
    symbol = ship or world.ship
    store = store or world.store
    playbook = load_playbook_text(text, "t.yaml")
    loaded = LoadedPlaybook(path=Path("t.yaml"), name=playbook.name, ship_selector=symbol,
                            agent=world.agent, steps=tuple(playbook.steps), restart=None,
                            content_hash="h", source_text=text, playbook=playbook)
    record = store.upsert_container(name, "t.yaml", "h", symbol, world.agent)
    lease = store.claim(record.id, "test-runner", ttl_s)
    assert lease is not None, "lease not free"
    async with world.client() as client:
        universe = Universe(store, client)

        async def build(task: ContainerTask) -> Executor:
            game_api: Any = GameApi(client, container=name, markets=universe.observe)
            if wrap_api is not None:
                game_api = wrap_api(game_api)
            language = Language(loaded, universe, game_api)
            room: Any = HeldRoom(task.journal.store, task.journal.holder)
            if wrap_room is not None:
                room = wrap_room(room)
            return Executor(ship=symbol, steps=loaded.steps, api=game_api,
                            language=language, journal=task.journal, view=task.view,
                            stop=task.stop, room=room)

        task = ContainerTask(store=store, holder=LeaseHolder(store, lease),
                             view=ContainerView(str(record.id), name), agent=world.agent,
                             build=build, rule=RestartRule.from_spec("no", clock=SystemClock()),
                             clock=SystemClock())
        return await task.run()
