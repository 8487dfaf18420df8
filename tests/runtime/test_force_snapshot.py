"""``force_snapshot``: a deliberate reload makes the new version the one a container runs."""

from __future__ import annotations

from pathlib import Path

from runner.runtime.adapters import LoadedPlaybook, force_snapshot
from runner.state.store import Store


def loaded(path: Path, digest: str, text: str) -> LoadedPlaybook:
    return LoadedPlaybook(path=path, name="ore-run", ship_selector="SHIP-1", agent="AGENT",
                          steps=(), restart=None, content_hash=digest, source_text=text,
                          git_revision="abc123")


def test_replaces_the_snapshot_and_keeps_the_checkpoints(tmp_path: Path) -> None:
    with Store.open(str(tmp_path / "state.db")) as store:
        record = store.upsert_container("ore-run", "old/ore.yaml", "v1", "SHIP-1", "AGENT",
                                        source_text="name: ore-run # v1")
        lease = store.claim(record.id, "runner-a", ttl_s=30)
        assert lease is not None
        store.checkpoint(lease, "0", 0, {"commands": []}, "orbit")
        new_path = tmp_path / "ore.yaml"
        force_snapshot(store, record.id, loaded(new_path, "v2", "name: ore-run # v2"))
        after = store.require_container(record.id)
        assert (after.content_hash, after.source_text, after.git_revision,
                after.playbook_path) == ("v2", "name: ore-run # v2", "abc123", str(new_path))
        assert store.last_checkpoint(record.id) is not None
        # A later resume (upsert with another file) keeps the forced version: it has progress.
        again = store.upsert_container("ore-run", str(new_path), "v3", "SHIP-1", "AGENT",
                                       source_text="name: ore-run # v3")
        assert again.content_hash == "v2"
