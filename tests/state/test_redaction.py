"""No known token is ever written to the database, whatever the table or column type
(text, JSON), on SQLite and Postgres alike."""

from __future__ import annotations

import sqlalchemy as sa

from runner.api.secrets import Token
from runner.domain.status import ContainerStatus
from runner.state.store import Store

CANARY = "eyJhbGciOiJIUzI1NiJ9.eyJjYW5hcnkiOiJzdGF0ZSJ9.c2lnbmF0dXJlLXN0YXRlLWNhbmFyeQ"


def test_no_known_token_reaches_any_column(store: Store) -> None:
    Token(CANARY)  # known from now on, as every token this process makes
    record = store.upsert_container("c", "pb.yaml", "h", "SHIP-1", "AGENT",
                                    source_text=f"# token {CANARY}")
    lease = store.claim(record.id, "runner", ttl_s=30)
    assert lease is not None
    store.log(record.id, "ERROR", f"4104 Invalid Authorization header: Bearer {CANARY}")
    store.record_intent(lease, "steps[0]", 0, {"echo": [CANARY]}, {"header": CANARY})
    store.checkpoint(lease, "steps[0]", 0, {"nested": {"token": CANARY}}, f"log {CANARY}")
    store.set_status(lease, ContainerStatus.FAILED, error=f"refused: Bearer {CANARY}")
    dump = []
    with store.engine.connect() as conn:
        for table in ("containers", "logs", "intents", "checkpoints"):
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                dump.append(" ".join(str(v) for v in row))
    text = "\n".join(dump)
    assert CANARY not in text
    assert "Bearer ***" in text and ("'***'" in text or '"***"' in text)
