"""The programme the bots answer from: as it is after the latest sync.

The state store holds the merged programme (event, days and venues in the ``programme`` meta
entry, one record per session); when nothing has been synced yet, the programme file of the
configuration is read instead. Reading never creates a database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from config.settings import Settings
from sync.errors import ConfigError
from sync.model import Programme, Session
from sync.programme_reader import load_programme
from sync.state import HistoryRow, StateStore


def _database_exists(url: str) -> bool:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return True
    return parsed.database not in (None, "", ":memory:") and Path(parsed.database).exists()


def synced_programme(settings: Settings, store: StateStore | None = None) -> Programme | None:
    """The merged programme of the latest sync, or None if there has been none.

    ``store``: an open state store to read from (else one is opened and closed here).
    """
    if store is None:
        if not _database_exists(settings.database_url):
            return None
        opened = StateStore.open(settings.database_url, lang=settings.hub.language)
        try:
            return synced_programme(settings, opened)
        finally:
            opened.close()
    meta = store.get_meta("programme")
    if not meta:
        return None
    records = store.load_sessions()
    event, days, venues = Programme.meta_from_record(meta)
    return Programme(event, days, venues, {key: Session.from_record(r) for key, r in records.items()})


def live_programme(settings: Settings, store: StateStore | None = None) -> Programme:
    """The programme after the latest sync, else the configured programme file."""
    synced = synced_programme(settings, store)
    if synced is not None:
        return synced
    if not settings.hub.programme:
        raise ConfigError("hub.programme: no programme file, and no sync has run yet")
    return load_programme(settings.resolve(settings.hub.programme), max_bytes=settings.hub.max_programme_bytes)


def synced_changes(settings: Settings) -> Callable[[datetime], Sequence[HistoryRow]] | None:
    """A reader of the change log of the configured state store, or None when there is no
    database yet (nothing synced, so nothing changed)."""
    if not _database_exists(settings.database_url):
        return None

    def read(since: datetime) -> Sequence[HistoryRow]:
        store = StateStore.open(settings.database_url, lang=settings.hub.language)
        try:
            return store.history(since=since)
        finally:
            store.close()

    return read
