"""One HTTP exchange with the server, paced, counted, classified and retried.

:class:`ApiSession` owns the ``httpx.AsyncClient`` (one per agent, connections reused), the
rate limiter, the retry policy, the server clock and the metrics. ``send(call)`` returns the
decoded JSON or raises a typed error. For a *mutating* call a failure after the request may
have reached the server (dropped connection, read timeout, 5xx) is not retried here: it
raises :class:`OutcomeUnknown`, and the caller (``runner.api.actions``) re-reads the game
state to decide whether the action took effect.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx

from runner.api.clock import ServerClock
from runner.api.errors import (
    ApiError,
    RateLimited,
    ServerUnavailable,
    TokenFromOldReset,
    UnexpectedResponse,
    api_error,
)
from runner.api.limiter import Limiter, Priority
from runner.api.metrics import Metrics
from runner.api.retry import Failure, FailureKind, RetryPolicy
from runner.api.secrets import Token, redact

log = logging.getLogger("runner.api")

SEND_GUARD: ContextVar[Callable[[], None] | None] = ContextVar("st_run_send_guard",
                                                              default=None)
"""Called right before a *mutating* request goes on the wire, after the rate limiter let it
through (which may take long); it raises to keep the request from being sent. The runtime
sets it to a check that the container still holds its lease: a runner paused past its lease
(SIGSTOP, a frozen VM) must not send a command its successor may already have re-sent."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEADLINE_READS = 2.0
"""A request's overall deadline, in per-read timeouts: httpx's timeouts bound each read, so
an answer that drips one byte at a time would never time out without it."""
MAINTENANCE_CODES = frozenset({3100, 3200})
SERVER_ERROR_CODES = frozenset({3000, 3002})


@dataclass(frozen=True)
class Call:
    """One API request as the client means it.

    ``endpoint`` is the path template used for accounting (``/my/ships/{ship}/navigate``);
    ``mutating`` marks a request that changes game state and so is never blindly re-sent.
    """

    method: str
    path: str
    endpoint: str
    priority: Priority
    json: Mapping[str, Any] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    ship: str | None = None
    container: str | None = None
    mutating: bool = False
    token: Token | None = None  # overrides the session's token (register: account token)
    anonymous: bool = False  # send no token at all (server status)


@dataclass(frozen=True)
class Answer:
    """A decoded successful response: HTTP status and JSON body (None for 204)."""

    status: int
    body: Any


def log_event(level: int, event: str, call: Call, **context: object) -> None:
    """The one way this package logs: ``event=NAME`` plus the call's context (never the
    token: a Call's token is only ever read by ``_auth``)."""
    if not log.isEnabledFor(level):
        return
    fields = {"endpoint": f"{call.method} {call.endpoint}", "ship": call.ship,
              "container": call.container, "priority": call.priority.name, **context}
    text = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
    log.log(level, "event=%s %s", event, text)


class DeadlinePassed(httpx.ReadTimeout):
    """The whole request (a slow, dripping answer included) took longer than its deadline."""


class OutcomeUnknown(Exception):
    """A mutating request may or may not have been applied (its answer was lost)."""

    def __init__(self, failure: Failure, cause: str) -> None:
        super().__init__(cause)
        self.failure = failure


class _Retryable(Exception):
    """Internal: one attempt failed in a way the retry policy decides about."""

    def __init__(self, failure: Failure, cause: str, *, ambiguous: bool,
                 error: Exception | None = None) -> None:
        super().__init__(cause)
        self.failure = failure
        self.ambiguous = ambiguous
        self.error = error


