"""YAML 1.2 loading with positions, settling PyYAML's YAML 1.1 pitfalls.

PyYAML reads YAML 1.1 (``no`` is false, ``3.10`` is 3.1, duplicate keys keep the last,
aliases can expand exponentially). Editors read YAML 1.2, so st-run composes the node graph
with PyYAML (libyaml when present) but builds values itself:

- plain scalars use the YAML 1.2 core schema: only ``true``/``false`` (any case form of the
  core schema) are booleans; ``yes``, ``no``, ``on``, ``off``, ``y`` stay strings;
- every plain scalar that became a number keeps its source text, so the validator can turn
  ``3.10`` back into ``"3.10"`` where a string is expected;
- mapping keys are always strings; duplicate keys are errors;
- aliases may not expand the document past :data:`MAX_NODES` values; recursion is refused;
- files over :data:`MAX_BYTES` are refused; explicit tags other than the core ones are refused.

Every value's line and column (1-based) is kept by path for error messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

MAX_BYTES = 1024 * 1024
"""Largest playbook file accepted, in bytes."""
MAX_NODES = 20_000
"""Largest number of values a document may expand to (bounds alias expansion)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted."""

Path = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

try:  # libyaml is ~10x faster; the pure-Python parser is the fallback.
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


class _Composer(_Parser, BaseResolver):
    """Composes nodes without YAML 1.1 implicit typing: every plain scalar is tagged str."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        BaseResolver.__init__(self)


@dataclass
class Document:
    """A loaded YAML document: plain Python values plus where each one was written."""

    value: Any
    text: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    sources: dict[Path, str] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value at ``path`` (or of its key), else its nearest parent."""
        table = self.key_positions if key else self.positions
        if path in table:
            return table[path]
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.positions:
                return self.positions[path[:cut]]
        return (1, 1)

    def get(self, path: Path) -> Any:
        """The value at ``path`` (KeyError/IndexError when absent)."""
        value = self.value
        for part in path:
            value = value[part]
        return value

    def set(self, path: Path, new: Any) -> None:
        """Replace the value at a non-empty ``path``."""
        self.get(path[:-1])[path[-1]] = new


class LoadError(Exception):
    """The text is not a loadable YAML document; carries one located problem."""

    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


def resolve_scalar(text: str) -> Any:
    """A plain scalar's value under the YAML 1.2 core schema."""
    if _NULL.match(text):
        return None
    if _TRUE.match(text):
        return True
    if _FALSE.match(text):
        return False
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def load_text(text: str) -> Document:
    """Load one YAML document from ``text``; raises :class:`LoadError` with a location."""
    node = _compose(text)
    doc = Document(value=None, text=text)
    if node is not None:
        doc.value = _Builder(doc).build(node, ())
    return doc


def load_bytes(data: bytes) -> Document:
    """Load UTF-8 ``data`` (size-checked); raises :class:`LoadError`."""
    if len(data) > MAX_BYTES:
        raise LoadError(1, 1, "file is larger than 1 MiB; playbooks are limited to 1 MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(line, col, "file is not valid UTF-8") from None
    return load_text(text)


def _compose(text: str) -> Node | None:
    composer = _Composer(text)
    try:
        node: Node | None = composer.get_single_node()
        return node
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and mark is not None and _at_end(text, mark.line):
            mark = exc.context_mark  # "never closed" is best shown where it was opened
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if _char_at(text, line, col) == "\t":
            raise LoadError(line, col, "tabs cannot indent YAML; use spaces") from None
        raise LoadError(line, col, _yaml_message(exc)) from None
    except yaml.YAMLError as exc:  # reader errors: control characters and the like
        raise LoadError(1, 1, f"not a YAML document: {_first_line(str(exc))}") from None
    except RecursionError:
        raise LoadError(1, 1, "document is nested too deeply") from None
    finally:
        composer.dispose()


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    message = "; ".join(parts) if parts else "invalid YAML"
    if exc.problem and "mapping values are not allowed" in exc.problem:
        message += " (check the indentation, and that the key above ends with `:`)"
    return f"invalid YAML: {message}"


def _at_end(text: str, line0: int) -> bool:
    """True when 0-based ``line0`` is past the last non-blank line of ``text``."""
    return line0 >= len(text.rstrip().split("\n"))


def _char_at(text: str, line: int, col: int) -> str:
    lines = text.split("\n")
    if 1 <= line <= len(lines) and 1 <= col <= len(lines[line - 1]):
        return lines[line - 1][col - 1]
    return ""


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "invalid"


def _pos(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a node graph into values, recording positions; bounds size, depth and cycles."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.count = 0
        self.active: set[int] = set()

    def build(self, node: Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise LoadError(*_pos(node), f"document expands to more than {MAX_NODES} values "
                            "(too many aliases?)")
        if len(path) > MAX_DEPTH:
            raise LoadError(*_pos(node), f"document is nested deeper than {MAX_DEPTH} levels")
        if id(node) in self.active:
            raise LoadError(*_pos(node), "an alias refers to its own anchor (recursive data)")
        self.doc.positions[path] = _pos(node)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self._check_tag(node, _SEQ)
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                self._check_tag(node, _MAP)
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
        raise LoadError(*_pos(node), "unsupported YAML node")  # pragma: no cover

    def _scalar(self, node: ScalarNode, path: Path) -> Any:
        self._check_tag(node, _STR)
        if node.style:  # quoted or block scalars are always strings (plain: None or "")
            return node.value
        value = resolve_scalar(node.value)
        if not isinstance(value, str) and value is not None and not isinstance(value, bool):
            self.doc.sources[path] = node.value
        return value

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in _merged(node):
            key = self._key(key_node, node)
            if key in out:
                line, col = _pos(key_node)
                first = self.doc.key_positions[(*path, key)]
                raise LoadError(line, col, f"duplicate key `{key}` (first defined at line "
                                f"{first[0]})")
            self.doc.key_positions[(*path, key)] = _pos(key_node)
            out[key] = self.build(value_node, (*path, key))
        return out

    def _key(self, node: Node, parent: MappingNode) -> str:
        if isinstance(node, ScalarNode):
            self._check_tag(node, _STR)
            return str(node.value)
        if isinstance(node, MappingNode):
            # An unquoted ``{{ name }}`` is a mapping whose key is a mapping.
            raise LoadError(*_pos(parent), "a `{{ }}` template must be quoted: write "
                            "\"{{ ... }}\"")
        raise LoadError(*_pos(node), "mapping keys must be plain strings")

    @staticmethod
    def _check_tag(node: Node, default: str) -> None:
        if node.tag != default:
            raise LoadError(*_pos(node), f"YAML tag `{node.tag}` is not supported")


def _merged(node: MappingNode) -> Iterator[tuple[Node, Node]]:
    """The mapping's pairs; ``<<`` merge keys are refused (not part of YAML 1.2)."""
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == "<<" and not key_node.style:
            raise LoadError(*_pos(key_node), "merge keys (`<<`) are not supported in YAML 1.2")
        yield key_node, value_node
