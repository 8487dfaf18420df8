"""The supervisor's side of the restart policy: ``runner.domain.restart.decide`` on a clock.

The decision itself is the pure ``decide``; this adapter only supplies "now" from the
injected clock, so tests drive back-off timing on a :class:`~runner.runtime.clock.ManualClock`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from runner.domain.restart import Outcome, RestartDecision, RestartPolicy, decide
from runner.runtime.clock import Clock, SystemClock


@dataclass(frozen=True)
class RestartRule:
    """A container's restart policy bound to a clock."""

    policy: RestartPolicy
    clock: Clock

    @classmethod
    def from_spec(cls, spec: RestartPolicy | object, *, clock: Clock | None = None
                  ) -> RestartRule:
        """From a parsed policy or a playbook's raw ``restart:`` value (None: ``no``)."""
        if isinstance(spec, RestartPolicy):
            policy = spec
        elif spec is None:
            policy = RestartPolicy()
        else:
            policy = RestartPolicy.parse(spec)
        return cls(policy, clock or SystemClock())

    def decide(self, outcome: Outcome, restarts: int, started_at: datetime) -> RestartDecision:
        """What to do after a run that started at ``started_at`` ended with ``outcome``."""
        return decide(self.policy, outcome, restarts, started_at, self.clock.now())
