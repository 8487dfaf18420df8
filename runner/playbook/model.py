"""``load_playbook``: file -> validated ``Playbook`` with its step tree, or located errors.

Order of checks: size and encoding, YAML (1.2 semantics, positions kept), schema (one
precise error per mistake), then static meaning that needs no universe data: arguments
normalise, expressions parse and are bare, templates only use known names, ``register``
names are not reserved. Checks that need the universe happen in ``compile_playbook``.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from runner.actions import registry
from runner.domain.plan import Step
from runner.domain.restart import RestartPolicy
from runner.domain.ship_group import ShipGroup
from runner.playbook.errors import PlaybookError, Problem, StepError, did_you_mean
from runner.playbook.game_names import GAME_NAMES
from runner.playbook.keywords import RESERVED_NAMES, STEP_KEYWORDS, parse_duration
from runner.playbook.loader import (
    MAX_BYTES,
    Document,
    LoadError,
    Path,
    load_bytes,
    resolve_scalar,
)
from runner.playbook.template import (
    bare_expression,
    environment,
    field_errors,
    is_template,
    render,
    template_syntax_error,
    used_names,
)
from runner.playbook.validate import validate_document


@dataclass(frozen=True)
class Playbook:
    """A loaded, schema-valid playbook.

    ``ship`` is a symbol or a selector mapping (vars already rendered into it), None for a
    group; ``ships`` is a group's parsed selector (one container per member); ``restart``
    is the parsed policy (parsed here, at load time, so ``validate`` and ``run`` accept
    exactly the same policies and a bad one is a located error);
    ``content_hash`` is the sha256 hex digest of the file's bytes.
    """

    name: str
    ship: str | Mapping[str, Any] | None
    steps: tuple[Step, ...]
    description: str = ""
    agent: str | None = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    path: str = "<string>"
    source: str = ""
    content_hash: str = ""
    ships: ShipGroup | None = None

    def walk(self) -> Iterator[Step]:
        """Every step, depth first."""
        for step in self.steps:
            yield from step.walk()

    def registered_names(self) -> set[str]:
        """Names stored by ``register`` anywhere in the playbook."""
        return {s.register for s in self.walk() if s.register}


def load_playbook(path: str | FsPath, overrides: Mapping[str, str] | None = None) -> Playbook:
    """Load and check the playbook at ``path``; ``overrides`` replace vars (``-e K=V``).

    Raises ``PlaybookError`` (exit code 2) with every located problem.
    """
    return load_playbook_bytes(read_playbook_file(path), str(path), overrides)


def read_playbook_file(path: str | FsPath) -> bytes:
    """The file's bytes, at most ``MAX_BYTES + 1`` of them (so the size check can refuse).

    Only regular files are read: ``stat`` first, because opening a FIFO blocks and a device
    like ``/dev/zero`` never ends. Problems are located at 1:1 of the file.
    """
    file = str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise PlaybookError([Problem(file, 1, 1, f"cannot read: {kind}")])
        with open(path, "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise PlaybookError([Problem(file, 1, 1, f"cannot read: {exc.strerror or exc}")]) \
            from None


def load_playbook_text(text: str, file: str = "<string>",
                       overrides: Mapping[str, str] | None = None) -> Playbook:
    """``load_playbook`` for text already in memory (tests, editors)."""
    return load_playbook_bytes(text.encode("utf-8"), file, overrides)


def load_playbook_bytes(data: bytes, file: str,
                        overrides: Mapping[str, str] | None = None) -> Playbook:
    """``load_playbook`` for bytes already in memory."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        doc = load_bytes(data)
    except LoadError as exc:
        raise PlaybookError([Problem(file, exc.line, exc.col, exc.message)],
                            data.decode("utf-8", "replace")) from None
    problems = validate_document(doc, file)
    if problems:
        raise PlaybookError(problems, doc.text)
    builder = _Builder(doc, file, _merged_vars(doc.value.get("vars") or {}, overrides))
    playbook = builder.playbook(digest)
    if builder.problems:
        raise PlaybookError(builder.problems, doc.text)
    return playbook