class ApiSession:
    """Sends :class:`Call` s for one agent; shared by all of that agent's containers."""

    def __init__(self, base_url: str, token: Token | None, *, limiter: Limiter,
                 retry: RetryPolicy, metrics: Metrics, clock: ServerClock,
                 transport: httpx.AsyncBaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 deadline_s: float | None = None) -> None:
        """``timeout`` bounds each connect and read; ``deadline_s`` the whole request,
        answer included (default: two read timeouts plus the connect timeout)."""
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.limiter = limiter
        self.retry = retry
        self.metrics = metrics
        self.clock = clock
        self.read_timeout = float(timeout.read or 0.0)
        self.deadline_s = deadline_s if deadline_s is not None else \
            DEADLINE_READS * float(timeout.read or DEFAULT_TIMEOUT.read or 30.0) + \
            float(timeout.connect or 0.0)
        self.dead_tokens: set[Token] = set()  # answered 4113: from an old reset, never resent
        self._http = httpx.AsyncClient(base_url=self.base_url, transport=transport,
                                       timeout=timeout,
                                       headers={"Accept": "application/json"})

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def send(self, call: Call) -> Answer:
        """Send ``call`` until it succeeds, fails for good, or (mutating) its outcome is lost.

        Raises an :class:`ApiError` subclass for game errors, :class:`ServerUnavailable`
        when retries are exhausted, :class:`OutcomeUnknown` for a lost mutating answer.
        """
        failures: list[Failure] = []
        while True:
            try:
                return await self._attempt(call)
            except _Retryable as exc:
                if exc.ambiguous and call.mutating:
                    raise OutcomeUnknown(exc.failure, str(exc)) from None
                failures.append(exc.failure)
                await self.backoff(failures, call, exc)

    async def backoff(self, failures: list[Failure], call: Call, exc: Exception) -> None:
        """Sleep as the retry policy says, or raise the final error when it gives up."""
        decision = self.retry.decide(failures)
        if not decision.retry:
            final = getattr(exc, "error", None)
            if isinstance(final, RateLimited):
                raise final from None
            detail = f"{call.method} {call.endpoint}: {final.message}" \
                if isinstance(final, ApiError) else str(exc)
            # Name the server: "connection refused" alone does not say which URL was wrong.
            raise ServerUnavailable(f"{self.base_url}: {detail} ({decision.reason})") from None
        self.metrics.retry()
        log_event(logging.INFO, "retry", call, reason=decision.reason,
                  delay=f"{decision.delay:.2f}s")
        await asyncio.sleep(decision.delay)

    async def _attempt(self, call: Call) -> Answer:
        token = self._token_of(call)
        if token is not None and token in self.dead_tokens:
            raise TokenFromOldReset("the token is from an old server reset (the server said "
                                    "so before); not sent again", status=401)
        permit = await self.limiter.acquire(call.priority)
        self.metrics.request(call.endpoint, ship=call.ship, container=call.container,
                             priority=call.priority.name)
        self.metrics.wait(call.priority.name, permit.waited)
        log_event(logging.DEBUG, "request", call, waited=f"{permit.waited:.3f}s")
        try:
            guard = SEND_GUARD.get() if call.mutating else None
            if guard is not None:
                guard()
            response = await self._request_by_deadline(call)
        except httpx.TransportError as exc:
            self._count(call, _transport_outcome(exc))
            raise _transport_failure(exc, call, self._tokens(call)) from None
        finally:
            self.limiter.answered(permit)
        self.clock.observe(_clock_headers(response))
        self._observe_limit(response)
        self._count(call, _status_outcome(response))
        return self._decode(call, response)

    def _observe_limit(self, response: httpx.Response) -> None:
        """Every answer but a 429 says how much of the account's budget is left
        (``x-ratelimit-remaining``): another consumer shows up here before it gets us
        refused. (A 429's figure is always 0 and is handled by ``refused``.)"""
        if response.status_code == 429:
            return
        remaining = _float(response.headers.get("x-ratelimit-remaining"))
        if remaining is not None and remaining >= 0:
            self.limiter.observe_total(int(remaining))

    def _count(self, call: Call, outcome: str) -> None:
        self.metrics.outcome(call.endpoint, outcome, method=call.method,
                             priority=call.priority.name, container=call.container)

    async def _request_by_deadline(self, call: Call) -> httpx.Response:
        """The request, whole answer read, within ``deadline_s``; else ``DeadlinePassed``
        (a timeout: the request may have been received, so a mutating one is ambiguous)."""
        try:
            return await asyncio.wait_for(self._http.request(
                call.method, call.path, json=_body(call), params=dict(call.params) or None,
                headers=self._auth(call)), timeout=self.deadline_s)
        except TimeoutError:
            raise DeadlinePassed(f"no complete answer within the request's deadline of "
                                 f"{self.deadline_s:g} s") from None

    def _token_of(self, call: Call) -> Token | None:
        return None if call.anonymous else call.token or self.token

    def _auth(self, call: Call) -> dict[str, str]:
        token = self._token_of(call)
        return {"Authorization": token.bearer()} if token is not None else {}

    def _tokens(self, call: Call) -> tuple[Token | None, ...]:
        return (call.token, self.token)

    def _decode(self, call: Call, response: httpx.Response) -> Answer:
        if response.status_code == 204:
            return Answer(204, None)
        body = _json(response)
        if response.status_code < 400:
            if body is None:
                raise UnexpectedResponse(f"{call.endpoint}: HTTP {response.status_code} "
                                         "without a JSON body")
            return Answer(response.status_code, body)
        raise self._failure(call, response, body)

    def _failure(self, call: Call, response: httpx.Response, body: Any) -> Exception:
        status = response.status_code
        error = api_error(status, body if isinstance(body, Mapping) else None)
        where = f"{call.method} {call.endpoint}"
        if status == 429 or isinstance(error, RateLimited):
            return self._rate_limited(response, body, where)
        if status == 502:
            return _Retryable(Failure(FailureKind.BAD_GATEWAY), f"{where}: 502",
                              ambiguous=True)
        if error.code in MAINTENANCE_CODES:
            return _Retryable(Failure(FailureKind.MAINTENANCE), f"{where}: {error.message}",
                              ambiguous=False, error=error)
        if status >= 500 or error.code in SERVER_ERROR_CODES:
            return _Retryable(Failure(FailureKind.SERVER_ERROR), f"{where}: HTTP {status}",
                              ambiguous=True, error=error)
        token = self._token_of(call)
        if isinstance(error, TokenFromOldReset) and token is not None:
            self.dead_tokens.add(token)
        return error

    def _rate_limited(self, response: httpx.Response, body: Any, where: str) -> _Retryable:
        headers = response.headers
        bare = not any(k.lower().startswith("x-ratelimit") for k in headers)
        data = (body or {}).get("error", {}).get("data", {}) if isinstance(body, dict) else {}
        # the body's figure has milliseconds; Retry-After is whole seconds, rounded up
        retry_after = _float(data.get("retryAfter")) if isinstance(data, dict) else None
        if retry_after is None:
            retry_after = _float(headers.get("retry-after"))
        self.metrics.rate_limit(_limit_kind(headers, bare))
        if bare:
            failure = Failure(FailureKind.BARE_429, retry_after)
        else:
            failure = Failure(FailureKind.RATE_LIMITED, retry_after)
            self.limiter.refused(retry_after if retry_after is not None else 1.0)
        error = RateLimited(f"{where}: rate limited", retry_after=retry_after, bare=bare,
                            status=429)
        return _Retryable(failure, f"{where}: 429{' (bare)' if bare else ''}",
                          ambiguous=False, error=error)


