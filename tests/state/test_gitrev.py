"""git_revision reads HEAD like git does: loose refs, packed refs, detached HEAD, worktrees."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from runner.state.gitrev import git_revision


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t",
                           "-c", "init.defaultBranch=main", *args],
                          cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "playbooks").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "playbooks" / "ore.yaml").write_text("steps: []\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    return root


def test_loose_ref(repo: Path) -> None:
    assert git_revision(repo / "playbooks" / "ore.yaml") == git(repo, "rev-parse", "HEAD")


def test_packed_ref(repo: Path) -> None:
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert git_revision(repo / "playbooks" / "ore.yaml") == git(repo, "rev-parse", "HEAD")


def test_detached_head(repo: Path) -> None:
    (repo / "x").write_text("x")
    git(repo, "add", "x")
    git(repo, "commit", "-q", "-m", "two")
    first = git(repo, "rev-parse", "HEAD~1")
    git(repo, "checkout", "-q", first)
    assert git_revision(repo / "x") == first


def test_worktree(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    assert git_revision(tmp_path / "wt" / "playbooks" / "ore.yaml") == git(repo, "rev-parse",
                                                                         "HEAD")


def test_outside_a_repository(tmp_path: Path) -> None:
    (tmp_path / "lonely.yaml").write_text("")
    assert git_revision(tmp_path / "lonely.yaml") is None


def test_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    assert git_revision(tmp_path / "new.yaml") is None
