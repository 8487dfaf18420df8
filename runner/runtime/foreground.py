"""``st-run run``'s engine: run playbooks in the foreground until they end or are interrupted.

Reads top to bottom: open the store, get the agents (or start the embedded simulator), load
every playbook (all are checked before any starts: a bad one exits 2), start a container per
playbook (resuming unfinished ones), show them live, stop at a safe point on Ctrl-C/SIGTERM,
and turn the outcomes into an exit code: 0 all completed, 1 any failed, 2 invalid input,
3 stopped by `st-run stop` (the others completed or were stopped too), 130 interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from runner.domain.plan import Plan
from runner.domain.status import ContainerStatus
from runner.errors import StRunError
from runner.observe.serve import ListenAddress, observing
from runner.runtime.adapters import AgentDirectory, LoadedPlaybook
from runner.runtime.container import Outcome
from runner.runtime.embedded import SIM_SEED, SIM_SPEED
from runner.runtime.live_view import LiveView
from runner.runtime.preflight import check_meaning
from runner.runtime.supervisor import ContainerHandle, Supervisor
from runner.runtime.view import PlannedTimes
from runner.state.store import Store

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_STOPPED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
#: Seconds containers get to reach a safe point after Ctrl-C before they are cancelled.
DEFAULT_GRACE_S = 30.0


@dataclass
class RunOptions:
    """What ``st-run run`` was asked to do."""

    paths: Sequence[Path]
    sim: bool = False
    fresh: bool = False
    replace: bool = False  # take a container name over from another file or agent
    db: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    agent: str | None = None
    sim_speed: float = SIM_SPEED
    sim_seed: int = SIM_SEED
    grace_s: float = DEFAULT_GRACE_S
    metrics: ListenAddress | None = None  # serve Prometheus metrics here
    dashboard: ListenAddress | None = None  # serve the web dashboard here
    members: frozenset[str] | None = None  # of group playbooks, run only these (`start`)


#: Databases of earlier ``--sim`` runs kept for ``status --sim`` / ``logs --sim``.
SIM_DBS_KEPT = 5


def sim_db_folder() -> Path:
    """Where ``--sim`` runs keep their databases: beside the default one, so a simulated
    run never touches the containers of real agents."""
    from runner.state.engine import default_db_path

    return default_db_path().with_name("sim")


def new_sim_db_url() -> str:
    """A new database for one ``--sim`` run: its embedded universe is new and ends with
    the run, so its containers, ship locks and checkpoints must not meet an earlier run's
    (which named the same ships in another universe). Older ones of finished runs beyond
    the newest ``SIM_DBS_KEPT`` are removed."""
    folder = sim_db_folder()
    _prune_sim_dbs(folder)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return str(folder / f"{stamp}-{os.getpid()}.sim.db")


def sim_db_url() -> str:
    """The database of the latest ``--sim`` run (what ``status --sim`` reads)."""
    runs = _sim_dbs(sim_db_folder())
    return str(runs[-1] if runs else sim_db_folder() / "latest.sim.db")


def _sim_dbs(folder: Path) -> list[Path]:
    """The ``--sim`` run databases in ``folder``, oldest first (their names sort by time)."""
    return sorted(folder.glob("*-*.sim.db")) if folder.is_dir() else []


def _prune_sim_dbs(folder: Path) -> None:
    from runner.runtime.leases import owner_is_dead

    for path in _sim_dbs(folder)[:-SIM_DBS_KEPT]:
        pid = path.name.removesuffix(".sim.db").rpartition("-")[2]
        if owner_is_dead(f"{socket.gethostname()}:{pid}:"):  # a live run keeps its own
            for doomed in (path, *(path.with_name(path.name + x) for x in ("-wal", "-shm"))):
                with contextlib.suppress(OSError):
                    doomed.unlink()


async def run_foreground(options: RunOptions, console: Console | None = None) -> int:
    """Run the playbooks; return the process exit code."""
    store = Store.open(options.db or (new_sim_db_url() if options.sim else None))
    try:
        async with _agents(options, store) as agents:
            return await _run(options, store, agents, console)
    finally:
        store.close()


@contextlib.asynccontextmanager
async def _agents(options: RunOptions, store: Store) -> AsyncIterator[AgentDirectory]:
    if options.sim:
        from runner.runtime.embedded import embedded_sim

        async with embedded_sim(seed=options.sim_seed, speed=options.sim_speed) as sim:
            yield sim.agents
        return
    from runner.runtime.agents import agents_from_environment

    agents = agents_from_environment(options.agent, store=store)
    try:
        yield agents
    finally:
        await agents.aclose()


async def _run(options: RunOptions, store: Store, agents: AgentDirectory,
               console: Console | None) -> int:
    supervisor = Supervisor(store, agents)
    view = LiveView({}, console)
    supervisor.on_log, supervisor.on_message = view.on_log, view.say
    loaded = [supervisor.runtime.load(path, options.overrides) for path in options.paths]
    _refuse_duplicates(loaded)
    fresh = options.fresh or options.sim
    # Before anything starts: a name another file owns (without --replace) and a resume
    # asked with other -e values are refused (exit 2).
    taken = {p.name for p in loaded
             if supervisor.claimed_by_other(p, replace=options.replace) is not None}
    loaded = [supervisor.resume_values(p, fresh=fresh or p.name in taken) for p in loaded]
    plans = {}
    for playbook in await _with_members(supervisor, loaded, options.members):
        # plan's meaning checks, before any container is created
        if fresh or playbook.name in taken or not supervisor.resumes(playbook):
            plans[playbook.name] = await check_meaning(supervisor.runtime, playbook)
    interrupted = asyncio.Event()
    refused = 0
    supervisor.groups.on_member = lambda handle: _show(view, handle, plans)
    async with view, observing(supervisor, agents, store, metrics=options.metrics,
                               dashboard=options.dashboard, say=view.say):
        for playbook in loaded:
            if playbook.is_group:
                try:
                    await supervisor.groups.start(playbook, fresh=fresh,
                                                  only=options.members)
                except StRunError as exc:
                    view.say(f"{playbook.name}: not started: {exc.message}")
                    refused += 1
                continue
            try:
                handle = await supervisor.start_loaded(playbook, fresh=fresh,
                                                       replace=options.replace)
            except StRunError as exc:
                view.say(f"{playbook.name}: not started: {exc.message}")
                refused += 1
                continue
            view.views[str(handle.id)] = handle.view
            plan = plans.get(playbook.name)
            if plan is not None:
                handle.view.planned = PlannedTimes(plan.step_ends_s, plan.unbounded)
        with _signals(supervisor, interrupted, options.grace_s):
            if options.sim:  # the embedded universe lives as long as this run
                outcomes = await supervisor.wait()
            else:
                outcomes = await _wait_surviving_resets(supervisor, view, loaded, interrupted)
    return _report(view, options, outcomes, refused, interrupted.is_set())


async def _with_members(supervisor: Supervisor, loaded: Sequence[LoadedPlaybook],
                        only: frozenset[str] | None = None) -> list[LoadedPlaybook]:
    """The playbooks to check before anything starts: each group stands for its members
    now (one ship list per agent that has a group)."""
    ships: dict[str, list[Any]] = {}
    out: list[LoadedPlaybook] = []
    for playbook in loaded:
        if not playbook.is_group:
            out.append(playbook)
            continue
        if playbook.agent not in ships:
            client = supervisor.agents.client(playbook.agent)
            ships[playbook.agent] = list(await client.list_ships())
        members = supervisor.runtime.members(playbook, ships[playbook.agent])
        out += [supervisor.resume_values(m) for m in members
                if only is None or m.name in only]
    return out


def _show(view: LiveView, handle: ContainerHandle, plans: Mapping[str, Plan | None]) -> None:
    """Show a group's member in the live view (with its planned times when checked)."""
    view.views[str(handle.id)] = handle.view
    plan = plans.get(handle.name)
    if plan is not None:
        handle.view.planned = PlannedTimes(plan.step_ends_s, plan.unbounded)

