"""Schema validation with errors users can act on: located, one per mistake, sorted.

The document is checked against the generated schema, but each step on its own: a step's
action is found first (an unknown one gives "unknown action `navigte`; did you mean
`navigate`?"), then the step is validated against that action's schema only. ``anyOf``
failures are narrowed to the alternative that matches the value's shape. Numbers written
where text is expected (``name: 3.10``) become their source text, as written.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped, unused-ignore]

from runner.actions import registry
from runner.playbook.errors import Problem, did_you_mean
from runner.playbook.keywords import (
    DURATION_PATTERN,
    IDENTIFIER_PATTERN,
    STEP_KEYWORDS,
    TEMPLATE_PATTERN,
    step_keyword,
)
from runner.playbook.loader import Document, Path
from runner.playbook.schema import validation_schemas

_TYPE_NAMES = {"string": "text", "integer": "a whole number", "number": "a number",
               "boolean": "true or false", "object": "a mapping", "array": "a list",
               "null": "no value"}
_PATTERN_NAMES = {DURATION_PATTERN: "a duration like 30s, 5m or 2h",
                  IDENTIFIER_PATTERN: "a name (letters, digits and _, not starting with a digit)",
                  TEMPLATE_PATTERN: "a `{{ }}` template"}


@lru_cache(maxsize=1)
def _schemas() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    return validation_schemas()


@lru_cache(maxsize=1)
def _top_validator() -> Draft202012Validator:
    return Draft202012Validator(_schemas()[0])


@lru_cache(maxsize=64)
def _step_validator(action: str) -> Draft202012Validator:
    return Draft202012Validator(_schemas()[1][action])


def validate_document(doc: Document, file: str) -> list[Problem]:
    """Every schema problem in ``doc`` (fixing number-as-text in place), sorted."""
    v = Validator(doc, file)
    if not isinstance(doc.value, dict):
        got = "an empty file" if doc.value is None else describe(doc.value)
        return [Problem(file, 1, 1, f"a playbook is a mapping with `ship` and `steps`, got {got}")]
    v.check(_top_validator(), doc.value, ())
    v.check_ship_keys(doc.value)
    steps = doc.value.get("steps")
    if isinstance(steps, list):
        v.check_steps(steps, ("steps",))
    return _without_echoes(sorted(set(v.problems)))


def _without_echoes(problems: list[Problem]) -> list[Problem]:
    """Drop "missing required key `to`" when a typo nearby already says "did you mean `to`?"."""
    meant = {(p.line, p.message.rsplit("`", 2)[-2]) for p in problems
             if p.message.startswith("unknown key") and "did you mean" in p.message}
    return [p for p in problems
            if not (p.message.startswith("missing required key `")
                    and p.message.count("`") == 2 and (p.line, p.message.split("`")[1]) in meant)]


class Validator:
    """Collects problems for one document."""

    def __init__(self, doc: Document, file: str) -> None:
        self.doc, self.file = doc, file
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str, *, key: bool = False) -> None:
        line, col = self.doc.where(path, key=key)
        self.problems.append(Problem(self.file, line, col, message))

    def check(self, validator: Draft202012Validator, instance: Any, base: Path) -> None:
        for _ in range(8):  # each pass turns the numbers found where text belongs into text
            errors = list(validator.iter_errors(instance))
            if not self._coerce(errors, base):
                break
        for error in errors:
            self.report(error, base)

    def _coerce(self, errors: list[ValidationError], base: Path) -> bool:
        fixed = False
        for error in _wants_text(errors):
            path = (*base, *error.absolute_path)
            if path and path in self.doc.sources:
                self.doc.set(path, self.doc.sources.pop(path))
                fixed = True
        return fixed

    def check_ship_keys(self, top: dict[str, Any]) -> None:
        """Exactly one of ``ship`` (one ship) and ``ships`` (a group) is given."""
        if "ship" in top and "ships" in top:
            self.add(("ships",), "`ship` and `ships` exclude each other: `ship` runs one "
                     "ship, `ships` one container per matching ship; keep one", key=True)
        elif "ship" not in top and "ships" not in top:
            self.add((), "missing required key `ship` (or `ships` for a group of ships)")

    def check_steps(self, steps: list[Any], path: Path) -> None:
        for i, step in enumerate(steps):
            self.check_step(step, (*path, i))

    def check_step(self, step: Any, path: Path) -> None:
        actions = registry()
        if isinstance(step, str):
            action = actions.get(step)
            if action is None:
                self.add(path, f"unknown action `{step}`{did_you_mean(step, actions.names())}")
            elif not action.bare:
                self.add(path, f"`{step}` needs a value, e.g. `{action.example}`")
            return
        if not isinstance(step, dict) or not step:
            self.add(path, "a step is an action name or a mapping with one action, got "
                     + describe(step))
            return
        name = self._action_of(step, path)
        if name is None:
            return
        self.check(_step_validator(name), step, path)
        body = step.get(name)
        if actions[name].nested and isinstance(body, dict) and isinstance(body.get("steps"), list):
            self.check_steps(body["steps"], (*path, name, "steps"))

    def _action_of(self, step: dict[str, Any], path: Path) -> str | None:
        actions = registry()
        others = [k for k in step if step_keyword(k) is None]
        known = [k for k in others if k in actions]
        if len(known) > 1:
            self.add((*path, known[1]), f"one action per step: found `{known[0]}` and "
                     f"`{known[1]}`; put each in its own step", key=True)
            return None
        if known:
            return known[0]
        if not others:
            self.add(path, "step has no action (e.g. `navigate`, `dock`, `sell`)")
            return None
        word = others[0]
        hint = did_you_mean(word, actions.names()) or \
            did_you_mean(word, [k.name for k in STEP_KEYWORDS])
        self.add((*path, word), f"unknown action `{word}`{hint}", key=True)
        return None

    def report(self, error: ValidationError, base: Path) -> None:
        path = (*base, *error.absolute_path)
        kind = error.validator
        if kind in ("anyOf", "oneOf") and error.context:
            self._report_alternatives(error, base)
        elif kind == "additionalProperties":
            allowed = list(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - set(allowed)):
                where = f" in `{path[-1]}`" if path and isinstance(path[-1], str) else ""
                hint = did_you_mean(extra, allowed) or (
                    f"; expected {', '.join(f'`{a}`' for a in allowed)}"
                    if 0 < len(allowed) <= 6 else "")
                self.add((*path, extra), f"unknown key `{extra}`{where}{hint}", key=True)
        elif kind == "propertyNames":
            self.add((*path, error.instance), f"`{error.instance}` is not a valid name "
                     "(letters, digits and _, not starting with a digit)", key=True)
        else:
            text = message(error)
            if text.startswith("must ") and path and isinstance(path[-1], str):
                text = f"`{path[-1]}` {text}"
            self.add(path, text)

    def _report_alternatives(self, error: ValidationError, base: Path) -> None:
        branches = _branches(error)
        shaped = {i: errs for i, errs in branches.items() if not _type_miss(errs)}
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        if not shaped:
            expected = description or " or ".join(_branch_types(error))
            self.add((*base, *error.absolute_path),
                     f"expected {expected}, got {describe(error.instance)}")
            return
        best = min(shaped, key=lambda i: (len(shaped[i]), -i))
        errs = shaped[best]
        if description and all(not e.relative_path and e.validator in ("pattern", "minimum",
                                                                     "const", "enum")
                               for e in errs):
            self.add((*base, *error.absolute_path),
                     f"expected {description}, got {describe(error.instance)}")
            return
        for sub in errs:
            self.report(sub, base)


def message(error: ValidationError) -> str:
    """A short message for a leaf schema error."""
    kind, value, inst = error.validator, error.validator_value, error.instance
    if kind == "type":
        expected = " or ".join(_TYPE_NAMES.get(t, t) for t in _as_list(value))
        return f"expected {expected}, got {describe(inst)}"
    if kind == "required":
        missing = [r for r in value if isinstance(inst, dict) and r not in inst]
        return "missing required key " + ", ".join(f"`{m}`" for m in missing)
    if kind == "enum":
        options = ", ".join(str(o) for o in value)
        return f"`{inst}` is not one of {options}{did_you_mean(str(inst), map(str, value))}"
    if kind == "const":
        return f"must be {_literal(value)}, got {describe(inst)}"
    if kind == "pattern":
        return f"expected {_PATTERN_NAMES.get(value, 'text matching ' + value)}, got `{inst}`"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"must be at least {value}, got {inst}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"must be at most {value}, got {inst}"
    if kind in ("minItems", "minLength", "minProperties"):
        return "must not be empty"
    if kind == "maxProperties":
        return f"takes only {value} key{'s' if value != 1 else ''}"
    return str(error.message)


def describe(value: Any) -> str:
    """How a value reads in a message: its type, and the value when it is short."""
    if value is None:
        return "no value"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"`{value}`" if len(value) <= 40 else "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _literal(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _as_list(value: Any) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


def _branch_types(error: ValidationError) -> list[str]:
    names: list[str] = []
    for sub in error.context or ():
        if sub.validator == "type" and not sub.relative_path:
            names.extend(_TYPE_NAMES.get(t, t) for t in _as_list(sub.validator_value))
    return list(dict.fromkeys(names)) or ["another shape"]


def _wants_text(errors: list[ValidationError]) -> Iterator[ValidationError]:
    """Errors where a number stands where only text fits (no alternative takes a number)."""
    for error in errors:
        if error.validator == "type" and "string" in _as_list(error.validator_value):
            yield error
        elif error.validator in ("anyOf", "oneOf") and error.context:
            branches = _branches(error)
            shaped = [errs for errs in branches.values() if not _type_miss(errs)]
            if shaped:
                for errs in shaped:
                    yield from _wants_text(errs)
            elif any("string" in _as_list(e.validator_value) for errs in branches.values()
                     for e in errs if e.validator == "type" and not e.relative_path):
                yield error


def _branches(error: ValidationError) -> dict[int, list[ValidationError]]:
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    return branches


def _type_miss(errors: list[ValidationError]) -> bool:
    """True when an alternative failed on the value's type itself (wrong shape)."""
    return any(e.validator == "type" and not e.relative_path for e in errors)