def _limit_kind(headers: httpx.Headers, bare: bool) -> str:
    """A bounded label for a 429: ``bare``, else the server's ``x-ratelimit-type`` in lower
    case (``account``, ``ip_address``), ``other`` when it is missing or odd."""
    if bare:
        return "bare"
    kind = headers.get("x-ratelimit-type", "").strip().lower()
    return kind if kind.replace("_", "").isalpha() and len(kind) <= 24 else "other"


def _clock_headers(response: httpx.Response) -> dict[str, str]:
    """``Date`` and ``x-sim-speed``. When a server stack adds a second ``Date`` (uvicorn in
    front of the simulator adds the wall clock's), the application's own, last, one wins."""
    dates = response.headers.get_list("date")
    headers = {"date": dates[-1]} if dates else {}
    speed = response.headers.get("x-sim-speed")
    if speed is not None:
        headers["x-sim-speed"] = speed
    return headers


def _body(call: Call) -> Mapping[str, Any] | None:
    # A POST with a JSON content type and an empty body is refused (3001): send {}.
    if call.json is None and call.method in ("POST", "PATCH"):
        return {}
    return call.json


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _float(value: object) -> float | None:
    try:
        return float(value) if value is not None else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _status_outcome(response: httpx.Response) -> str:
    if response.status_code >= 400:
        body = _json(response)
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return str(body["error"].get("code", response.status_code))
    return str(response.status_code)


def _transport_outcome(exc: httpx.TransportError) -> str:
    return "timeout" if isinstance(exc, httpx.TimeoutException) else "connection"


def _transport_failure(exc: httpx.TransportError, call: Call,
                       tokens: tuple[Token | None, ...]) -> _Retryable:
    """Classify a transport error; ``ambiguous`` when the request may have been received."""
    cause = redact(f"{call.method} {call.endpoint}: {type(exc).__name__}: {exc}", *tokens)
    not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    kind = FailureKind.TIMEOUT if isinstance(exc, httpx.TimeoutException) \
        else FailureKind.CONNECTION
    return _Retryable(Failure(kind), cause, ambiguous=not not_sent)