async def _wait_surviving_resets(supervisor: Supervisor, view: LiveView,
                                 loaded: Sequence[LoadedPlaybook],
                                 interrupted: asyncio.Event) -> dict[str, Outcome | None]:
    """``supervisor.wait()``, while a :class:`ResetKeeper` survives server resets: the
    playbooks of a re-registered agent start afresh (unless the run was interrupted)."""
    from runner.runtime.resets import ResetKeeper

    async def restart(agent: str, skip: Collection[int]) -> int:
        started = 0
        for playbook in loaded:
            record = supervisor.store.get_container(playbook.name)
            if interrupted.is_set() or playbook.agent != agent or \
                    (record is not None and record.id in skip):
                continue
            try:
                if playbook.is_group:  # its members join as the new universe's ships match
                    await supervisor.groups.start_afresh(playbook)
                else:
                    handle = await supervisor.start_loaded(playbook, fresh=True)
                    view.views[str(handle.id)] = handle.view
            except StRunError as exc:
                view.say(f"{playbook.name}: not started afresh: {exc.message}")
                continue
            started += 1
        return started

    keeper = ResetKeeper(supervisor, restart)
    done = asyncio.Event()
    checks = asyncio.create_task(keeper.run(done), name="reset-checks")
    try:
        outcomes = await supervisor.wait()
        while keeper.tasks:  # a reset being handled starts containers again
            await asyncio.gather(*keeper.tasks, return_exceptions=True)
            outcomes = await supervisor.wait()
        return outcomes
    finally:
        done.set()
        checks.cancel()
        await keeper.aclose()


