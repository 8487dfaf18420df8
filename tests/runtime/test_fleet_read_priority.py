"""A container waiting for another ship (``transfer: {to: {here: true}}``) reads the fleet
as a QUERY, like the other reads a container decides on. At the client's BACKGROUND default
the waiting ships' own QUERY polls kept it queued for the limiter's aging head start (10 s)
on every read: in tests/containers/test_swarm.py drones waited beside an empty hauler until
their deadline passed. A unit test: the client is a recording stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

from runner.api.limiter import Priority
from runner.runtime.game import GameApi


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def list_ships(self, **kwargs: Any) -> list[Any]:
        self.calls.append(kwargs)
        return []


def test_the_fleet_read_of_a_waiting_container_is_a_query() -> None:
    client = Recorder()
    api = GameApi(client, container="drones/D-3")  # type: ignore[arg-type]
    assert asyncio.run(api.fleet()) == []
    assert client.calls == [{"priority": Priority.QUERY, "container": "drones/D-3"}]
