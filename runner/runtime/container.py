"""One supervised container: an executor run under its lease, restarted by its policy.

A ``ContainerTask`` owns the container's lease (renewed by the runner's ``LeaseKeeper``, or
by a heartbeat task of its own) and runs the executor until the playbook completes, is
stopped at a safe point, fails for good, or the lease is lost. A failure asks
``runner.domain.restart.decide`` what to do; a restart waits in BACKOFF (its next retry
time is in the database, so ``status`` shows it) and resumes from the last checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from runner.api.errors import RateLimited, TokenFromOldReset
from runner.domain.restart import Outcome as RunOutcome
from runner.domain.status import ContainerStatus
from runner.errors import StRunError
from runner.runtime.clock import Clock
from runner.runtime.executor import STOP_POLL_S, AgentTokenExpired, Executor, StopAtSafePoint
from runner.runtime.journal import LeaseHolder, StoreJournal
from runner.runtime.leases import LeaseKeeper
from runner.runtime.outage import DatabaseOutage, RetryPolicy, decide, describe, is_transient
from runner.runtime.restarts import RestartRule
from runner.runtime.server_outage import DEFAULT_LIMIT_S, ServerOutage, is_server_outage
from runner.runtime.view import ContainerView
from runner.state.records import LeaseLost
from runner.state.store import Store

#: Lease time to live (seconds); heartbeats renew it three times per period.
LEASE_TTL_S = 30.0

ExecutorFactory = Callable[["ContainerTask"], Awaitable[Executor]]
#: One cheap read of the game server (the container's ship): raises while it is away.
ServerProbe = Callable[[], Awaitable[object]]


def cannot_run_as_written(exc: BaseException) -> bool:
    """True for a failure of the playbook's meaning (the language's ``StepError``: a
    waypoint not in the system, a market without the good, a leg no tank can fly), which no
    restart changes; False for the game's answers and everything else."""
    from runner.playbook.errors import StepError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, StepError):
            return True
        seen = seen.__cause__
    return False


@dataclass
class Outcome:
    """How a container's run ended; ``lost`` when another runner took the lease."""

    status: ContainerStatus | None
    error: str | None = None
    lost: bool = False
    agent_token_expired: bool = False


