"""Templating: Jinja2 sandboxed, strict about undefined names, with bare expressions.

``when``/``until`` are bare expressions (``ship.cargo.units > 10``); a value that is exactly
``{{ expr }}`` is accepted there too, but text mixed with ``{{ }}`` is refused: GitHub Actions'
``if: "x ${{ a }}"`` is always true and nobody notices. Values elsewhere are templates: a
string that is exactly one ``{{ expr }}`` renders to the expression's native value (so
``units: "{{ ship.cargo.free }}"`` is an int), other strings render to text.
No environment, files or Python internals are reachable (``SandboxedEnvironment``), and
every evaluation is bounded in work, size and time (``runner.playbook.bounds``, enforced by
``runner.playbook.sandbox`` and the tree interpreter ``runner.playbook.fasteval``): a bound
that trips is a StepError naming it, and ``validate`` reports the bounds tripped by what
reads no names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import TemplateError, Undefined, nodes

from runner.domain.ship import Agent, Ship
from runner.domain.ship_group import ShipSlot
from runner.playbook.bounds import TemplateLimit, bounded, check_binop
from runner.playbook.context import LoopState
from runner.playbook.errors import StepError
from runner.playbook.sandbox import environment as environment
from runner.playbook.sandbox import render_template

_WHOLE = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.DOTALL)
_MARKERS = ("{{", "{%", "{#")

BUILTIN_NAMES = frozenset({"ship", "agent", "loop", "vars"})
"""Names every template may use besides the playbook's vars and registered results."""


def is_template(value: object) -> bool:
    """True when ``value`` is a string with Jinja markers in it."""
    return isinstance(value, str) and any(m in value for m in _MARKERS)


def bare_expression(text: str) -> str:
    """The expression in ``text``: itself, or the inside of an exact ``{{ ... }}``.

    Raises StepError when text is mixed with ``{{ }}`` (that would always be true).
    """
    match = _WHOLE.match(text)
    if match and "{{" not in match.group(1) and "}}" not in match.group(1):
        return match.group(1).strip()
    if any(m in text for m in _MARKERS):
        raise StepError("an expression must be bare (`ship.fuel.current < 100`), not text "
                        "mixed with `{{ }}`: a non-empty string is always true")
    return text.strip()


@lru_cache(maxsize=1024)
def _compiled_expression(expr: str) -> Any:
    return environment().compile_expression(expr, undefined_to_none=False)


@lru_cache(maxsize=1024)
def _compiled_template(text: str) -> Any:
    return environment().from_string(text)


@lru_cache(maxsize=4096)
def _parsed(text: str, expression: bool) -> nodes.Node:
    """The syntax tree of a bare expression or a template (TemplateError when invalid)."""
    return _parse_expression(text) if expression else environment().parse(text)


def _fast(expression: bool, text: str, names: Mapping[str, Any]) -> Any:
    """The value from the tree interpreter; Unsupported when Jinja must compile it."""
    from runner.playbook.fasteval import UndefinedName, Unsupported, evaluate_tree, render_tree

    try:
        tree = _parsed(text, expression)
    except TemplateError:
        raise Unsupported("syntax") from None  # Jinja's compile reports it in its words
    try:
        if expression:
            return evaluate_tree(tree, names, environment())
        assert isinstance(tree, nodes.Template)
        return render_tree(tree, names, environment())
    except UndefinedName as exc:
        raise StepError(f"in `{text.strip()}`: {exc.message.replace(chr(39), '`')}") from None


def evaluate(expr: str, names: Mapping[str, Any]) -> Any:
    """The value of bare expression ``expr`` with ``names``; StepError on any failure,
    a tripped bound (``runner.playbook.bounds``) included."""
    bare = bare_expression(expr)
    value = _guarded(expr, lambda: _expression_value(bare, names))
    if isinstance(value, Undefined):  # a bare undefined name, or an unsafe attribute
        raise StepError(f"in `{expr.strip()}`: "
                        + value._undefined_message.replace("'", "`"))
    return value


def _expression_value(bare: str, names: Mapping[str, Any]) -> Any:
    from runner.playbook.fasteval import Unsupported

    try:
        return _fast(True, bare, names)
    except Unsupported:
        return _compiled_expression(bare)(**names)


def render(value: Any, names: Mapping[str, Any]) -> Any:
    """``value`` with every template string rendered; lists and mappings recursively.
    All of ``value``'s templates share one budget (a step's arguments are one evaluation:
    ten heavy strings may not hold the event loop ten times as long)."""
    with bounded():
        return _render_value(value, names)


