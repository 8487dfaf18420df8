"""The one Jinja environment st-run evaluates templates in: sandboxed *and* bounded.

Jinja's sandbox stops code execution (no ``__class__``, no ``__globals__``); this subclass also
stops resource exhaustion, charging the current :class:`~runner.playbook.bounds.Budget`:

- every binary operator goes through :func:`~runner.playbook.bounds.binop` (sizes predicted
  before ``*``, ``**``, ``+`` and ``%`` build anything);
- every call, attribute and item access costs a step; a call's arguments and result are
  weighed, the growth of ``str`` methods (``ljust``, ``join``, ``replace``, ...) is predicted,
  and a list or dict a method changed is weighed again;
- every filter and test is wrapped the same way, with the growth of ``center``, ``indent``,
  ``format``, ``join``, ``replace``, ``batch``, ``slice`` and ``tojson`` predicted;
- before code generation the syntax tree is rewritten so that each ``{% for %}`` iteration
  costs a step (plus the literal text of its body), list, tuple and dict literals and ``~``
  joins are weighed, and every printed value is weighed (``finalize``).

Constant folding at compile time is off (``optimized=False``): it would run filters outside
any budget.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any, NoReturn, cast

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Context, Macro
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

from runner.playbook.bounds import (
    BINARY,
    CHUNK,
    MAX_OUTPUT,
    TemplateLimit,
    binop,
    charge,
    percent_size,
    refuse_size,
    sized,
    weigh,
)

CALL_COST = 4
"""Steps a call costs."""
MACRO_COST = 40
"""Steps a call of a template's macro costs (some forty times the work of an operator)."""

_JINJA_KWARGS = frozenset({"_loop_vars", "_block_vars"})
"""What Jinja passes a call besides the template's own arguments (not the call's data)."""

# Filter names no template can spell (a filter name is an identifier): the metering hooks.
_ITERATE = "(metered iteration)"
_LITERAL = "(weighed literal)"
_JOIN = "(weighed join)"


class BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox with every operation charged to the current budget."""

    intercepted_binops = frozenset(BINARY)

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, optimized=False,
                         finalize=_printed)
        self.globals = {k: v for k, v in self.globals.items() if k in ("range", "dict")}
        self.filters = {name: _metered(name, f) for name, f in self.filters.items()}
        self.tests = {name: _metered(name, cast(Callable[..., Any], f))
                      for name, f in self.tests.items()}
        self.filters.update({_ITERATE: _iterate, _LITERAL: _literal, _JOIN: _join})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return binop(operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        charge()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        charge()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` can pad to any width; templates build text with ``~`` and ``%``."""
        if super().wrap_str_format(value) is None:
            return None

        def refused(*args: Any, **kwargs: Any) -> str:
            raise SecurityError("templates may not call `format`; use `~` or `{{ }}`")
        return refused

    def call(__self, __context: Context, __obj: Any, *args: Any,
             **kwargs: Any) -> Any:
        """Call from sandboxed code, charged: arguments weighed, growth predicted, result
        (and the list or dict a method may have grown) weighed."""
        charge(MACRO_COST if isinstance(__obj, Macro) else CALL_COST)
        given = {k: v for k, v in kwargs.items() if k not in _JINJA_KWARGS}
        weigh((args, given) if given else args)
        receiver = getattr(__obj, "__self__", None)
        if receiver is not None:
            args = _check_method(receiver, getattr(__obj, "__name__", ""), args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(receiver, list | dict | set):
            sized(receiver, "list or dict")
        return sized(result)

    def handle_exception(self, source: str | None = None) -> NoReturn:
        """Re-raise the error under way as it is: Jinja's rewrite of the traceback into
        template lines compiles code per frame (a deep macro recursion took 200 ms), and
        st-run reports messages, not tracebacks. Syntax errors keep Jinja's handling."""
        error = sys.exc_info()[1]
        if error is None or isinstance(error, TemplateSyntaxError):
            super().handle_exception(source)
        raise error.with_traceback(None)

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        _Meter().visit(source)
        return super()._generate(source, name, filename, defer_init=defer_init)


@lru_cache(maxsize=1)
def environment() -> BoundedSandbox:
    """The one bounded sandbox; of Jinja's globals only ``range`` and ``dict`` remain
    (``cycler``, ``joiner``, ``lipsum``, ``namespace`` serve no playbook)."""
    return BoundedSandbox()


def render_template(template: Template, names: Mapping[str, Any]) -> str:
    """``template`` rendered with ``names``, its output counted as it streams: TemplateLimit
    once it passes MAX_OUTPUT characters (Jinja's ``render`` would build it all first)."""
    parts, size = [], 0
    for part in template.generate(**names):
        size += len(part)
        if size > MAX_OUTPUT:
            raise TemplateLimit(f"the template renders more than {MAX_OUTPUT:,} characters")
        charge(1 + len(part) // CHUNK)
        parts.append(part)
    return "".join(parts)


def _printed(value: Any) -> Any:
    """Jinja's ``finalize``: every ``{{ value }}`` is weighed before it becomes text."""
    return sized(value, "printed value")


def _iterate(iterable: Any, cost: int) -> Iterable[Any]:
    """A ``{% for %}``'s items, each costing ``cost`` steps."""
    return _Metered(iterable, cost)


class _Metered:
    """An iterable whose items are charged as they are taken; keeps ``len`` for ``loop``."""

    def __init__(self, iterable: Any, cost: int) -> None:
        self.iterable, self.cost = iterable, cost

    def __len__(self) -> int:
        return len(self.iterable)

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable:
            charge(self.cost)
            yield item


def _literal(value: Any) -> Any:
    return sized(value, "list or dict")


def _join(parts: tuple[Any, ...]) -> str:
    """``a ~ b``: Jinja's ``str_join``, with every part weighed before it becomes text."""
    refuse_size(sum(weigh(p) for p in parts), "text")
    return "".join(str(p) for p in parts)


class _Meter(NodeTransformer):
    """Rewrites a template's tree so that loops, literals and ``~`` are charged."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        text = sum(len(t.data) for b in node.body for t in _datas(b))
        node.iter = _hook(_ITERATE, node.iter, nodes.Const(1 + text // CHUNK))
        return node

    def visit_List(self, node: nodes.List) -> nodes.Node:
        self.generic_visit(node)
        return _hook(_LITERAL, node)

    def visit_Dict(self, node: nodes.Dict) -> nodes.Node:
        self.generic_visit(node)
        return _hook(_LITERAL, node)

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        self.generic_visit(node)
        return _hook(_LITERAL, node) if node.ctx == "load" else node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _hook(_JOIN, nodes.Tuple(list(node.nodes), "load", lineno=node.lineno))


def _datas(node: nodes.Node) -> Iterator[nodes.TemplateData]:
    if isinstance(node, nodes.TemplateData):
        yield node
    yield from node.find_all(nodes.TemplateData)


def _hook(name: str, node: nodes.Node, *args: nodes.Expr) -> nodes.Filter:
    hooked = nodes.Filter(node, name, list(args), [], None, None, lineno=node.lineno)
    hooked.set_environment(environment())
    return hooked


def _metered(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` (a Jinja filter or test) charged: input and arguments weighed, growth
    predicted for the filters that can grow text, result weighed."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    slow = _SLOW.get(name, 0)

    @functools.wraps(func)
    def metered(*args: Any, **kwargs: Any) -> Any:
        charge()
        value, rest = (args[skip] if len(args) > skip else None), args[skip + 1:]
        if name == "join" and value is not None:  # materialise once, to measure it
            value = list(value)
            args = (*args[:skip], value, *rest)
        weight = weigh(value) + weigh((rest, kwargs))
        predict = _GROWTH.get(name)
        if predict is not None:
            refuse_size(predict(value, weight, rest, kwargs), f"text with `{name}`")
        charge(weight * slow // CHUNK)
        return sized(func(*args, **kwargs))
    return metered


def _arg(rest: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, key: str,
         default: Any) -> Any:
    return rest[index] if len(rest) > index else kwargs.get(key, default)


def _count(rest: tuple[Any, ...], kwargs: Mapping[str, Any], key: str) -> int:
    """An integer argument that sets a width or a count (0 when absent or not a number)."""
    n = _arg(rest, kwargs, 0, key, 0)
    return abs(n) if isinstance(n, int) else 0


def _indent(value: Any, weight: int, rest: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    width = _arg(rest, kwargs, 0, "width", 4)
    per_line = len(width) if isinstance(width, str) else abs(width) if isinstance(width, int) \
        else 0
    lines = str(value).count("\n") + 1 if isinstance(value, str) else 1
    return weight + lines * per_line


def _replace(value: Any, weight: int, rest: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """The filter turns all three to text: a non-text ``old`` may match anywhere."""
    old, new = _arg(rest, kwargs, 0, "old", ""), _arg(rest, kwargs, 1, "new", "")
    if isinstance(value, str) and isinstance(old, str) and old:
        hits = value.count(old)
    else:
        hits = weight + 1
    return weight + hits * (len(new) if isinstance(new, str) else weigh(new))


def _wordwrap(value: Any, weight: int, rest: tuple[Any, ...],
              kwargs: Mapping[str, Any]) -> int:
    width = max(1, _count(rest, kwargs, "width") or 79)
    wrap = _arg(rest, kwargs, 2, "wrapstring", None)
    per_line = len(wrap) if isinstance(wrap, str) else 2
    return weight + (weight // width + 1) * per_line


def _urlize(value: Any, weight: int, rest: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """Every word may become a link carrying the ``target`` and ``rel`` given."""
    return weight * (64 + weigh((rest, kwargs)))


def _join_size(value: Any, weight: int, rest: tuple[Any, ...],
               kwargs: Mapping[str, Any]) -> int:
    sep = _arg(rest, kwargs, 0, "d", "")
    n = len(value) if isinstance(value, list) else 1
    return weight + n * (len(sep) if isinstance(sep, str) else weigh(sep))


def _tojson(value: Any, weight: int, rest: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    indent = _arg(rest, kwargs, 0, "indent", None)
    return weight * (2 + (len(indent) if isinstance(indent, str) else _count(rest, kwargs,
                                                                             "indent")))


def _percent(value: Any, weight: int, rest: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """The filter formats the value's text (a list's text may hold ``%0999999999d``)."""
    return percent_size(str(value), dict(kwargs) if kwargs else rest)


_Growth = Callable[[Any, int, tuple[Any, ...], Mapping[str, Any]], int]
_GROWTH: dict[str, _Growth] = {
    "center": lambda v, w, r, k: w + _count(r, k, "width"),
    "indent": _indent,
    "format": _percent,
    "join": _join_size,
    "replace": _replace,
    "batch": lambda v, w, r, k: w + _count(r, k, "linecount"),
    "slice": lambda v, w, r, k: w + _count(r, k, "slices"),
    "tojson": _tojson,
    "wordwrap": _wordwrap,
    "urlize": _urlize,
    "sum": lambda v, w, r, k: w if isinstance(_arg(r, k, 1, "start", 0), int | float) else
    w * max(1, len(v) if isinstance(v, list | tuple) else 1),
}
"""Per filter: an upper bound on its result's weight, from (input, input weight, args)."""

_SLOW: dict[str, int] = {
    "wordwrap": 16, "urlize": 16, "pprint": 4, "striptags": 8, "title": 4, "wordcount": 4,
    "xmlattr": 4, "tojson": 2, "sort": 4, "dictsort": 4, "groupby": 4, "unique": 4,
    "urlencode": 4, "escape": 2, "e": 2, "forceescape": 2,
}
"""Filters that do Python-level work per character or item: their input costs this many times
more than copying it."""


_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})
_NO_BYTES = frozenset({"encode", "to_bytes"})
"""Methods that make bytes, which no playbook needs (and whose methods would need the same
predictions as text's)."""


