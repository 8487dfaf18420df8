"""The watch loop on real files with the real watchdog observer.

The fleet is a recording fake (the runtime has its own tests) and the validator a stand-in:
a file whose bytes contain ``INVALID`` is invalid. What is under test is the folder -> event
-> batch -> reconcile -> action path.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from runner.watch.fleet import PlaybookFile, Validation
from runner.watch.folder import Folder, digest
from runner.watch.watcher import Watcher

pytestmark = pytest.mark.anyio

WAIT_S = 20.0  # generous: a failure shows as a timeout, never as a flaky timing assertion


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def validate(file: PlaybookFile) -> Validation:
    if b"INVALID" in file.content:
        return Validation(f"{file.rel}:1:1: not a playbook")
    return Validation()


@dataclass
class RecordingFleet:
    calls: list[tuple[str, ...]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # container -> digest running
    paths: dict[str, str] = field(default_factory=dict)
    lines: list[tuple[str | None, str, str]] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)  # container -> error shown
    _next: int = 0

    async def start(self, file: PlaybookFile) -> str | None:
        self._next += 1
        cid = f"c{self._next}"
        self.versions[cid], self.paths[cid] = file.digest, file.rel
        self.calls.append(("start", file.rel))
        return cid

    async def replace(self, container: str, file: PlaybookFile) -> str | None:
        self.versions[container] = file.digest
        self.calls.append(("replace", container, file.rel))
        return container

    async def rename(self, container: str, file: PlaybookFile) -> None:
        self.paths[container] = file.rel
        self.calls.append(("rename", container, file.rel))

    async def stop(self, container: str) -> None:
        del self.versions[container], self.paths[container]
        self.calls.append(("stop", container))

    async def report(self, container: str | None, level: str, message: str) -> None:
        self.lines.append((container, level, message))

    async def mark_invalid(self, container: str, error: str | None) -> None:
        if error is None:
            self.invalid.pop(container, None)
        else:
            self.invalid[container] = error

    def running(self) -> dict[str, str]:
        """path -> digest of what runs."""
        return {self.paths[c]: d for c, d in self.versions.items()}


async def until(condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def watching(root: Path, **kwargs: float) -> AsyncIterator[tuple[Watcher, RecordingFleet]]:
    fleet = RecordingFleet()
    watcher = Watcher(Folder.open(root), fleet, validate, **kwargs)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await until(lambda: watcher.reloads >= 1, "first sync")
    try:
        yield watcher, fleet
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT_S)


async def settle(watcher: Watcher) -> None:
    """Wait until one more sync has run after now (so 'nothing happened' is observed)."""
    before = watcher.reloads
    (watcher.folder.root / f"zz-settle-{before}").mkdir()  # a directory event: one more sync
    await until(lambda: watcher.reloads > before, "a sync after the marker")


async def test_existing_files_start_and_invalid_ones_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"a: 1\n")
    (tmp_path / "b.yml").write_bytes(b"INVALID\n")
    async with watching(tmp_path) as (_, fleet):
        assert fleet.running() == {"a.yaml": digest(b"a: 1\n")}
        assert (None, "error", "invalid playbook: b.yml:1:1: not a playbook") in fleet.lines


async def test_create_edit_rename_delete_follow_the_folder(tmp_path: Path) -> None:
    async with watching(tmp_path) as (_, fleet):
        (tmp_path / "a.yaml").write_bytes(b"v1\n")
        await until(lambda: fleet.running() == {"a.yaml": digest(b"v1\n")}, "start a")

        (tmp_path / "a.yaml").write_bytes(b"v2\n")
        await until(lambda: fleet.running() == {"a.yaml": digest(b"v2\n")}, "replace a")
        assert fleet.calls[-1] == ("replace", "c1", "a.yaml")

        (tmp_path / "a.yaml").write_bytes(b"v3 INVALID\n")
        await until(lambda: any("a.yaml:1:1" in m for _, _, m in fleet.lines), "reject")
        assert fleet.running() == {"a.yaml": digest(b"v2\n")}  # the old version keeps running
        rejects = [line for line in fleet.lines if line[1] == "error"]
        assert rejects[-1][0] == "c1" and "keeping version" in rejects[-1][2]
        assert fleet.invalid == {"c1": "a.yaml:1:1: not a playbook"}

        (tmp_path / "a.yaml").write_bytes(b"v2\n")  # fixed back to the running version
        (tmp_path / "a.yaml").rename(tmp_path / "b.yaml")
        await until(lambda: fleet.running() == {"b.yaml": digest(b"v2\n")}, "rename")
        assert fleet.invalid == {}
        assert ("start", "b.yaml") not in fleet.calls  # same container identity
        assert fleet.calls[-1] == ("rename", "c1", "b.yaml")

        (tmp_path / "b.yaml").unlink()
        await until(lambda: fleet.running() == {}, "stop b")
        assert fleet.calls[-1:] == [("stop", "c1")]
        assert len(fleet.calls) == 4 and len(rejects) == 1


async def test_touch_and_same_bytes_rewrite_are_no_reload(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"v1\n")
    async with watching(tmp_path) as (watcher, fleet):
        os.utime(tmp_path / "a.yaml")
        (tmp_path / "a.yaml").write_bytes(b"v1\n")
        await settle(watcher)
        assert fleet.calls == [("start", "a.yaml")]


async def test_atomic_save_via_rename_over_is_one_replace(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    target.write_bytes(b"v1\n")
    async with watching(tmp_path) as (_, fleet):
        tmp = tmp_path / ".a.yaml.tmp1234"  # what editors and `atomicwrites` do
        tmp.write_bytes(b"v2\n")
        os.replace(tmp, target)
        await until(lambda: fleet.running() == {"a.yaml": digest(b"v2\n")}, "replace")
        await asyncio.sleep(0.2)
        assert fleet.calls == [("start", "a.yaml"), ("replace", "c1", "a.yaml")]


async def test_vim_style_save_with_backup_and_4913_is_one_replace(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    target.write_bytes(b"v1\n")
    async with watching(tmp_path) as (_, fleet):
        (tmp_path / "4913").write_bytes(b"")
        (tmp_path / "4913").unlink()
        target.rename(tmp_path / "a.yaml~")
        target.write_bytes(b"v2\n")
        (tmp_path / "a.yaml~").unlink()
        await until(lambda: fleet.running() == {"a.yaml": digest(b"v2\n")}, "replace")
        await asyncio.sleep(0.2)
        # the file vanished for a moment; within one batch that is no stop + start
        assert fleet.calls == [("start", "a.yaml"), ("replace", "c1", "a.yaml")]


async def test_git_pull_burst_of_ten_files_is_one_reload(tmp_path: Path) -> None:
    for i in range(10):
        (tmp_path / f"p{i}.yaml").write_bytes(f"v1 {i}\n".encode())
    # quiet is widened so that a slow, shared CI machine still writes ten small files within
    # it; the 50 ms default is covered by the pure batcher tests.
    async with watching(tmp_path, quiet=0.5) as (watcher, fleet):
        before = watcher.reloads
        for i in range(10):
            (tmp_path / f"p{i}.yaml").write_bytes(f"v2 {i}\n".encode())
        await until(lambda: sum(c[0] == "replace" for c in fleet.calls) == 10, "ten replaces")
        await asyncio.sleep(0.7)
        assert watcher.reloads == before + 1


async def test_symlink_pointing_out_is_ignored_with_one_warning(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "evil.yaml").write_bytes(b"evil\n")
    async with watching(root) as (watcher, fleet):
        os.symlink(outside / "evil.yaml", root / "evil.yaml")
        await until(lambda: any(lvl == "warning" for _, lvl, _ in fleet.lines), "warning")
        await settle(watcher)
        assert fleet.calls == []
        assert sum(lvl == "warning" for _, lvl, _ in fleet.lines) == 1


async def test_hidden_and_swap_files_never_trigger_a_sync(tmp_path: Path) -> None:
    async with watching(tmp_path) as (watcher, fleet):
        before = watcher.reloads
        (tmp_path / ".a.yaml.swp").write_bytes(b"x")
        (tmp_path / ".hidden").mkdir()
        (tmp_path / ".hidden" / "b.yaml").write_bytes(b"x")
        (tmp_path / "c.yaml~").write_bytes(b"x")
        (tmp_path / "state.db").write_bytes(b"x")
        await asyncio.sleep(0.3)
        assert watcher.reloads == before
        assert fleet.calls == []


async def test_moving_a_folder_of_playbooks_in_and_out(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    (elsewhere / "fleet").mkdir(parents=True)
    (elsewhere / "fleet" / "a.yaml").write_bytes(b"a\n")
    (elsewhere / "fleet" / "b.yaml").write_bytes(b"b\n")
    async with watching(root) as (_, fleet):
        (elsewhere / "fleet").rename(root / "fleet")
        await until(lambda: set(fleet.running()) == {"fleet/a.yaml", "fleet/b.yaml"}, "in")
        (root / "fleet").rename(root / "renamed")
        await until(lambda: set(fleet.running()) == {"renamed/a.yaml", "renamed/b.yaml"},
                    "renamed")
        assert [c[0] for c in fleet.calls] == ["start", "start", "rename", "rename"]
        (root / "renamed").rename(elsewhere / "gone")
        await until(lambda: fleet.running() == {}, "out")


async def test_periodic_rescan_retries_a_refused_start_without_any_event(
        tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"v1\n")
    refusals = [True]  # the first start is refused (say, the ship is still held)

    class Refusing(RecordingFleet):
        async def start(self, file: PlaybookFile) -> str | None:
            if refusals and refusals.pop():
                return None
            return await super().start(file)

    fleet = Refusing()
    watcher = Watcher(Folder.open(tmp_path), fleet, validate, resync_s=0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await until(lambda: fleet.running() == {"a.yaml": digest(b"v1\n")}, "started on retry")
    stop.set()
    await asyncio.wait_for(task, WAIT_S)
    assert fleet.calls == [("start", "a.yaml")]


async def test_a_file_deleted_and_written_again_at_once_is_no_stop(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    target.write_bytes(b"v1\n")
    async with watching(tmp_path, delete_grace_s=3.0) as (_, fleet):
        target.unlink()
        await asyncio.sleep(0.3)  # the deletion is a batch of its own...
        target.write_bytes(b"v2\n")  # ...and the file is back within the grace
        await until(lambda: fleet.running() == {"a.yaml": digest(b"v2\n")}, "replace")
        assert fleet.calls == [("start", "a.yaml"), ("replace", "c1", "a.yaml")]
        target.unlink()  # a real deletion still stops, after the grace
        await until(lambda: fleet.running() == {}, "stop")
