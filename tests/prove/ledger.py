"""Reading the simulator's ledger: state changes, duplicates, and runs compared to a reference.

The ledger (``GET /v2/_sim/ledger``) lists every state change the simulator accepted,
including those whose answer was lost (``drop-after``). A runner that retries blindly shows
up here as a purchase, sale or delivery done twice.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ONCE = ("purchase", "sell", "navigate", "refuel", "jettison", "deliver", "accept", "fulfill",
        "contract")
"""Actions whose repetition changes the game (``contract`` = negotiate/contract)."""

Change = tuple[str, str]
"""(action, body as ``k=v,...``), the ship's and agent's symbols replaced by ``AGENT``."""


def action_of(path: str) -> str:
    """The last path segment: ``/v2/my/ships/A-1/navigate`` -> ``navigate``."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def changes(ledger: Iterable[Mapping[str, Any]], agent: str,
            kinds: Sequence[str] = ONCE) -> list[Change]:
    """``agent``'s accepted state changes of ``kinds``, in order, agent symbol normalised."""
    out = []
    name = re.compile(rf"\b{re.escape(agent)}\b")
    for entry in ledger:
        if entry.get("agent") != agent or action_of(entry["path"]) not in kinds:
            continue
        body = entry.get("body") or {}
        detail = ",".join(f"{k}={body[k]}" for k in sorted(body)) if isinstance(body, dict) \
            else str(body)
        path = name.sub("AGENT", entry["path"].removeprefix("/v2"))
        out.append((path, name.sub("AGENT", detail)))
    return out


def repeated(found: Sequence[Change]) -> list[str]:
    """State changes that no playbook of ours issues twice in a row.

    The same purchase/sale/delivery/fulfil/accept/negotiate twice in a row, a navigation to
    where the ship already is, or two refuels with no flight between them.
    """
    problems = []
    for before, after in itertools.pairwise(found):
        kind = action_of(after[0])
        if before == after and kind in ("purchase", "sell", "deliver", "fulfill", "accept",
                                        "contract", "navigate", "jettison", "refuel"):
            problems.append(f"twice in a row: {after[0]} {after[1]}")
    return problems


def diff(expected: Sequence[Change], got: Sequence[Change]) -> str:
    """Empty when equal, else the first difference and both lengths (for an assertion)."""
    if list(expected) == list(got):
        return ""
    for i, (a, b) in enumerate(zip(expected, got, strict=False)):
        if a != b:
            return f"at #{i}: expected {a}, got {b} (lengths {len(expected)}/{len(got)})"
    longer = expected if len(expected) > len(got) else got
    which = "missing" if longer is expected else "extra"
    return f"{which} from #{min(len(expected), len(got))}: {longer[min(len(expected), len(got)):]}"