def _check_method(receiver: Any, method: str, args: tuple[Any, ...],
                  kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """``args`` (a ``join``'s items made a list, to measure them); TemplateLimit when a
    method of text would build more than MAX_SIZE characters; SecurityError for a method
    that makes bytes."""
    if method in _NO_BYTES and isinstance(receiver, str | int):
        raise SecurityError(f"templates may not call `{method}` (bytes have no use here)")
    if not isinstance(receiver, str):
        return args
    first = args[0] if args else None
    if method == "join" and first is not None and not isinstance(first, list | tuple):
        first = list(first)
        args = (first, *args[1:])
    if method in _WIDTH_METHODS and isinstance(first, int):
        refuse_size(first, f"text with `{method}`")
    elif method == "expandtabs":
        size = first if isinstance(first, int) else kwargs.get("tabsize", 8)
        refuse_size(len(receiver) + receiver.count("\t") * abs(int(size)),
                    "text with `expandtabs`")
    elif method == "replace" and len(args) >= 2 and isinstance(args[0], str) \
            and isinstance(args[1], str):
        hits = receiver.count(args[0]) if args[0] else len(receiver) + 1
        refuse_size(len(receiver) + hits * len(args[1]), "text with `replace`")
    elif method == "join" and isinstance(first, list | tuple):
        refuse_size(weigh(first) + len(first) * len(receiver), "text with `join`")
    elif method == "translate" and isinstance(first, Mapping):
        longest = max((len(v) for v in first.values() if isinstance(v, str)), default=1)
        refuse_size(len(receiver) * longest, "text with `translate`")
    return args
