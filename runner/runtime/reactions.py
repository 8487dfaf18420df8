"""How the executor reacts to a game error: by its official code's meaning, as a table.

Codes come from the official catalogue (see ``docs/spacetraders-rules.md`` section 5). The
executor asks :func:`reaction_for` and acts on the answer; nothing else in the runtime
branches on error numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum


class Reaction(Enum):
    """What to do about one failed command."""

    WAIT_ARRIVAL = "wait for the ship to arrive, then retry"
    WAIT_COOLDOWN = "wait for the reactor cooldown, then retry"
    ORBIT_FIRST = "orbit, then retry"
    DOCK_FIRST = "dock, then retry"
    PARK_FOR_CREDITS = "park until the agent has enough credits, then retry"
    ALREADY_DONE = "the server says it is already done: count it as done"
    FAIL_STEP = "the step fails with the server's code and message"


REACTIONS: Mapping[int, Reaction] = {
    4214: Reaction.WAIT_ARRIVAL,  # ShipInTransit
    4200: Reaction.WAIT_ARRIVAL,  # NavigateInTransit
    4000: Reaction.WAIT_COOLDOWN,  # CooldownConflict
    4236: Reaction.ORBIT_FIRST,  # ShipNotInOrbit
    4244: Reaction.DOCK_FIRST,  # ShipNotDocked
    4600: Reaction.PARK_FOR_CREDITS,  # MarketTradeInsufficientCredits
    4204: Reaction.ALREADY_DONE,  # NavigateSameDestination
    4501: Reaction.ALREADY_DONE,  # AcceptContractConflict (already accepted)
    4504: Reaction.ALREADY_DONE,  # ContractFulfilled
    4230: Reaction.ALREADY_DONE,  # WaypointCharted (a chart whose answer was lost)
}

#: How many times one command may be retried after a WAIT/ORBIT/DOCK reaction before the
#: step fails anyway (a server that keeps answering 4236 after an orbit is not to be trusted).
MAX_FIXUPS_PER_COMMAND = 5


def reaction_for(code: int) -> Reaction:
    """The reaction to the official error ``code``; anything unknown fails the step."""
    return REACTIONS.get(code, Reaction.FAIL_STEP)
