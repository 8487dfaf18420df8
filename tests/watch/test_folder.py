"""The folder model: which files are playbooks, what is ignored, identity by content."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from runner.watch.folder import MAX_PLAYBOOK_BYTES, Folder, digest, is_playbook_path


@pytest.mark.parametrize("name, expected", [
    ("a.yaml", True),
    ("a.yml", True),
    ("A.YAML", True),
    ("sub/dir/b.yaml", True),
    ("a.json", False),
    ("a.yaml.bak", False),
    (".a.yaml", False),
    (".hidden/a.yaml", False),
    ("sub/.git/a.yaml", False),
    (".a.yaml.swp", False),
    (".a.yaml.swx", False),
    ("a.yaml~", False),
    (".#a.yaml", False),
    ("#a.yaml#", False),
    ("4913", False),
    ("a.yaml___jb_tmp___", False),
    ("a.yaml.kate-swp", False),
    ("~$a.yaml", False),
    ("../a.yaml", False),
])
def test_which_paths_are_playbooks(name: str, expected: bool) -> None:
    assert is_playbook_path(PurePosixPath(name)) is expected


def test_digest_is_sha256_of_bytes() -> None:
    assert digest(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert digest(b"a: 1\n") != digest(b"a: 1\n\n")


def test_scan_reads_playbooks_at_any_depth_and_skips_the_rest(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.yaml").write_bytes(b"a")
    (tmp_path / "sub" / "deeper" / "b.yml").write_bytes(b"b")
    (tmp_path / ".git" / "c.yaml").write_bytes(b"c")
    (tmp_path / ".a.yaml.swp").write_bytes(b"swap")
    (tmp_path / "a.yaml~").write_bytes(b"backup")
    (tmp_path / "4913").write_bytes(b"")
    (tmp_path / "notes.txt").write_bytes(b"x")
    scan = Folder.open(tmp_path).scan()
    assert scan.files == {"a.yaml": b"a", "sub/deeper/b.yml": b"b"}
    assert scan.warnings == ()


def test_symlinks_pointing_outside_are_ignored_with_a_warning(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "evil.yaml").write_bytes(b"evil")
    (root / "real.yaml").write_bytes(b"real")
    os.symlink(outside / "evil.yaml", root / "link.yaml")
    os.symlink(outside, root / "linkdir")
    os.symlink(root / "real.yaml", root / "alias.yaml")  # points inside: fine
    scan = Folder.open(root).scan()
    assert scan.files == {"real.yaml": b"real", "alias.yaml": b"real"}
    assert len(scan.warnings) == 2
    assert any(w.startswith("link.yaml: ignored, it points outside") for w in scan.warnings)
    assert any(w.startswith("linkdir: ignored, it points outside") for w in scan.warnings)


def test_broken_symlink_is_skipped(tmp_path: Path) -> None:
    os.symlink(tmp_path / "missing.yaml", tmp_path / "broken.yaml")
    assert Folder.open(tmp_path).scan().files == {}


def test_symlinked_root_is_resolved(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.yaml").write_bytes(b"a")
    os.symlink(tmp_path / "real", tmp_path / "alias")
    folder = Folder.open(tmp_path / "alias")
    assert folder.root == (tmp_path / "real").resolve()
    assert folder.scan().files == {"a.yaml": b"a"}


def test_relative_refuses_dotdot_tricks(tmp_path: Path) -> None:
    folder = Folder.open(tmp_path)
    assert folder.relative(tmp_path / "a.yaml") == PurePosixPath("a.yaml")
    assert folder.relative(tmp_path / "sub" / ".." / "a.yaml") == PurePosixPath("a.yaml")
    assert folder.relative(tmp_path / ".." / "a.yaml") is None
    assert folder.relative("/etc/passwd") is None


def test_concerns_filters_events(tmp_path: Path) -> None:
    folder = Folder.open(tmp_path)
    assert folder.concerns(tmp_path / "a.yaml")
    assert folder.concerns(tmp_path / "subdir", is_directory=True)  # moves its playbooks
    assert not folder.concerns(tmp_path / ".git", is_directory=True)
    assert not folder.concerns(tmp_path / "state.db")  # a database beside the playbooks
    assert not folder.concerns(tmp_path / "notes.txt")
    assert not folder.concerns(tmp_path / ".a.yaml.swp")
    assert not folder.concerns(tmp_path / ".git" / "index")
    assert not folder.concerns(tmp_path / "a.yaml~")
    assert not folder.concerns(tmp_path.parent / "x.yaml")


def test_open_refuses_missing_or_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Folder.open(tmp_path / "nope")
    (tmp_path / "f").write_text("x")
    with pytest.raises(NotADirectoryError):
        Folder.open(tmp_path / "f")


def test_special_files_named_yaml_never_block_the_scan(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")  # opening it for reading would block forever
    os.symlink("/dev/null", tmp_path / "null.yaml")  # points outside anyway
    (tmp_path / "good.yaml").write_bytes(b"good")
    scan = Folder.open(tmp_path).scan()
    assert scan.files == {"good.yaml": b"good"}
    assert "pipe.yaml: ignored, not a regular file" in scan.warnings


def test_files_over_the_size_limit_are_ignored_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(b"x" * (MAX_PLAYBOOK_BYTES + 1))
    scan = Folder.open(tmp_path).scan()
    assert scan.files == {}
    assert scan.warnings == (f"big.yaml: ignored, larger than {MAX_PLAYBOOK_BYTES} bytes",)