def parse_override(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` -> (key, value); the value is typed like a YAML 1.2 plain scalar."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise PlaybookError([Problem("-e", 0, 0, f"expected KEY=VALUE, got `{text}`")])
    return key.strip(), resolve_scalar(value.strip())


def _merged_vars(base: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = dict(base)
    for key, value in (overrides or {}).items():
        if not key.isidentifier() or key in RESERVED_NAMES:
            raise PlaybookError([Problem("-e", 0, 0, f"`{key}` is not a usable var name")])
        merged[key] = resolve_scalar(value) if isinstance(value, str) else value
    return merged


class _Builder:
    """Builds the step tree from a schema-valid document, collecting static problems."""

    def __init__(self, doc: Document, file: str, vars: dict[str, Any]) -> None:
        self.doc, self.file, self.vars = doc, file, vars
        self.problems: list[Problem] = []
        self.registered = _registered(doc.value.get("steps", []))
        self.globals = set(environment().globals)

    def add(self, path: Path, message: str, *, key: bool = False) -> None:
        line, col = self.doc.where(path, key=key)
        self.problems.append(Problem(self.file, line, col, message))

    def playbook(self, digest: str) -> Playbook:
        top = self.doc.value
        key = "ships" if "ships" in top else "ship"
        self.check_templates(top.get(key), (key,), {*self.vars, "vars"}, expression=False)
        self.check_plain_vars(top.get("vars") or {})
        ship = self.render_top(top["ship"], ("ship",)) if key == "ship" else None
        ships = self.ship_group(top) if key == "ships" else None
        steps = tuple(self.step(s, ("steps", i), (i,), loop=False)
                      for i, s in enumerate(top["steps"]))
        default_name = FsPath(self.file).stem if self.file != "<string>" else "playbook"
        name = str(top.get("name") or default_name)
        if ships is not None and "/" in name:
            self.add(("name",) if "name" in top else (), f"a group's name may not contain "
                     f"`/` (its containers are named NAME/SHIP), got `{name}`")
        return Playbook(
            name=name, ship=ship, steps=steps,
            description=str(top.get("description") or ""), agent=top.get("agent"),
            vars=self.vars, restart=self.restart(top), path=self.file,
            source=self.doc.text, content_hash=digest, ships=ships,
        )

    def ship_group(self, top: Mapping[str, Any]) -> ShipGroup | None:
        """The ``ships:`` group, parsed once here (vars rendered into it first)."""
        value = self.render_top(top["ships"], ("ships",))
        try:
            return ShipGroup.parse(value)
        except ValueError as exc:
            self.add(("ships",), str(exc))
            return None

    def restart(self, top: Mapping[str, Any]) -> RestartPolicy:
        """The ``restart:`` policy, parsed by the one parser the runtime uses."""
        if "restart" not in top:
            return RestartPolicy()
        try:
            return RestartPolicy.parse(top["restart"])
        except ValueError as exc:
            self.add(("restart",), str(exc))
            return RestartPolicy()

    def check_plain_vars(self, given: Mapping[str, Any]) -> None:
        """Vars are values, not templates: a template there would never be rendered."""
        for name, value in given.items():
            if is_template(value) or (isinstance(value, list | dict) and
                                      is_template(str(value))):
                self.add(("vars", name), f"var `{name}` holds a template; vars are plain "
                         "values (use the template where the var is used)")

    def render_top(self, value: Any, path: Path) -> Any:
        try:
            return render(value, {**self.vars, "vars": self.vars})
        except StepError as exc:
            self.add(path, exc.message)
            return value

    def step(self, value: Any, path: Path, tree: tuple[int, ...], *, loop: bool) -> Step:
        name = value if isinstance(value, str) else _action_key(value)
        action = registry()[name]
        body = None if isinstance(value, str) else value.get(name)
        keywords = {} if isinstance(value, str) else {k: v for k, v in value.items() if k != name}
        try:
            args = action.normalize(body)
        except StepError as exc:
            self.add((*path, name, exc.key) if exc.key else (*path, name), exc.message,
                     key=exc.key is None)
            args = {}
        children: tuple[Step, ...] = ()
        if action.nested:
            children = tuple(self.step(c, (*path, name, "steps", i), (*tree, i), loop=True)
                             for i, c in enumerate(args.pop("steps", [])))
        self.check_args(action.name, args, (*path, name), loop, action.expressions)
        line, col = self.doc.where(path)
        return Step(path=tree, action=name, args=args, children=children, line=line, col=col,
                    **self.keywords(keywords, path, loop))

    def keywords(self, given: Mapping[str, Any], path: Path, loop: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for kw in STEP_KEYWORDS:
            if kw.name not in given:
                continue
            value, where = given[kw.name], (*path, kw.name)
            if kw.kind == "expression":
                out[kw.name] = self.expression(value, where, loop)
            elif kw.kind == "duration":
                out[kw.name] = parse_duration(value)
            elif kw.kind == "identifier" and value in RESERVED_NAMES:
                self.add(where, f"`{value}` is a reserved name; register under another name")
            else:
                out[kw.name] = value
        return out

    def expression(self, value: Any, path: Path, loop: bool) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value)
        error = template_syntax_error(text, expression=True)
        if error:
            self.add(path, error)
            return text
        self.check_names(used_names(text, expression=True), path, loop)
        for message in field_errors(text, expression=True):
            self.add(path, message)
        return bare_expression(text)

    def check_args(self, action: str, args: Mapping[str, Any], path: Path, loop: bool,
                   expressions: tuple[str, ...]) -> None:
        body_is_map = isinstance(self._at(path), dict)
        for key, value in args.items():
            where = (*path, key) if body_is_map else path
            if key in expressions and value is not None:
                self.expression(value, where, loop)
            else:
                self.check_templates(value, where, self.known(loop), expression=False)

    def _at(self, path: Path) -> Any:
        try:
            return self.doc.get(path)
        except (KeyError, IndexError, TypeError):
            return None

    def known(self, loop: bool) -> set[str]:
        names = set(self.vars) | self.registered | {"ship", "agent", "vars"} | self.globals \
            | GAME_NAMES
        return names | {"loop"} if loop else names

    def check_templates(self, value: Any, path: Path, known: set[str], *,
                        expression: bool) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                self.check_templates(v, (*path, k) if isinstance(self._at(path), dict)
                                     else path, known, expression=expression)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.check_templates(v, (*path, i), known, expression=expression)
        elif is_template(value):
            error = template_syntax_error(value, expression=False)
            if error:
                self.add(path, error)
            else:
                self._unknown(used_names(value, expression=False) - known, path, known)
                for message in field_errors(value, expression=False):
                    self.add(path, message)

    def check_names(self, used: set[str], path: Path, loop: bool) -> None:
        known = self.known(loop)
        self._unknown(used - known, path, known)

    def _unknown(self, unknown: set[str], path: Path, known: set[str]) -> None:
        for name in sorted(unknown):
            where = "" if name != "loop" else " (`loop` exists only inside repeat and tour)"
            hint = did_you_mean(name, sorted(known - self.globals))
            self.add(path, f"unknown name `{name}` in template{where}{hint}")


def _action_key(step: Mapping[str, Any]) -> str:
    actions = registry()
    return next(k for k in step if k in actions)


def _registered(steps: Any) -> set[str]:
    """Every ``register`` name in the raw step list (so templates may use them anywhere)."""
    names: set[str] = set()
    for step in steps if isinstance(steps, list) else ():
        if isinstance(step, dict):
            if isinstance(step.get("register"), str):
                names.add(step["register"])
            for body in step.values():
                if isinstance(body, dict):
                    names |= _registered(body.get("steps"))
    return names
