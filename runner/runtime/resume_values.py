"""The ``-e`` values a resumed container runs with: a pure decision.

A container's ``-e`` values are part of what it runs, like its playbook version: they are
stored when it starts, and a resume runs with them. A resume asked without ``-e`` takes the
stored values (and says so); one asked with other values is refused, since half a run with
``n=3`` and the rest with ``n=1`` is neither; ``--fresh`` starts over with the new values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.errors import InvalidInput


class ResumeRefused(InvalidInput):
    """A resume was asked with ``-e`` values other than the ones the container started with."""


@dataclass(frozen=True)
class ValuesDecision:
    """The values to run with, and the line to say when they are not the ones asked for."""

    values: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None


def render(values: Mapping[str, Any]) -> str:
    """``-e n=3 -e mode=fast`` (sorted), or ``no -e values``."""
    if not values:
        return "no -e values"
    return " ".join(f"-e {key}={values[key]}" for key in sorted(values))


def decide_values(name: str, stored: Mapping[str, Any], asked: Mapping[str, Any]
                  ) -> ValuesDecision:
    """What container ``name`` (with a checkpoint, started with ``stored``) resumes with
    when asked with ``asked``; raises ``ResumeRefused`` (exit 2) when they differ."""
    if dict(asked) == dict(stored):
        return ValuesDecision(stored)
    if not asked:
        return ValuesDecision(stored, f"{name}: resuming with the values it started with "
                                      f"({render(stored)})")
    raise ResumeRefused(f"{name}: cannot resume with {render(asked)}: it started with "
                        f"{render(stored)}; run it again with those (or without -e), or "
                        "start it over with --fresh")
