"""Pure helpers of the runtime adapter: dead local lease owners, in-place reload identity."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from runner.domain.status import ContainerStatus
from runner.watch.fleet import PlaybookFile
from runner.watch.folder import digest
from runner.watch.runtime_fleet import _live_owner, _same_container, text_digest


def record(owner: str | None) -> Any:
    return SimpleNamespace(lease_owner=owner, status=ContainerStatus.RUNNING,
                           lease_expires_at=datetime(2030, 1, 1, tzinfo=UTC))


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_dead_runner_on_this_host_holds_no_lease() -> None:
    host = socket.gethostname()
    assert _live_owner(record(f"{host}:{dead_pid()}:abc123")) is None
    mine = f"{host}:{os.getpid()}:abc123"
    assert _live_owner(record(mine)) == mine
    elsewhere = f"other-host:{dead_pid()}:abc123"
    assert _live_owner(record(elsewhere)) == elsewhere  # cannot tell: trust the lease
    assert _live_owner(record(None)) is None


def loaded(name: str, ship: str = "S-1", agent: str = "a") -> Any:
    return SimpleNamespace(name=name, ship_selector=ship, agent=agent)


def handle(name: str, ship: str = "S-1", agent: str = "a") -> Any:
    return SimpleNamespace(name=name, agent=agent, playbook=loaded(name, ship, agent))


def file(path: str) -> PlaybookFile:
    return PlaybookFile(Path(path), Path(path).name, b"x", digest(b"x"))


def test_same_container_when_only_the_steps_change() -> None:
    assert _same_container(loaded("alpha"), handle("alpha"), file("/d/alpha.yaml"))


def test_a_name_taken_from_a_renamed_file_is_still_the_same_container() -> None:
    assert _same_container(loaded("beta"), handle("alpha"), file("/d/beta.yaml"))


def test_a_new_explicit_name_ship_or_agent_is_another_container() -> None:
    assert not _same_container(loaded("gamma"), handle("alpha"), file("/d/alpha.yaml"))
    assert not _same_container(loaded("alpha", ship="S-2"), handle("alpha"),
                               file("/d/alpha.yaml"))
    assert not _same_container(loaded("alpha", agent="b"), handle("alpha"),
                               file("/d/alpha.yaml"))


def test_stored_text_digest_matches_the_file_digest() -> None:
    text = "name: a\nship: S-1\n"
    assert text_digest(text) == digest(text.encode())
