"""Server resets survived unattended: detect, stop, register again, start afresh.

A :class:`ResetKeeper` watches for the two signs of a reset (the supervisor tells it of a
4113 answer; it checks ``GET /`` for a changed ``resetDate`` at start and every
``ST_RUN_RESET_CHECK_S`` seconds) and then, per agent, one line per stage:

1. ``reset detected`` (and how);
2. ``stopping N container(s)`` at their next safe point, waiting for them;
3. every container of the agent is marked as belonging to the old universe (progress
   dropped, STOPPED with a note: nothing resumes it in the new one), the galaxy cache is
   emptied;
4. ``re-registered as SYMBOL`` with the account token and the symbol and faction saved in
   the config file; the new token is saved there and used from then on;
5. ``started N playbook(s) afresh`` (the caller's ``restart`` does it: selectors make the
   playbooks portable).

Without an account token, or when registering fails, one line says what to do, and the
other agents run on; a token saved in the config file later (``st-run register --force``,
or another st-run process) is taken up at the next check, and a registration that met an
unreachable server is tried again then.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING

from runner.api import Priority, SpaceTradersClient
from runner.api.errors import ApiError, RateLimited, ServerUnavailable
from runner.config import AgentEntry, account_token, config_path, load_config, save_config
from runner.domain.reset import (
    OLD_UNIVERSE_NOTE,
    RESET_CHECK_S,
    CannotRejoin,
    ResetDetector,
    ResetSeen,
    check_due,
    decide_rejoin,
)
from runner.domain.status import ContainerStatus
from runner.envconfig import RESET_CHECK_ENV, seconds_from_env
from runner.errors import StRunError

if TYPE_CHECKING:
    from runner.runtime.supervisor import Supervisor

SYMBOL_CLAIMED = 4111
"""The server's code for a registration whose symbol is taken (in this universe)."""

Restart = Callable[[str, Collection[int]], Awaitable[int]]
"""``restart(agent, skip)``: start the agent's playbooks afresh, except the containers in
``skip`` (a user had stopped them); returns how many started."""


def reset_check_from_env() -> float:
    """``ST_RUN_RESET_CHECK_S`` seconds between ``resetDate`` checks, else the default; a
    value that is not a positive number is ``InvalidInput`` (exit 2)."""
    return seconds_from_env(RESET_CHECK_ENV, RESET_CHECK_S)


