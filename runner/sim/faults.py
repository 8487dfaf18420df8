"""Seeded, reproducible fault injection for testing clients.

SPEC syntax (documented in docs/simulator.md)::

    SPEC  := RULE ("," RULE)*
    RULE  := KIND ":" RATE (":" OPTION)*  |  "seed=" INT
    KIND  := 500 | 502 | 429 | drop-before | drop-after | latency=DURATION | transfer-race
    RATE  := "10%" | "0.1"
    OPTION:= endpoint=NAME | for=DURATION

``for`` limits a rule to that many GAME seconds after it was installed. Each client key (agent
or IP) draws from its own RNG seeded with (seed, key), so one client's run is reproducible
whatever other clients do.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from runner.sim.config import ConfigError

KINDS = ("500", "502", "429", "drop-before", "drop-after", "latency", "transfer-race")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``500ms``, ``5m`` or ``1h``."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ConfigError(f"duration {text!r}: expected e.g. 90s, 500ms, 5m")
    return float(match[1]) * _UNITS[match[2]]


def _parse_rate(text: str) -> float:
    try:
        rate = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ConfigError(f"fault rate {text!r}: expected e.g. 10% or 0.1") from None
    if not 0 <= rate <= 1:
        raise ConfigError(f"fault rate {text!r} is outside 0%..100%")
    return rate


@dataclass(frozen=True)
class FaultRule:
    """One rule: inject ``kind`` with probability ``rate`` (on ``endpoint`` if set)."""

    kind: str
    rate: float
    endpoint: str | None = None
    duration: float | None = None
    latency: float = 0.0

    def describe(self) -> str:
        kind = f"latency={self.latency:g}s" if self.kind == "latency" else self.kind
        text = f"{kind}:{self.rate * 100:g}%"
        if self.endpoint:
            text += f":endpoint={self.endpoint}"
        if self.duration is not None:
            text += f":for={self.duration:g}s"
        return text


@dataclass(frozen=True)
class FaultSpec:
    rules: tuple[FaultRule, ...] = ()
    seed: int | None = None

    @classmethod
    def parse(cls, text: str | None, endpoints: frozenset[str] | None = None) -> FaultSpec:
        """Parse a SPEC; ``endpoints`` (if given) are the names ``endpoint=`` may use."""
        rules: list[FaultRule] = []
        seed: int | None = None
        for raw in re.split(r"[,;]", text or ""):
            item = raw.strip()
            if not item:
                continue
            if item.startswith("seed="):
                try:
                    seed = int(item[5:])
                except ValueError:
                    raise ConfigError(f"fault seed {item!r} is not an integer") from None
                continue
            rules.append(_parse_rule(item, endpoints))
        return cls(tuple(rules), seed)

    def describe(self) -> str:
        parts = [r.describe() for r in self.rules]
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return ",".join(parts)


def _parse_rule(item: str, endpoints: frozenset[str] | None) -> FaultRule:
    kind, _, rest = item.partition(":")
    kind, latency = kind.strip(), 0.0
    if kind.startswith("latency="):
        kind, latency = "latency", parse_duration(kind[8:])
    if kind not in KINDS or (kind == "latency" and not latency):
        raise ConfigError(f"fault {item!r}: kind must be one of 500, 502, 429, drop-before, "
                          "drop-after, latency=DURATION, transfer-race")
    if not rest:
        raise ConfigError(f"fault {item!r}: missing rate, e.g. {kind}:10%")
    rate_text, *options = rest.split(":")
    endpoint: str | None = None
    duration: float | None = None
    for option in options:
        key, _, value = option.partition("=")
        if key == "endpoint" and value:
            if endpoints is not None and value not in endpoints:
                raise ConfigError(f"fault {item!r}: unknown endpoint {value!r}; "
                                  f"known: {', '.join(sorted(endpoints))}")
            endpoint = value
        elif key == "for" and value:
            duration = parse_duration(value)
        else:
            raise ConfigError(f"fault {item!r}: unknown option {option!r} "
                              "(use endpoint=NAME or for=DURATION)")
    return FaultRule(kind, _parse_rate(rate_text), endpoint, duration, latency)


@dataclass(frozen=True)
class Injection:
    """What to do to one request: wait ``latency`` wall seconds, then ``kind`` (or nothing)."""

    kind: str | None = None
    latency: float = 0.0


@dataclass
class FaultInjector:
    """Decides per request whether to inject a fault, reproducibly per client key."""

    spec: FaultSpec
    seed: int
    installed_at: float
    _rngs: dict[str, random.Random] = field(default_factory=dict)

    def decide(self, key: str, endpoint: str, now: float) -> Injection:
        if not self.spec.rules:
            return Injection()
        rng = self._rngs.get(key)
        if rng is None:
            seed = self.spec.seed if self.spec.seed is not None else self.seed
            rng = self._rngs[key] = random.Random(f"{seed}:{key}")
        latency, kind = 0.0, None
        for rule in self.spec.rules:
            if rule.endpoint is not None and rule.endpoint != endpoint:
                continue
            if rule.duration is not None and now > self.installed_at + rule.duration:
                continue
            if rng.random() >= rule.rate:
                continue
            if rule.kind == "latency":
                latency += rule.latency
            elif kind is None:
                kind = rule.kind
        return Injection(kind, latency)
