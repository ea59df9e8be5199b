"""``hub conflicts``: list the edits the engine would not merge, and resolve them."""

from __future__ import annotations

from typing import Any

from config.settings import Settings
from hub.messages import say
from hub.runtime import open_store
from sync.errors import UsageError
from sync.model import content_hash


def list_conflicts(settings: Settings) -> list[dict[str, Any]]:
    store = open_store(settings)
    try:
        return [
            {"id": c.id, "session": c.session, "field": c.field, "connector": c.connector,
             "ours": c.ours, "theirs": c.theirs, "created_at": c.created_at.isoformat() if c.created_at else None}
            for c in store.open_conflicts()
        ]
    finally:
        store.close()


def resolve_conflict(settings: Settings, conflict_id: int, keep: str, lang: str) -> str:
    """Close a conflict; with ``theirs``, the connector's value becomes canonical.

    The next ``hub sync`` pushes the outcome everywhere, including to the connector whose
    pushes were held while the conflict was open.
    """
    store = open_store(settings)
    try:
        conflict = next((c for c in store.open_conflicts() if c.id == conflict_id), None)
        if conflict is None:
            raise UsageError(say("conflicts.unknown", lang, id=conflict_id))
        with store.transaction() as conn:
            record = store.load_sessions().get(conflict.session)
            if record is not None:
                old = record.get(conflict.field)
                if keep == "theirs":
                    record[conflict.field] = conflict.theirs
                    store.log_change(conn, conflict.session, conflict.field, old, conflict.theirs, "resolution",
                                     sync=store.new_sync(conn, "resolution", note=f"conflict {conflict_id}"))
                # A new change number makes every sink look at the session again, including the
                # one whose pushes were held while the conflict was open.
                store.write_session(conn, conflict.session, record, content_hash(record), store.max_seq(conn) + 1)
            store.acknowledge(conn, conflict.connector, conflict.session, conflict.field, conflict.theirs)
            store.close_conflict(conn, conflict_id)
        return say("conflicts.resolved", lang, id=conflict_id)
    finally:
        store.close()