def _refuse_duplicates(loaded: Sequence[LoadedPlaybook]) -> None:
    seen: dict[str, Path] = {}
    for playbook in loaded:
        if playbook.name in seen:
            raise StRunError(f"{playbook.path}: another playbook ({seen[playbook.name]}) has "
                             f"the same name {playbook.name!r}", exit_code=EXIT_INVALID)
        seen[playbook.name] = playbook.path


@contextlib.contextmanager
def _signals(supervisor: Supervisor, interrupted: asyncio.Event, grace_s: float
             ) -> Any:
    """First Ctrl-C/SIGTERM: stop at safe points; a second one: cancel at once."""
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()

    def on_signal() -> None:
        if interrupted.is_set():
            for handle in supervisor.list():
                handle.task.cancel()
            return
        interrupted.set()
        supervisor.say("stopping at the next safe point (Ctrl-C again to stop at once)")
        task = asyncio.create_task(supervisor.shutdown(grace_s))
        pending.add(task)
        task.add_done_callback(pending.discard)

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _report(view: LiveView, options: RunOptions, outcomes: Mapping[str, Outcome | None],
            refused: int, interrupted: bool) -> int:
    statuses = {name: (o.status if o else None) for name, o in outcomes.items()}
    for name, status in statuses.items():
        view.say(f"{name}: {status.value if status else 'ended without a status'}")
    if interrupted and any(s is not ContainerStatus.COMPLETED for s in statuses.values()):
        again = " ".join(["st-run", *(["--sim"] if options.sim else []),
                          *(str(p) for p in options.paths)])
        if options.sim:
            view.say("stopped at a safe point; the embedded simulator's universe ends with "
                     f"this run, so `{again}` starts over")
        else:
            view.say(f"stopped at a safe point; resume with: {again}")
        return EXIT_INTERRUPTED
    ended_well = {ContainerStatus.COMPLETED, ContainerStatus.STOPPED}
    if refused or any(s not in ended_well for s in statuses.values()):
        return EXIT_FAILED
    if any(s is ContainerStatus.STOPPED for s in statuses.values()):
        # Not interrupted here, so `st-run stop` from another terminal asked for it.
        return EXIT_STOPPED
    return EXIT_OK