def _render_value(value: Any, names: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return _render_text(value, names) if is_template(value) else value
    if isinstance(value, Mapping):
        return {k: _render_value(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_render_value(v, names) for v in value]
    return value


def _render_text(text: str, names: Mapping[str, Any]) -> Any:
    match = _WHOLE.match(text)
    if match and "{{" not in match.group(1) and "}}" not in match.group(1):
        return evaluate(match.group(1), names)
    return _guarded(text, lambda: _text_value(text, names))


def _text_value(text: str, names: Mapping[str, Any]) -> str:
    from runner.playbook.fasteval import Unsupported

    try:
        return str(_fast(False, text, names))
    except Unsupported:
        return render_template(_compiled_template(text), names)


def _guarded(text: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` within one budget; any failure a StepError that quotes ``text``."""
    shown = _quoted(text)
    try:
        with bounded():
            return compute()
    except StepError:
        raise
    except RecursionError:
        raise StepError(f"in `{shown}`: the template is nested too deeply") from None
    except TemplateLimit as exc:
        raise StepError(f"in `{shown}`: {exc.message}") from None
    except TemplateError as exc:
        raise StepError(f"in `{shown}`: {_describe(exc)}") from None
    except Exception as exc:  # wrong types, division by zero, recursion too deep ...
        raise StepError(f"in `{shown}`: {type(exc).__name__}: {exc}") from None


def _quoted(text: str, width: int = 100) -> str:
    """``text`` stripped, cut to ``width`` characters for an error message."""
    text = text.strip()
    return text if len(text) <= width else text[:width - 3] + "..."


def _describe(exc: TemplateError) -> str:
    message = exc.message or type(exc).__name__
    return message.replace("'", "`") if "undefined" in message else message


def template_syntax_error(text: str, *, expression: bool) -> str | None:
    """None when ``text`` parses (as a bare expression or a template), else the message."""
    return _analyse(text, expression)[0]


@lru_cache(maxsize=4096)
def field_errors(text: str, *, expression: bool) -> tuple[str, ...]:
    """Messages for fields of ``ship``, ``agent`` or ``loop`` that do not exist
    (``ship.fuel.currnet``), each with a "did you mean"; empty when it does not parse."""
    from runner.playbook.errors import did_you_mean
    from runner.playbook.fields import unknown_fields

    try:
        tree = _parsed(bare_expression(text) if expression else text, expression)
    except (StepError, TemplateError, RecursionError):
        return ()
    stored = frozenset(n.name for n in tree.find_all(nodes.Name)
                       if n.ctx in ("store", "param"))
    seen: dict[tuple[str, str], str] = {}
    for chain, field, known in unknown_fields(tree, stored):
        seen.setdefault((chain, field), f"unknown field `{field}` in `{chain}`"
                        f"{did_you_mean(field, known)}")
    return tuple(seen[k] for k in sorted(seen))


def used_names(text: str, *, expression: bool) -> set[str]:
    """The top-level names ``text`` reads (empty when it does not parse)."""
    return set(_analyse(text, expression)[1])


@lru_cache(maxsize=4096)
def _analyse(text: str, expression: bool) -> tuple[str | None, frozenset[str]]:
    """(syntax error or None, names read): one parse, no code generation (that is slow)."""
    kind = "expression" if expression else "template"
    try:
        tree = _parsed(bare_expression(text) if expression else text, expression)
    except StepError as exc:
        return exc.message, frozenset()
    except TemplateError as exc:
        return f"{kind} syntax error: {exc.message}", frozenset()
    except RecursionError:
        return f"{kind} nested too deeply", frozenset()
    unsafe = unsafe_access(tree)
    if unsafe:
        return unsafe, frozenset()
    names = [tree, *tree.find_all(nodes.Name)]  # find_all skips the root: `x` alone is a Name
    loaded = {n.name for n in names if isinstance(n, nodes.Name) and n.ctx == "load"}
    stored = {n.name for n in names if isinstance(n, nodes.Name) and n.ctx in ("store", "param")}
    free = frozenset(loaded - stored)
    if free <= set(environment().globals):
        return _constant_limit(text, expression), free
    if any(True for _ in tree.find_all(_OPERATIONS)):
        return _constant_parts_limit(text, expression), free
    return None, free


def _constant_limit(text: str, expression: bool) -> str | None:
    """Validation's run of a template that reads no names (its value cannot change): the
    bound it trips, as its error, or None. Other failures are left to the step at run time."""
    try:
        with bounded():
            if expression:
                _expression_value(bare_expression(text), {})
            else:
                _text_value(text, {})
    except TemplateLimit as exc:
        return f"in `{_quoted(text)}`: {exc.message}"
    except Exception:  # division by zero, wrong types ...: the step reports them when run
        return None
    return None


_OPERATIONS = (nodes.BinExpr, nodes.Filter, nodes.Call, nodes.Concat, nodes.CondExpr)
"""Nodes whose value is computed (worth evaluating at validation when they read no names)."""


def _constant_parts_limit(text: str, expression: bool) -> str | None:
    """The bound tripped by a part of ``text`` that reads no names (``'x' * 10 ** 9`` in
    ``ship.symbol ~ ('x' * 10 ** 9)``), or None. Runs on a fresh parse: compiling a part
    rewrites its tree, and the cached one must stay as parsed."""
    source = bare_expression(text) if expression else text
    fresh = _parse_expression(source) if expression else environment().parse(source)
    for part in _constant_operations(fresh):
        try:
            with bounded():
                _expression_node_value(part)
        except TemplateLimit as exc:
            return f"in `{_quoted(text)}`: {exc.message}"
        except Exception:  # left to the step at run time, as for a whole template
            continue
    for fmt in _constant_formats(fresh):
        try:
            with bounded():
                check_binop("%", fmt, ())  # its widths alone, whatever it formats
        except TemplateLimit as exc:
            return f"in `{_quoted(text)}`: {exc.message}"
    return None


def _constant_formats(tree: nodes.Node) -> Iterator[str]:
    """The constant format strings of ``tree``'s ``%`` operators and ``format`` filters."""
    for node in tree.find_all((nodes.Mod, nodes.Filter)):
        fmt: nodes.Node | None = None
        if isinstance(node, nodes.Mod):
            fmt = node.left
        elif isinstance(node, nodes.Filter) and node.name == "format":
            fmt = node.node
        if isinstance(fmt, nodes.Const) and isinstance(fmt.value, str):
            yield fmt.value


def _constant_operations(node: nodes.Node) -> Iterator[nodes.Expr]:
    """The largest computed parts of ``node`` that read no names but Jinja's globals."""
    for child in node.iter_child_nodes():
        if isinstance(child, _OPERATIONS) and _reads_no_names(child) \
                and not (isinstance(child, nodes.Filter) and child.node is None):
            yield child
        else:
            yield from _constant_operations(child)


def _reads_no_names(node: nodes.Node) -> bool:
    known = environment().globals
    return all(n.name in known for n in node.find_all(nodes.Name))


def _expression_node_value(expr: nodes.Expr) -> Any:
    """The value of a parsed expression, as ``compile_expression`` computes it."""
    from jinja2.environment import TemplateExpression

    body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
    template = environment().from_string(nodes.Template(body, lineno=1))
    return TemplateExpression(template, undefined_to_none=False)()


def unsafe_access(tree: nodes.Node) -> str | None:
    """Why ``tree`` reaches for Python internals, or None. The sandbox refuses these at run
    time anyway; refusing them here makes ``validate`` fail instead of the ship."""
    for node in [tree, *tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Call))]:
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            return f"templates may not use `{node.attr}` (Python internals)"
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
                and str(node.arg.value).startswith("_"):
            return f"templates may not use `{node.arg.value}` (Python internals)"
        if isinstance(node, nodes.Filter) and node.name == "attr":
            return "templates may not use the `attr` filter"
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) \
                and node.node.attr in ("format", "format_map"):
            return "templates may not call `format`; use `~` or `{{ }}` to build text"
    return None


