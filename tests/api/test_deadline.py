"""Every request has an overall deadline: an answer that drips one byte at a time (each
read well within the per-read timeout) still ends, against a real local socket server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from runner.api.client import SpaceTradersClient
from runner.api.clock import ServerClock
from runner.api.errors import ServerUnavailable
from runner.api.limiter import LimiterConfig, Priority, RateLimiter
from runner.api.metrics import Metrics
from runner.api.retry import RetryPolicy
from runner.api.secrets import Token
from runner.api.transport import ApiSession, Call, OutcomeUnknown

DRIP_EVERY_S = 0.05
"""Seconds between two bytes of the answer: far below the per-read timeout."""
PER_READ_S = 1.0
BOUND_S = 60.0
"""How long the test lets the request run before calling it hung (the old behaviour)."""


@pytest.fixture
def drip_url() -> Iterator[str]:
    """A server that sends a valid status line and headers, then the body a byte at a time
    and never finishes it."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)  # the request (small: one read is enough)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 1000000\r\n\r\n")
                while not stop.is_set():
                    conn.sendall(b" ")
                    time.sleep(DRIP_EVERY_S)
            except OSError:  # the client gave up and closed: done
                return

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v2"
    finally:
        stop.set()
        thread.join()
        server.close()


NO_RETRY = RetryPolicy(backoff={})


def test_a_dripping_answer_to_a_read_ends_at_the_deadline(drip_url: str) -> None:
    async def scenario() -> None:
        async with SpaceTradersClient(drip_url, Token("t" * 20), retry=NO_RETRY,
                                      limiter=RateLimiter(LimiterConfig.unlimited()),
                                      timeout=httpx.Timeout(PER_READ_S, connect=PER_READ_S)
                                      ) as client:
            with pytest.raises(ServerUnavailable, match="deadline"):
                await asyncio.wait_for(client.get_agent(), BOUND_S)

    asyncio.run(scenario())


def test_a_dripping_answer_to_an_action_is_an_unknown_outcome(drip_url: str) -> None:
    """The request may have been applied: the caller re-reads instead of re-sending."""
    async def scenario() -> None:
        session = ApiSession(drip_url, Token("t" * 20), retry=NO_RETRY,
                             limiter=RateLimiter(LimiterConfig.unlimited()), metrics=Metrics(),
                             clock=ServerClock(),
                             timeout=httpx.Timeout(PER_READ_S, connect=PER_READ_S),
                             deadline_s=1.5)
        call = Call("POST", "/my/ships/S-1/orbit", "/my/ships/{ship}/orbit",
                    Priority.ACTION, mutating=True)
        try:
            with pytest.raises(OutcomeUnknown, match=r"deadline of 1\.5 s"):
                await asyncio.wait_for(session.send(call), BOUND_S)
        finally:
            await session.aclose()

    asyncio.run(scenario())
