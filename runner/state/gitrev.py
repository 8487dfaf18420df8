"""The git revision (HEAD commit) of the repository holding a file, read without ``git``.

Reads ``.git/HEAD`` and the refs directly (loose refs, then ``packed-refs``), following
``gitdir:`` files of worktrees and submodules, so looking it up costs a few small reads.
"""

from __future__ import annotations

from pathlib import Path


def git_revision(path: str | Path) -> str | None:
    """The HEAD commit of the git repository containing ``path``; None outside a repository."""
    git_dir = _find_git_dir(Path(path).absolute())
    if git_dir is None:
        return None
    try:
        head = (git_dir / "HEAD").read_text().strip()
    except OSError:
        return None
    if not head.startswith("ref: "):
        return head or None  # detached HEAD holds the commit itself
    return _resolve_ref(git_dir, head[5:].strip())


def _find_git_dir(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        dot_git = directory / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text().strip()
            if text.startswith("gitdir: "):
                return (directory / text[8:]).resolve()
    return None


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    common = _common_dir(git_dir)
    for base in dict.fromkeys((git_dir, common)):
        loose = base / ref
        if loose.is_file():
            return loose.read_text().strip() or None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and not line.startswith(("#", "^")):
                return sha
    return None  # an unborn branch: a repository with no commit yet


def _common_dir(git_dir: Path) -> Path:
    marker = git_dir / "commondir"
    if marker.is_file():
        return (git_dir / marker.read_text().strip()).resolve()
    return git_dir
