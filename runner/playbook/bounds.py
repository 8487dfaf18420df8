"""The bounds of one template or expression evaluation: work, value size, output, wall clock.

A template runs on the runner's event loop, so one evaluation must neither hang nor fill the
memory. Every evaluation runs inside :func:`bounded`, which installs a :class:`Budget` for the
current context; the sandbox (``runner.playbook.sandbox``) and the tree interpreter
(``runner.playbook.fasteval``) charge it as they go and refuse, *before* building it, any value
larger than :data:`MAX_SIZE`. A bound that trips raises :class:`TemplateLimit`, which the
template module turns into the step's error.

Sizes are *weights*: an upper estimate of the length of the value's text (``str(value)``),
counting shared parts once per reference, so a list that holds the same big list many times
weighs what printing it would cost.
"""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

MAX_STEPS = 100_000
"""Work units one evaluation may spend: one per node, call, operator or loop iteration, plus
one per :data:`CHUNK` characters or items it builds, walks or prints."""
MAX_SIZE = 1_000_000
"""Largest weight (about characters of text) of any value a template builds."""
MAX_OUTPUT = 1_000_000
"""Most characters a template may render."""
MAX_INT_BITS = 14_000
"""Largest integer a template may build (about 4,200 digits; Python prints at most 4,300)."""
CPU_SECONDS = 0.3
"""Processor time one evaluation may use (the event loop waits this long at most, on a
machine that is not overloaded)."""
WALL_SECONDS = 1.0
"""Real time one evaluation may take, however loaded the machine (a backstop)."""
CLOCK_EVERY = 256
"""Work units between two readings of the clocks (a reading costs about a unit)."""
CHUNK = 64
"""Characters of data (built, passed on or printed) that cost one work unit."""
WALK = 2
"""Items of a list or dict walked to weigh it that cost one work unit."""


class TemplateLimit(Exception):
    """The template went past one of its bounds (work, size or time)."""

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass
class Budget:
    """What is left of one evaluation's work units, and when its time runs out: after
    ``cpu_seconds`` of this thread's processor time (what the template itself spends, however
    loaded the machine is) or, as a backstop, ``wall_seconds`` of real time."""

    steps: int
    cpu_seconds: float = CPU_SECONDS
    wall_seconds: float = WALL_SECONDS

    def __post_init__(self) -> None:
        self.steps_left = self.steps
        self._cpu_deadline = time.thread_time() + self.cpu_seconds
        self._wall_deadline = time.monotonic() + self.wall_seconds
        self._next_clock_check = self.steps - CLOCK_EVERY

    def charge(self, units: int = 1) -> None:
        """Spend ``units``; TemplateLimit when the work or the time is used up."""
        self.steps_left -= units
        if self.steps_left < 0:
            raise TemplateLimit(f"the template needs more than {self.steps:,} steps "
                                "(too many loop iterations, calls or too much data)")
        if self.steps_left <= self._next_clock_check:
            self._next_clock_check = self.steps_left - CLOCK_EVERY
            self.check_clocks()

    def check_clocks(self) -> None:
        """TemplateLimit once either deadline has passed."""
        if time.thread_time() > self._cpu_deadline:
            raise TemplateLimit(f"the template computes for longer than {self.cpu_seconds} s")
        if time.monotonic() > self._wall_deadline:
            raise TemplateLimit(f"the template runs longer than {self.wall_seconds} s")

    @property
    def spent(self) -> int:
        """Work units used so far."""
        return self.steps - self.steps_left


_CURRENT: ContextVar[Budget | None] = ContextVar("st_run_template_budget", default=None)


@contextmanager
def bounded(steps: int = MAX_STEPS, cpu_seconds: float = CPU_SECONDS,
            wall_seconds: float = WALL_SECONDS) -> Iterator[Budget]:
    """A fresh budget for one evaluation, current until the block ends (nesting reuses the
    outer one: a template never gets more than one budget)."""
    outer = _CURRENT.get()
    if outer is not None:
        yield outer
        return
    budget = Budget(steps, cpu_seconds, wall_seconds)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def current() -> Budget:
    """The budget of the evaluation under way. Evaluating outside :func:`bounded` is a bug
    (an unbounded evaluation), so it raises RuntimeError."""
    budget = _CURRENT.get()
    if budget is None:
        raise RuntimeError("template evaluated outside bounded()")
    return budget


def charge(units: int = 1) -> None:
    """Spend ``units`` of the current budget."""
    current().charge(units)


