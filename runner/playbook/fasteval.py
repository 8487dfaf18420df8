"""A small interpreter for the common Jinja expressions, over the parsed syntax tree.

Compiling a Jinja expression generates and compiles Python code (about half a millisecond
each); a 200-step playbook has a hundred distinct templates. Most are a name, an attribute
path, a comparison or arithmetic, so they are evaluated here straight from the tree that
validation already parsed. Attribute and item access go through the sandboxed environment's
own ``getattr``/``getitem``, so the sandbox's rules hold, and the interpreter charges the
current budget exactly as the sandbox does (``runner.playbook.bounds``): a step per node,
operators through ``binop``, literals and printed values weighed. Anything else (calls,
filters, tests, loops) raises :class:`Unsupported` and the caller uses Jinja's compiled path.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import Undefined, nodes
from jinja2.sandbox import SandboxedEnvironment

from runner.playbook.bounds import MAX_OUTPUT, TemplateLimit, binop, charge, sized

_BINARY: dict[type[nodes.Node], str] = {
    nodes.Add: "+", nodes.Sub: "-", nodes.Mul: "*", nodes.Div: "/", nodes.FloorDiv: "//",
    nodes.Mod: "%",
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lteq": operator.le,
    "gt": operator.gt, "gteq": operator.ge, "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}


class Unsupported(Exception):
    """The tree uses something this interpreter leaves to Jinja."""


class UndefinedName(Exception):
    """A name or attribute is undefined; ``message`` is Jinja's wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def evaluate_tree(node: nodes.Node, names: Mapping[str, Any], env: SandboxedEnvironment) -> Any:
    """The value of expression ``node``; Unsupported / UndefinedName as documented."""
    ev = _Evaluator(names, env)
    return ev.eval(node)


def render_tree(tree: nodes.Template, names: Mapping[str, Any],
                env: SandboxedEnvironment) -> str:
    """The text of a template made only of text and ``{{ expression }}`` parts."""
    ev = _Evaluator(names, env)
    out: list[str] = []
    for stmt in tree.body:
        if not isinstance(stmt, nodes.Output):
            raise Unsupported(type(stmt).__name__)
        for part in stmt.nodes:
            if isinstance(part, nodes.TemplateData):
                out.append(part.data)
            else:
                out.append(str(sized(ev.eval(part), "printed value")))
    text = "".join(out)
    if len(text) > MAX_OUTPUT:
        raise TemplateLimit(f"the template renders more than {MAX_OUTPUT:,} characters")
    return text


class _Evaluator:
    def __init__(self, names: Mapping[str, Any], env: SandboxedEnvironment) -> None:
        self.names, self.env = names, env

    def eval(self, node: nodes.Node) -> Any:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise Unsupported(type(node).__name__)
        charge()
        return method(node)

    def _defined(self, value: Any) -> Any:
        if isinstance(value, Undefined):
            raise UndefinedName(value._undefined_message)
        return value

    def _Name(self, node: nodes.Name) -> Any:
        if node.name in self.names:
            return self.names[node.name]
        if node.name in ("true", "True"):
            return True
        if node.name in ("false", "False"):
            return False
        if node.name in ("none", "None"):
            return None
        raise UndefinedName(f"'{node.name}' is undefined")

    def _Const(self, node: nodes.Const) -> Any:
        return node.value

    def _Getattr(self, node: nodes.Getattr) -> Any:
        return self._defined(self.env.getattr(self.eval(node.node), node.attr))

    def _Getitem(self, node: nodes.Getitem) -> Any:
        if isinstance(node.arg, nodes.Slice):
            raise Unsupported("Slice")
        return self._defined(self.env.getitem(self.eval(node.node), self.eval(node.arg)))

    def _List(self, node: nodes.List) -> Any:
        return sized([self.eval(item) for item in node.items], "list")

    def _Tuple(self, node: nodes.Tuple) -> Any:
        return sized(tuple(self.eval(item) for item in node.items), "list")

    def _And(self, node: nodes.And) -> Any:
        return self.eval(node.left) and self.eval(node.right)

    def _Or(self, node: nodes.Or) -> Any:
        return self.eval(node.left) or self.eval(node.right)

    def _Not(self, node: nodes.Not) -> Any:
        return not self.eval(node.node)

    def _Neg(self, node: nodes.Neg) -> Any:
        return -self.eval(node.node)

    def _Pos(self, node: nodes.Pos) -> Any:
        return +self.eval(node.node)

    def _CondExpr(self, node: nodes.CondExpr) -> Any:
        if self.eval(node.test):
            return self.eval(node.expr1)
        if node.expr2 is None:
            raise Unsupported("CondExpr without else")
        return self.eval(node.expr2)

    def _Compare(self, node: nodes.Compare) -> Any:
        left = self.eval(node.expr)
        for op in node.ops:
            right = self.eval(op.expr)
            if op.op not in _COMPARE:
                raise Unsupported(op.op)
            if not _COMPARE[op.op](left, right):
                return False
            left = right
        return True

    def _binary(self, node: nodes.BinExpr) -> Any:
        return binop(_BINARY[type(node)], self.eval(node.left), self.eval(node.right))

    _Add = _Sub = _Mul = _Div = _FloorDiv = _Mod = _binary
