"""The ledger: every state-changing request the simulator accepted, in order."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One accepted state change; ``game_time`` is ISO on the game clock."""

    seq: int
    game_time: str
    agent: str | None
    ship: str | None
    method: str
    path: str
    body: Any
    status: int


class Ledger:
    """Append-only list of ``Entry``; ``since(seq)`` returns the entries after ``seq``."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def record(self, game_time: str, agent: str | None, ship: str | None, method: str,
               path: str, body: Any, status: int) -> Entry:
        entry = Entry(len(self.entries) + 1, game_time, agent, ship, method, path, body, status)
        self.entries.append(entry)
        return entry

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries[seq:]]
