"""``-e KEY=VALUE``: parsed in one place for ``run``, ``plan`` and ``validate``, and a
warning for a key no template of the playbook uses (most likely a typo)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import click

from runner.errors import InvalidInput

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """``-e KEY=VALUE`` pairs as raw strings (the playbook loader types them as YAML 1.2)."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not key.strip().isidentifier():
            raise InvalidInput(f"-e {pair!r}: expected KEY=VALUE with a name as KEY")
        overrides[key.strip()] = value.strip()
    return overrides


def unused_overrides(sources: Sequence[str], overrides: Mapping[str, Any]
                     ) -> list[tuple[str, str | None]]:
    """The keys of ``overrides`` that appear in none of the playbook ``sources`` (neither
    under ``vars:`` nor in a template), each with the closest declared var, if any."""
    words: set[str] = set()
    declared: set[str] = set()
    for source in sources:
        words.update(_WORD.findall(source))
        declared.update(_declared_vars(source))
    unused = []
    for key in overrides:
        if key not in words:
            near = difflib.get_close_matches(key, sorted(declared), n=1, cutoff=0.6)
            unused.append((key, near[0] if near else None))
    return unused


def warn_unused_overrides(sources: Mapping[str, str], overrides: Mapping[str, Any]) -> int:
    """Print one ``warning:`` line on stderr per ``-e`` key that no playbook of ``sources``
    (file -> text) uses; returns how many."""
    unused = unused_overrides(list(sources.values()), overrides)
    where = next(iter(sources)) if len(sources) == 1 else f"the {len(sources)} playbooks"
    for key, near in unused:
        hint = f"; did you mean `{near}`?" if near else ""
        click.echo(f"warning: -e {key}: no template in {where} uses `{key}`, so it changes "
                   f"nothing{hint}", err=True)
    return len(unused)


def _declared_vars(source: str) -> list[str]:
    """The names under the playbook's top-level ``vars:`` (none when it does not parse)."""
    import yaml

    try:
        document = yaml.safe_load(source)
    except yaml.YAMLError:
        return []
    declared = document.get("vars") if isinstance(document, dict) else None
    return [str(k) for k in declared] if isinstance(declared, dict) else []
