"""A runner paused past its lease never sends the state change its successor may have re-sent.

The guard runs right before a mutating request goes on the wire (after the rate limiter let
it through): with the lease proven recently it costs nothing; after a pause longer than a
third of the ttl it renews the lease in the database first, and when another runner took
the container meanwhile it raises ``LeaseLost`` instead of sending.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.api.client import SpaceTradersClient
from runner.api.secrets import Token
from runner.api.transport import SEND_GUARD
from runner.runtime.journal import LeaseHolder
from runner.state.records import LeaseLost
from runner.state.store import Store


def holder_taken_over(tmp_path: Path) -> LeaseHolder:
    """A holder whose 0.2 s lease lapsed while it was 'paused' and was claimed by another."""
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    record = store.upsert_container("c", "c.yaml", "h", "S-1", "A")
    lease = store.claim(record.id, "paused-runner", 0.2)
    assert lease is not None
    holder = LeaseHolder(store, lease)
    holder.confirm()  # just proven: no database call needed, no error
    time.sleep(0.3)  # the pause: the lease lapses ...
    assert store.claim(record.id, "other-runner", 30) is not None  # ... and is taken
    return holder


def test_a_paused_holder_finds_its_lease_gone_before_sending(tmp_path: Path) -> None:
    holder = holder_taken_over(tmp_path)
    with pytest.raises(LeaseLost, match="taken over"):
        holder.confirm()


def test_a_holder_still_owning_its_lease_renews_it_after_a_pause(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    record = store.upsert_container("c", "c.yaml", "h", "S-1", "A")
    lease = store.claim(record.id, "slow-runner", 0.3)
    assert lease is not None
    holder = LeaseHolder(store, lease)
    time.sleep(0.15)  # longer than a third of the ttl, nobody took it
    holder.confirm()
    assert holder.lease.version == lease.version and not holder.lost


def test_the_guard_keeps_a_mutating_request_off_the_wire(sim_server: Any,
                                                         tmp_path: Path) -> None:
    token = httpx.post(f"{sim_server.url}/register", json={"symbol": "GUARDED",
                       "faction": "COSMIC"}, timeout=10).json()["data"]["token"]
    holder = holder_taken_over(tmp_path)

    async def orbit() -> None:
        async with SpaceTradersClient(sim_server.url, Token(token)) as client:
            await client.get_agent()  # reads are not guarded
            mark = SEND_GUARD.set(holder.confirm)
            try:
                await client.orbit("GUARDED-1")
            finally:
                SEND_GUARD.reset(mark)

    with pytest.raises(LeaseLost):
        asyncio.run(orbit())
    ledger = httpx.get(f"{sim_server.url}/_sim/ledger", timeout=10).json()["data"]
    entries = ledger.get("entries", ledger) if isinstance(ledger, dict) else ledger
    assert not [e for e in entries if str(e.get("path", "")).endswith("/orbit")]
