"""``run``'s meaning check before a container is created: the playbook compiled against the
live universe exactly as ``st-run plan`` does (one compiler, ``compile_playbook``).

A playbook that names a ship nobody has, a waypoint that does not exist, a leg no tank can
fly or a market that does not trade the good fails here with one located line and exit 2,
instead of failing mid-run (after buying cargo, say) or as an internal error. Only a run
that starts from the top is checked: a resumed container's ship is somewhere in the middle
of the playbook, where a plan from the top means nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.errors import InvalidInput

if TYPE_CHECKING:
    from runner.domain.plan import Plan
    from runner.runtime.adapters import LoadedPlaybook, Runtime


class PlanFailed(InvalidInput):
    """The playbook cannot run as written against this universe (what ``plan`` says)."""


async def check_meaning(runtime: Runtime, loaded: LoadedPlaybook) -> Plan | None:
    """Compile ``loaded`` against the agent's ships and system and return the plan (the
    live view's ETA); ``PlanFailed`` (exit 2) with the first located problem when it cannot
    run. Requests: the ship list, the agent, and the system only when the state store has
    no fresh copy of it."""
    from runner.actions.navigate import playbook_systems
    from runner.playbook.compiler import compile_playbook
    from runner.playbook.errors import PlaybookError
    from runner.runtime.adapters import fetch_game_data

    if loaded.playbook is None:
        return None
    client = runtime.agents.client(loaded.agent)
    ship = runtime.pick_ship(loaded, ships := list(await client.list_ships()))
    system = await runtime.universe(loaded.agent).system(ship.nav.system)
    agent = await client.get_agent()
    game = await fetch_game_data(client, loaded.playbook, system)
    atlas = await runtime.universe(loaded.agent).atlas(
        ship.nav.system, playbook_systems(loaded.playbook, ship, system, agent))
    try:
        return compile_playbook(loaded.playbook, system, ship, agent, ships=ships, game=game,
                                atlas=atlas, slot=loaded.slot)
    except PlaybookError as exc:
        raise PlanFailed(f"{exc.message}; not started (`st-run plan {loaded.path}` shows "
                         "the whole plan)") from None