def _parse_expression(source: str) -> nodes.Node:
    """Parse a bare expression as ``compile_expression`` does, without compiling it."""
    from jinja2.exceptions import TemplateSyntaxError
    from jinja2.parser import Parser

    parser = Parser(environment(), source, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno,
                                  None, None)
    return expr


def template_names(ship: Ship | None, agent: Agent | None, vars: Mapping[str, Any],
                   registered: Mapping[str, Any], loop: LoopState | None,
                   slot: ShipSlot = ShipSlot()) -> dict[str, Any]:
    """Names for templates: the vars, registered results, ``vars``, ``ship``, ``agent``, ``loop``.

    ``ship``: symbol, role, frame, mounts, can_mine, can_survey, index and count (its place
    in its group, ``slot``: 0 of 1 for a single ship), ``nav`` (system, waypoint,
    status, flight_mode), ``fuel`` (current, capacity), ``cargo`` (capacity, units, free,
    inventory), ``cooldown`` (remaining_seconds). ``agent``: symbol, headquarters, credits,
    faction. ``loop``: index (1-based), index0, first, last, length, item.
    """
    names: dict[str, Any] = dict(vars)
    names.update(registered)
    names["vars"] = dict(vars)
    names["ship"] = ship_names(ship, slot) if ship is not None else {}
    names["agent"] = agent_names(agent) if agent is not None else {}
    if loop is not None:
        names["loop"] = loop.as_names()
    return names


def ship_names(ship: Ship, slot: ShipSlot = ShipSlot()) -> dict[str, Any]:
    """The ``ship`` template name (``slot``: the ship's place in its group)."""
    cooldown = ship.cooldown.remaining_seconds if ship.cooldown else 0
    return {
        "symbol": ship.symbol, "role": ship.role, "frame": ship.frame,
        "index": slot.index, "count": slot.count,
        "mounts": sorted(ship.mounts), "can_mine": ship.can_mine, "can_survey": ship.can_survey,
        "nav": {"system": ship.nav.system, "waypoint": ship.nav.waypoint,
                "status": str(ship.nav.status), "flight_mode": str(ship.nav.flight_mode)},
        "fuel": {"current": ship.fuel.current, "capacity": ship.fuel.capacity},
        "cargo": {"capacity": ship.cargo.capacity, "units": ship.cargo.units,
                  "free": ship.cargo.free, "inventory": dict(ship.cargo.inventory)},
        "cooldown": {"remaining_seconds": cooldown},
    }


def agent_names(agent: Agent) -> dict[str, Any]:
    """The ``agent`` template name."""
    return {"symbol": agent.symbol, "headquarters": agent.headquarters,
            "credits": agent.credits, "faction": agent.starting_faction}
