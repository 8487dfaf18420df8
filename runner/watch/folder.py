"""Which files in a watched folder are playbooks, and what they contain.

A playbook is a ``*.yaml`` or ``*.yml`` file under the folder (any depth). Hidden files and
folders (a part starting with ``.``) and editor leftovers (swap, backup, lock and temporary
files) are not playbooks. A path that resolves outside the folder (a symlink pointing out, a
``..`` trick) is ignored with a warning: the folder is the unit of trust.

A file's identity is the sha256 of its bytes, so a touch with no change is no reload and a
rename with unchanged content keeps its container.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

PLAYBOOK_SUFFIXES = (".yaml", ".yml")

# Editor leftovers that could still end in .yaml/.yml are caught by these; the rest (vim's
# `.foo.swp` and `4913`, emacs' `.#foo`, `foo.yaml~`, JetBrains' `___jb_tmp___`) already fail
# the suffix or hidden-file test. Listed anyway so the rule reads in one place.
_EDITOR_PREFIXES = (".#", "#", "~$")
_EDITOR_SUFFIXES = ("~", "#", ".swp", ".swo", ".swx", ".swn", ".bak", ".orig", ".tmp",
                    ".kate-swp", "___jb_tmp___", "___jb_old___", ".crdownload", ".part")
_EDITOR_NAMES = frozenset({"4913"})

MAX_PLAYBOOK_BYTES = 1_000_000
"""Bigger files are reported as invalid rather than read (a playbook is a few kB)."""


class NotARegularFile(OSError):
    """A FIFO, device or socket where a playbook file was expected."""


def read_regular_file(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file, or None when it is larger than ``limit``.

    Opened non-blocking and checked on the open descriptor, so a FIFO or a device named
    ``*.yaml`` (or swapped in after a check) can never block the watcher or feed it forever.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFile(f"{path}: not a regular file")
        content = handle.read(limit + 1)
    return None if len(content) > limit else content


def digest(content: bytes) -> str:
    """The identity of a playbook version: sha256 of its bytes, hex."""
    return hashlib.sha256(content).hexdigest()


def is_editor_leftover(name: str) -> bool:
    """True for swap, backup, lock and temp files editors and tools leave next to a file."""
    return (name in _EDITOR_NAMES or name.startswith(_EDITOR_PREFIXES)
            or name.endswith(_EDITOR_SUFFIXES))


def is_playbook_path(rel: PurePosixPath) -> bool:
    """True when a path relative to the folder names a playbook (not hidden, not a leftover)."""
    if not rel.parts or any(part.startswith(".") or part in ("..", "") for part in rel.parts):
        return False
    if is_editor_leftover(rel.name):
        return False
    return rel.suffix.lower() in PLAYBOOK_SUFFIXES


@dataclass(frozen=True)
class FolderScan:
    """The playbooks found in a folder: relative posix path -> bytes, plus warnings."""

    files: dict[str, bytes] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Folder:
    """A watched folder (resolved once, so a symlinked root is fine)."""

    root: Path

    @classmethod
    def open(cls, path: Path | str) -> Folder:
        """The folder at ``path``; raises NotADirectoryError / FileNotFoundError."""
        root = Path(path).resolve(strict=True)
        if not root.is_dir():
            raise NotADirectoryError(str(path))
        return cls(root)

    def relative(self, path: str | os.PathLike[str]) -> PurePosixPath | None:
        """``path`` relative to the folder, lexically (no symlink resolution); None if outside."""
        absolute = Path(os.path.normpath(os.path.join(self.root, path)))
        try:
            return PurePosixPath(absolute.relative_to(self.root).as_posix())
        except ValueError:
            return None

    def concerns(self, path: str | os.PathLike[str], *, is_directory: bool = False) -> bool:
        """True when an event on ``path`` may change the set of playbooks.

        A file counts when its name is a playbook's; a directory when it is not hidden (a
        moved folder moves its playbooks). Other files (a database, logs, swap files) never
        trigger a re-scan, even when they live in the folder.
        """
        rel = self.relative(path)
        if rel is None:
            return False
        if not rel.parts:
            return True
        if is_directory:
            return not any(part.startswith(".") for part in rel.parts)
        return is_playbook_path(rel)

    def scan(self) -> FolderScan:
        """Read every playbook under the folder; never raises for one bad entry."""
        files: dict[str, bytes] = {}
        warnings: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            here = Path(dirpath)
            dirnames[:] = sorted(self._keep_dirs(here, dirnames, warnings))
            for name in sorted(filenames):
                self._read_entry(here / name, files, warnings)
        return FolderScan(files, tuple(warnings))

    def _keep_dirs(self, here: Path, names: list[str], warnings: list[str]) -> list[str]:
        """Sub-folders to descend into: not hidden, not symlinks (warned when pointing out)."""
        kept = []
        for name in names:
            path = here / name
            if name.startswith("."):
                continue
            if path.is_symlink():
                # A link inside the folder shows files already seen; one pointing out would
                # let a file outside the folder drive ships.
                if not self._inside(path):
                    warnings.append(f"{self._show(path)}: ignored, it points outside {self.root}")
                continue
            kept.append(name)
        return kept

    def _read_entry(self, path: Path, files: dict[str, bytes], warnings: list[str]) -> None:
        rel = PurePosixPath(path.relative_to(self.root).as_posix())
        if not is_playbook_path(rel):
            return
        if path.is_symlink() and not self._inside(path):
            warnings.append(f"{rel}: ignored, it points outside {self.root}")
            return
        try:
            content = read_regular_file(path, MAX_PLAYBOOK_BYTES)
        except FileNotFoundError:
            return  # removed between listing and reading: the next event says so
        except NotARegularFile:
            warnings.append(f"{rel}: ignored, not a regular file")
            return
        except OSError as exc:
            warnings.append(f"{rel}: ignored, cannot read it ({exc.strerror or exc})")
            return
        if content is None:
            warnings.append(f"{rel}: ignored, larger than {MAX_PLAYBOOK_BYTES} bytes")
            return
        files[str(rel)] = content

    def _inside(self, path: Path) -> bool:
        try:
            return path.resolve().is_relative_to(self.root)
        except (OSError, RuntimeError):  # broken or looping link
            return False

    def _show(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()