class ContainerTask:
    """Runs one container to its end; create with the lease already claimed."""

    def __init__(self, *, store: Store, holder: LeaseHolder, view: ContainerView,
                 agent: str, build: ExecutorFactory, rule: RestartRule, clock: Clock,
                 restarts: int = 0, leases: LeaseKeeper | None = None,
                 outage: DatabaseOutage | None = None,
                 db_retry: RetryPolicy | None = None,
                 server_outage: DatabaseOutage | None = None,
                 server_retry: RetryPolicy | None = None,
                 probe: ServerProbe | None = None,
                 resume_at: datetime | None = None) -> None:
        """``leases``: the runner's shared heartbeat; without it the container renews its
        own lease (one write per container per interval). ``outage``: the runner's
        announcer of an unreachable database; ``db_retry``: how long to wait for it.
        ``server_outage``, ``server_retry``: the same for the game server, which ``probe``
        reads while it is away (without a probe, the next run is the probe).
        ``resume_at``: the restart time of a back-off a previous runner left (the stored
        ``next_restart_at``): the first attempt waits for it, as that runner would have."""
        self.store = store
        self.holder = holder
        self.view = view
        self.agent = agent
        self.build = build
        self.rule = rule
        self.clock = clock
        self.restarts = restarts
        self.leases = leases
        self.outage = outage or DatabaseOutage(self._line)
        self.db_retry = db_retry or RetryPolicy.from_env()
        self.server_outage = server_outage or ServerOutage(self._line)
        self.server_retry = server_retry or RetryPolicy(give_up_after_s=DEFAULT_LIMIT_S)
        self.probe = probe
        self._probe_error: Exception | None = None
        self.resume_at = resume_at
        self.stop = asyncio.Event()
        self.journal = StoreJournal(store, holder, self._on_line)
        self.outcome: Outcome | None = None
        self.listeners: list[Callable[[ContainerView, str], None]] = []

    @property
    def id(self) -> int:
        return self.holder.lease.container_id

    def request_stop(self) -> None:
        """Stop at the next safe point (between commands or while waiting)."""
        self.stop.set()

    async def run(self) -> Outcome:
        """Run, restart by policy, and return how it ended; always releases the lease."""
        heartbeat = None
        if self.leases is not None:
            self.leases.add(self.holder, self._lease_lost, self.journal.flush_progress)
        else:
            heartbeat = asyncio.create_task(self._heartbeat())
        try:
            self.outcome = await self._supervise_reporting()
        finally:
            if self.leases is not None:
                self.leases.remove(self.holder)
            if heartbeat is not None:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
            with contextlib.suppress(Exception):
                self.holder.release()
        return self.outcome

    async def _supervise_reporting(self) -> Outcome:
        """``_supervise``; an unexpected exception becomes one line and FAILED (when the
        database lets us record it), never a traceback from the event loop."""
        try:
            return await self._supervise()
        except Exception as exc:
            message = f"internal error: {type(exc).__name__}: {exc}".splitlines()[0]
            self.view.status = ContainerStatus.FAILED.value
            self._line(message)
            with contextlib.suppress(Exception):
                self.store.set_status(self.holder.lease, ContainerStatus.FAILED, error=message)
            return Outcome(ContainerStatus.FAILED, message)

    async def _supervise(self) -> Outcome:
        """Run attempts until one ends the container; a database or game server outage
        holds it meanwhile."""
        if await self._finish_inherited_back_off():
            return self._finish(ContainerStatus.STOPPED, "stopped during back-off")
        while True:
            try:
                outcome = await self._attempt()
            except Exception as exc:
                if is_server_outage(exc):
                    outcome = await self._hold_server(exc)
                elif is_transient(exc):
                    outcome = await self._hold(exc)
                else:
                    raise
            if outcome is not None:
                return outcome

    async def _hold(self, exc: BaseException) -> Outcome | None:
        """The database is unreachable: send nothing, retry the pending write (an applied
        command's checkpoint, else a lease renewal) with back-off until it lands.

        None to run again from the last checkpoint; an ``Outcome`` when the lease was lost,
        a stop was asked for, or the database stayed away past the policy's limit.
        """
        self.outage.enter(exc)
        began, attempt, back = asyncio.get_running_loop().time(), 0, False
        try:
            while True:
                attempt += 1
                delay = decide(self.db_retry, attempt,
                               asyncio.get_running_loop().time() - began)
                if delay is None:
                    return self._give_up(exc)
                if await self._wait_or_stop(delay):
                    if self.holder.lost:
                        return Outcome(None, "lease lost", lost=True)
                    self._line("stopped while the database was unreachable "
                               "(its last checkpoint stays; running it again resumes)")
                    return Outcome(None, "stopped while the database was unreachable")
                try:
                    if not self._retry_pending():
                        self._line("lost the lease while the database was unreachable: "
                                   "another runner drives this ship now; stopping")
                        self.view.status = "LOST"
                        return Outcome(None, "lease lost", lost=True)
                    back = True
                    return None
                except Exception as again:
                    if not is_transient(again):
                        raise
                    exc = again
        finally:
            self.outage.leave(back)

    async def _hold_server(self, exc: Exception) -> Outcome | None:
        """The game server is away: send nothing, probe it with back-off, and run again
        from the last checkpoint once it answers (None). After ``server_retry``'s limit the
        outage counts as a failure and the restart policy decides; a stop ends it STOPPED.
        """
        self.server_outage.enter(exc)
        loop = asyncio.get_running_loop()
        began, started, attempt, back = loop.time(), self.clock.now(), 0, False
        try:
            while True:
                attempt += 1
                delay = decide(self.server_retry, attempt, loop.time() - began)
                if delay is None and isinstance(exc, RateLimited):
                    delay = self.server_retry.max_s  # a 429 is never a failure: hold on
                if delay is None:
                    break  # past the limit: it counts as a failure
                if await self._wait_or_stop(delay) or self._stop_requested() \
                        or await self._probe_or_stop():
                    return self._stopped_while_held()
                if self._probe_error is None:
                    back = True
                    return None
                exc = self._probe_error
        finally:
            self.server_outage.leave(back)
        message = (f"game server unreachable for {self.server_retry.give_up_after_s:g} s "
                   f"({exc.message if isinstance(exc, StRunError) else exc})")
        if not await self._back_off(message, started):
            return self._finish(ContainerStatus.FAILED, f"failed: {message}", error=message)
        if self.stop.is_set():
            return self._finish(ContainerStatus.STOPPED, "stopped during back-off")
        return None

    async def _probe_or_stop(self) -> bool:
        """Read the server once (``_probe_error``: None when it answered, else why not);
        True when a stop was asked meanwhile."""
        self._probe_error = None
        if self.probe is None:
            return False
        probe = asyncio.ensure_future(self.probe())
        stopper = asyncio.ensure_future(self.stop.wait())
        await asyncio.wait({probe, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not probe.done():
            probe.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await probe
            return True
        error = probe.exception()
        if error is not None and not is_server_outage(error):
            raise error
        self._probe_error = error if isinstance(error, Exception) else None
        return False

    def _stop_requested(self) -> bool:
        """True when ``st-run stop`` asked for this container (False if unreadable)."""
        try:
            return self.store.stop_requested(self.id)
        except Exception:  # the database may be away too: the next wait asks again
            return False

    def _stopped_while_held(self) -> Outcome:
        if self.holder.lost:
            return Outcome(None, "lease lost", lost=True)
        return self._finish(ContainerStatus.STOPPED, "stopped while the game server was "
                            "unreachable (running it again resumes from its checkpoint)")

    def _retry_pending(self) -> bool:
        """One retry: renew the lease (False when another runner took it), then write the
        checkpoint an outage interrupted. Raises the database error if it is still away."""
        if not self.holder.heartbeat():
            return False
        if self.journal.unwritten is not None:
            self.journal.unwritten()
        return True

    async def _wait_or_stop(self, seconds: float) -> bool:
        """Sleep (wall clock: the database's outage is real time); True if stop was asked."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)
        return self.stop.is_set()

    def _give_up(self, exc: BaseException) -> Outcome:
        message = (f"database unreachable for {self.db_retry.give_up_after_s:g} s "
                   f"({describe(exc)}); giving up")
        self.view.status = ContainerStatus.FAILED.value
        self._line(f"failed: {message}")
        with contextlib.suppress(Exception):  # it may be back just now
            self.store.set_status(self.holder.lease, ContainerStatus.FAILED, error=message)
        return Outcome(ContainerStatus.FAILED, message)

    async def _attempt(self) -> Outcome | None:
        """One run of the executor (restarts by policy inside); None to run again."""
        while True:
            started = self.clock.now()
            try:
                self._set(ContainerStatus.RUNNING)
                executor = await self.build(self)
                await executor.run()
                return self._finish(ContainerStatus.COMPLETED, "completed")
            except StopAtSafePoint:
                if self.holder.lost:
                    return Outcome(None, "lease lost", lost=True)
                return self._finish(ContainerStatus.STOPPED, "stopped at a safe point")
            except LeaseLost:
                self.view.status = "LOST"
                self._line("lost the lease: another runner drives this ship now; stopping")
                return Outcome(None, "lease lost", lost=True)
            except AgentTokenExpired as exc:
                return self._token_expired(exc.message)
            except TokenFromOldReset as exc:  # at a read (ship, agent, market): as permanent
                return self._token_expired(
                    f"the agent's token is from an old server reset ({exc.code} {exc.name}: "
                    f"{exc.server_message}); register again")
            except Exception as exc:  # a failed run: the restart policy decides
                if is_transient(exc) or is_server_outage(exc):
                    raise  # not the run's fault: the container holds instead
                message = exc.message if isinstance(exc, StRunError) else \
                    f"{type(exc).__name__}: {exc}"
                if cannot_run_as_written(exc):
                    return self._not_as_written(message)
                if not await self._back_off(message, started):
                    return self._finish(ContainerStatus.FAILED, f"failed: {message}",
                                        error=message)
                if self.stop.is_set():
                    return self._finish(ContainerStatus.STOPPED, "stopped during back-off")

    async def _finish_inherited_back_off(self) -> bool:
        """Wait out the back-off a previous runner of this container had reached (a failing
        endpoint is not probed again just because the runner restarted); True if a stop
        was asked meanwhile."""
        if self.resume_at is None:
            return False
        left = (self.resume_at - self.clock.now()).total_seconds()
        if left <= 0:
            return False
        self.view.status, self.view.next_retry = "BACKOFF", self.resume_at
        self.journal.log(f"resuming its back-off: restart {self.restarts} at "
                         f"{self.resume_at:%H:%M:%SZ} (in {left:.0f}s)")
        stopped = await self._sleep_unless_stopped(left)
        self.view.next_retry = None
        return stopped

    async def _sleep_unless_stopped(self, seconds: float) -> bool:
        """Sleep ``seconds`` on the container's clock; True as soon as a stop is asked,
        here or by ``st-run stop`` from another process (read every ``STOP_POLL_S``)."""
        sleeper = asyncio.create_task(self.clock.sleep(seconds))
        stopper = asyncio.create_task(self._stop_signal())
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for task in (sleeper, stopper):
            task.cancel()
        return self.stop.is_set()

    async def _stop_signal(self) -> None:
        """Return once a stop is asked: the event, or the database's ``stop_requested``."""
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=STOP_POLL_S)
            if not self.stop.is_set() and self._stop_requested_in_db():
                self.stop.set()

    def _stop_requested_in_db(self) -> bool:
        try:
            return self.store.stop_requested(self.id)
        except Exception as exc:  # an outage: the executor's own checks see it next
            if not is_transient(exc):
                raise
            return False

    def _not_as_written(self, message: str) -> Outcome:
        """A step that cannot be carried out as written fails the same way on every restart
        (it is what ``plan`` checks): FAILED at once, whatever the restart policy."""
        self.journal.log("not restarting: the step cannot run as written, so a restart "
                         "would fail the same way; fix the playbook (`st-run plan` shows "
                         "it)", "error")
        return self._finish(ContainerStatus.FAILED, f"failed: {message}", error=message)

    def _token_expired(self, message: str) -> Outcome:
        """No restart can help a token from an old reset: FAILED at once, and the
        supervisor stops the agent's other containers (one line says to register again)."""
        outcome = self._finish(ContainerStatus.FAILED, message, error=message)
        outcome.agent_token_expired = True
        return outcome

    async def _back_off(self, message: str, started: datetime) -> bool:
        """Log the failure, then sleep in BACKOFF if the policy restarts; False if not."""
        decision = self.rule.decide(RunOutcome.FAILED, self.restarts, started)
        self.restarts = decision.restarts
        self.view.restarts = self.restarts
        if not decision.restart:
            self.journal.log(f"not restarting: {decision.reason}", "error")
            return False
        retry_at = self.clock.now() + timedelta(seconds=decision.delay_s)
        self.view.status, self.view.next_retry = "BACKOFF", retry_at
        self.journal.log(f"failed: {message}; restart {self.restarts} in "
                         f"{decision.delay_s:g}s at {retry_at:%H:%M:%SZ}", "error")
        self.store.set_status(self.holder.lease, ContainerStatus.BACKOFF, error=message,
                              next_restart_at=retry_at, restarts=self.restarts,
                              **self.journal.take_progress())
        await self._sleep_unless_stopped(decision.delay_s)
        self.view.next_retry = None
        return True

    def _set(self, status: ContainerStatus) -> None:
        self.view.status = status.value
        self.store.set_status(self.holder.lease, status)

    def _finish(self, status: ContainerStatus, line: str, error: str | None = None) -> Outcome:
        self.view.status = status.value
        self.view.transit = None
        try:
            self.journal.log(line, "error" if status is ContainerStatus.FAILED else "info")
            progress = self.journal.take_progress()
            progress["iterations"] = self.view.iterations
            self.store.set_status(self.holder.lease, status, error=error, **progress)
        except LeaseLost:
            return Outcome(None, "lease lost", lost=True)
        return Outcome(status, error)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.holder.lease.ttl_s / 3)
            if not self.holder.heartbeat():
                self._lease_lost()
                return
            with contextlib.suppress(LeaseLost):  # the next heartbeat reports it
                self.journal.flush_progress()

    def _lease_lost(self) -> None:
        self._line("lost the lease: another runner took this container; stopping")
        self.stop.set()

    def _on_line(self, level: str, message: str) -> None:
        self._line(message)

    def _line(self, message: str) -> None:
        self.view.logs.append(message)
        for listener in self.listeners:
            listener(self.view, message)