class ResetKeeper:
    """Handles server resets for one supervisor's agents (see the module docstring)."""

    def __init__(self, supervisor: Supervisor, restart: Restart, *,
                 interval_s: float | None = None,
                 stopped_by_user: Callable[[str], set[int]] | None = None) -> None:
        """Becomes the supervisor's ``on_token_expired``. ``stopped_by_user(agent)``: the
        agent's containers a user stopped (they stay stopped in the new universe); default:
        the STOPPED ones this runner does not run."""
        self.supervisor = supervisor
        self.store = supervisor.store
        self.restart = restart
        self.stopped_by_user = stopped_by_user or self._stopped_here
        self.interval_s = interval_s or reset_check_from_env()
        self.detector = ResetDetector()
        self.tasks: set[asyncio.Task[None]] = set()
        self.stuck: dict[str, Collection[int]] = {}
        """Agents that could not register again, with their containers a user stopped."""
        self.unreachable: set[str] = set()
        """Stuck agents whose registration met an unreachable server: tried again."""
        self.last_check: float | None = None
        supervisor.on_token_expired = self.token_dead

    def say(self, line: str) -> None:
        """A stage's line: on the terminal (through the supervisor) and in the log."""
        self.supervisor.say(line)
        with contextlib.suppress(Exception):  # the database may be out: the line is said
            self.store.log(None, "WARNING", f"reset: {line}")

    # ---- the signs -----------------------------------------------------------------------

    def token_dead(self, agent: str) -> None:
        """The supervisor saw ``agent``'s token answer 4113: handle the reset in a task."""
        seen = self.detector.token_dead(agent)
        if seen is not None:
            self._spawn(seen)

    async def check_status(self) -> None:
        """Ask each server for its ``resetDate``; handle a change for the agents it serves.
        An unreachable server is skipped (the outage lines speak for it)."""
        self.last_check = time.monotonic()
        for url, (client, agents) in self._servers().items():
            try:
                status = await client.get_status(priority=Priority.BACKGROUND)
            except StRunError:
                continue
            if not status.reset_date:
                continue
            for seen in self.detector.status(url, str(status.reset_date), agents):
                self._spawn(seen)

    async def run(self, stop: asyncio.Event) -> None:
        """Check ``resetDate`` now and every ``interval_s`` until ``stop``."""
        while not stop.is_set():
            if check_due(self.last_check, time.monotonic(), self.interval_s):
                await self.check_status()
                await self.retry_stuck()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)

    async def aclose(self) -> None:
        """Cancel the resets being handled (the watcher is stopping)."""
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _servers(self) -> dict[str, tuple[SpaceTradersClient, list[str]]]:
        """One client per server URL, with the names of the agents that server serves."""
        servers: dict[str, tuple[SpaceTradersClient, list[str]]] = {}
        for name, client in self.supervisor.agents.clients.items():
            if not isinstance(client, SpaceTradersClient):
                continue  # a test's stand-in client: no server to ask
            url = client.base_url
            servers.setdefault(url, (client, []))[1].append(name)
        return servers

    def _spawn(self, seen: ResetSeen) -> None:
        task = asyncio.create_task(self.handle(seen), name=f"reset:{seen.agent}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # ---- the stages ----------------------------------------------------------------------

    async def handle(self, seen: ResetSeen) -> None:
        """Every stage for one agent; never raises (a failure is one line)."""
        agent = seen.agent
        self.say(f"agent {agent}: server reset detected ({seen.cause})")
        try:
            user_stopped = self.stopped_by_user(agent)
            await self._stop(agent)
            self._end_universe(agent)
            if not await self._rejoin(agent):
                # the line said what to do; a new token saved in the config file is taken
                # up at a later check (``retry_stuck``)
                self.stuck[agent] = user_stopped
                return
            await self._start_afresh(agent, user_stopped)
        except StRunError as exc:
            self.say(f"agent {agent}: reset not handled: {exc.message}")

    async def retry_stuck(self) -> None:
        """Agents that could not register again: take up a new token saved in the config
        file meanwhile (``st-run register --force``), or register again when the server was
        unreachable, and start their playbooks afresh."""
        for agent, user_stopped in list(self.stuck.items()):
            try:
                if agent in self.unreachable:
                    self.unreachable.discard(agent)
                    if not await self._rejoin(agent):
                        continue
                elif not self._adopt_saved(agent):
                    continue
                del self.stuck[agent]
                await self._start_afresh(agent, user_stopped)
            except StRunError as exc:
                self.say(f"agent {agent}: reset not handled: {exc.message}")

    async def _start_afresh(self, agent: str, user_stopped: Collection[int]) -> None:
        started = await self.restart(agent, user_stopped)
        self.say(f"agent {agent}: started {started} playbook(s) afresh in the new universe")
        self.detector.handled(agent)

    def _stopped_here(self, agent: str) -> set[int]:
        """The agent's containers that were already STOPPED and not run here."""
        running = {h.id for h in self.supervisor.list() if h.agent == agent}
        return {r.id for r in self.store.list_containers(all=True)
                if r.agent == agent and r.status is ContainerStatus.STOPPED
                and r.id not in running}

    async def _stop(self, agent: str) -> None:
        handles = [h for h in self.supervisor.list() if h.agent == agent and not h.done]
        self.say(f"agent {agent}: stopping {len(handles)} container(s) at their next safe "
                 "point" if handles else f"agent {agent}: stopping: none of its containers "
                 "still runs")
        for handle in handles:
            handle.container.request_stop()
        await asyncio.gather(*(h.task for h in handles), return_exceptions=True)

    def _end_universe(self, agent: str) -> None:
        """Mark every container of ``agent`` as belonging to the old universe; forget the
        old galaxy."""
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        note = (f"{OLD_UNIVERSE_NOTE} (reset noticed {when}); its progress is dropped, it "
                "starts afresh in the new one")
        for record in self.store.list_containers(all=True):
            if record.agent == agent:
                self.store.end_universe(record.id, note)
        self.store.forget_universe()
        self.supervisor.runtime.universes.pop(agent, None)

    async def _rejoin(self, agent: str) -> bool:
        """Register ``agent`` again and save its new token (or take up the one another
        st-run process saved meanwhile); False (one line said what to do) when that cannot
        be done unattended."""
        entry = self._saved(agent)
        if entry is not None and self._adopt_saved(agent):
            return True
        account = account_token()
        decision = decide_rejoin(agent, entry.symbol if entry else None,
                                 entry.faction if entry else None, account is not None)
        if isinstance(decision, CannotRejoin):
            self.say(decision.what_to_do)
            return False
        assert entry is not None  # decide_rejoin needs the saved entry
        client = self.supervisor.agents.client(agent)
        try:
            registration = await client.register(decision.symbol, decision.faction,
                                                 account_token=account,
                                                 priority=Priority.ACTION)
        except (ServerUnavailable, RateLimited) as exc:
            self.unreachable.add(agent)
            self.say(f"agent {agent}: registering {decision.symbol} again failed: "
                     f"{exc.message}; trying again in {self.interval_s:g}s")
            return False
        except StRunError as exc:
            if isinstance(exc, ApiError) and exc.code == SYMBOL_CLAIMED \
                    and self._adopt_saved(agent):
                return True  # another st-run process registered it first
            self.say(f"agent {agent}: registering {decision.symbol} again failed: "
                     f"{exc.message}; register it yourself (`st-run register "
                     f"{decision.symbol} --faction {decision.faction} --force`): the new "
                     "token is taken up as soon as it is saved")
            return False
        renewed = dataclasses.replace(entry, token=registration.token)
        path = save_config(load_config().with_agent(agent, renewed, make_default=False))
        client.use_token(registration.token)
        self.say(f"agent {agent}: re-registered as {registration.agent.symbol} "
                 f"({decision.faction}); new token saved to {path}")
        return True

    def _saved(self, agent: str) -> AgentEntry | None:
        """The agent as the config file saves it (None: its token comes from the
        environment, or it is not saved)."""
        if self.supervisor.agents.any_name:
            return None
        return load_config().agents.get(agent)

    def _adopt_saved(self, agent: str) -> bool:
        """Use the token the config file now saves for ``agent`` when it is another one
        than the client's and not known dead (``st-run register --force``, or another
        process re-registered it); True when adopted."""
        entry = self._saved(agent)
        client = self.supervisor.agents.client(agent)
        if entry is None or entry.token == client.token \
                or self.store.dead_token(entry.token.digest()) is not None:
            return False
        client.use_token(entry.token)
        self.say(f"agent {agent}: re-registered as {entry.symbol} elsewhere; using the new "
                 f"token saved in {config_path()}")
        return True
