"""The async SpaceTraders client: one per agent, shared by all of that agent's containers.

Every method is a coroutine returning domain values (``runner.domain``) or result values
(``runner.api.models``) and takes two keyword-only arguments: ``priority`` (the limiter
class, see :class:`~runner.api.limiter.Priority`) and ``container`` (who asked, for
accounting). Errors are typed (``runner.api.errors``).

State-changing calls are never blindly re-sent: if the answer is lost, the client re-reads
the ship or contract, compares it with the last-known state (kept from every response) and
re-sends only if the action did not take effect (the command's own ``took_effect`` rule,
``runner.domain.commands``). The last-known state of each ship is available to callers
through :meth:`SpaceTradersClient.known_ship`.

Usage::

    async with SpaceTradersClient(url, token) as client:
        ship = await client.get_ship("AGENT-1", priority=Priority.QUERY)
        await client.navigate("AGENT-1", "X1-AB12-C3", priority=Priority.ACTION)
        await asyncio.sleep(client.clock.seconds_until(arrival))
"""

from __future__ import annotations

import os

from runner.api.actions import ClientActions
from runner.api.core import PAGE_LIMIT

DEFAULT_API_URL = "https://api.spacetraders.io/v2"

__all__ = ["DEFAULT_API_URL", "PAGE_LIMIT", "SpaceTradersClient", "api_url_from_env"]


def api_url_from_env() -> str:
    """``ST_RUN_API_URL`` or the real server's ``/v2`` URL."""
    return os.environ.get("ST_RUN_API_URL") or DEFAULT_API_URL


class SpaceTradersClient(ClientActions):
    """Async client for one agent. ``async with`` it, or call ``aclose()`` when done.

    ``SpaceTradersClient(base_url, token, *, limiter=None, transport=None, retry=None,
    metrics=None, clock=None, timeout=None)``; the reads are in ``runner.api.reads``, the
    actions in ``runner.api.actions``, the plumbing in ``runner.api.core``.
    """