def weigh(value: Any, limit: int = MAX_SIZE) -> int:
    """An upper estimate of ``len(str(value))``; stops counting once past ``limit`` (so a
    deeply shared or cyclic value costs at most ``limit`` to weigh). Charges the walk (a
    step per WALK items) and the weight (a step per CHUNK): data a template builds, passes
    on or prints costs steps."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        total = _other_weight(value, _no_parts)
        current().charge(1 + total // CHUNK)
        return total
    total, walked, stack = 0, 0, [value]
    pop, extend = stack.pop, stack.extend
    while stack and total <= limit:
        item = pop()
        walked += 1
        kind = type(item)
        if kind is str:
            total += len(item) + 2
        elif kind is int:
            total += item.bit_length() * 77 // 256 + 2  # log10(2) ~ 77/256
        elif kind is list or kind is tuple:
            total += 2 + 2 * len(item)
            extend(item)
        elif kind is dict:
            total += 2 + 4 * len(item)
            extend(item.keys())
            extend(item.values())
        elif kind in _OPAQUE:
            total += OPAQUE_WEIGHT
        else:
            total += _other_weight(item, extend)
    charge(1 + walked // WALK + total // CHUNK)
    return total


def _no_parts(parts: Iterable[Any]) -> None:
    """A scalar has no parts to walk."""


def _other_weight(item: Any, extend: Callable[[Iterable[Any]], None]) -> int:
    """The weight of what is not exactly a str, int, list, tuple or dict (and the parts to
    walk, through ``extend``)."""
    if isinstance(item, str | bytes):
        return len(item) + 2
    if isinstance(item, bool) or item is None:
        return 5
    if isinstance(item, int):
        return item.bit_length() * 77 // 256 + 2
    if isinstance(item, float):
        return 24
    if isinstance(item, list | tuple | set | frozenset):
        extend(item)
        return 2 + 2 * len(item)
    if isinstance(item, Mapping):
        extend(item.keys())
        extend(item.values())
        return 2 + 4 * len(item)
    _OPAQUE.add(type(item))
    return OPAQUE_WEIGHT


OPAQUE_WEIGHT = 16
"""The weight of an object whose text is short: a range, a method, an undefined, a loop."""
_OPAQUE: set[type] = set()
"""Types found to be none of text, number, list or mapping (checked once per type: the
abstract ``Mapping`` check is slow)."""


def sized(value: Any, what: str = "value") -> Any:
    """``value`` once it is known to weigh at most MAX_SIZE; TemplateLimit otherwise."""
    if weigh(value) > MAX_SIZE:
        raise TemplateLimit(f"the template builds a {what} larger than {MAX_SIZE:,} characters")
    return value


def refuse_size(predicted: int, what: str) -> None:
    """TemplateLimit when a value about to be built would weigh more than MAX_SIZE."""
    if predicted > MAX_SIZE:
        raise TemplateLimit(f"the template would build {what} larger than {MAX_SIZE:,} "
                            "characters")


def _refuse_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateLimit(f"the template would build a number of more than "
                            f"{MAX_INT_BITS * 77 // 256:,} digits")


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
}
"""Jinja's binary operators, all of which the sandbox routes through :func:`binop`."""


def binop(op: str, left: Any, right: Any) -> Any:
    """``left op right`` once its result is known to fit the bounds (checked before it is
    built, then weighed)."""
    charge()
    check_binop(op, left, right)
    result = BINARY[op](left, right)
    if isinstance(result, int):
        _refuse_bits(result.bit_length())
        return result
    return sized(result, "text or list") if op in "+*%" else result


def check_binop(op: str, left: Any, right: Any) -> None:
    """TemplateLimit when ``left op right`` would be too large to build."""
    if op == "*":
        _check_repeat(left, right)
        _check_repeat(right, left)
        if _is_int(left) and _is_int(right):
            _refuse_bits(left.bit_length() + right.bit_length())
    elif op == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        _refuse_bits(left.bit_length() * right)
    elif op == "+" and isinstance(left, str | list | tuple) \
            and isinstance(right, str | list | tuple):
        refuse_size(weigh(left) + weigh(right), "text or a list")
    elif op == "%" and isinstance(left, str):
        refuse_size(percent_size(left, right), "text")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_repeat(seq: Any, times: Any) -> None:
    if isinstance(seq, str | list | tuple) and isinstance(times, int) and times > 1:
        refuse_size(weigh(seq) * times, "a repetition")


_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.DOTALL)


def percent_size(fmt: str, args: Any) -> int:
    """An upper bound on ``len(fmt % args)``: the format, every width and precision it asks
    for, and the arguments' weight (once per conversion when they are a mapping)."""
    widths, conversions, star = 0, 0, False
    for match in _SPEC.finditer(fmt):
        conversions += 1
        for number in match.group(1, 2):
            if number == "*":
                star = True
            elif number:
                widths += int(number) if len(number) < 9 else MAX_SIZE + 1
    given = weigh(args)
    if star:
        items = args if isinstance(args, tuple) else (args,)
        widths += sum(abs(a) for a in items if _is_int(a))
    inserted = given * conversions if isinstance(args, Mapping) else given
    return len(fmt) + widths + inserted
