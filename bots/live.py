"""The programme the bots answer from: as it is after the latest sync.

The state store holds the merged programme (event, days and venues in the ``programme`` meta
entry, one record per session); when nothing has been synced yet, the programme file of the
configuration is read instead. Reading never creates a database.

``hub ask`` runs once per question, so it keeps the programme's index in a file beside the state
database (:func:`indexed_programme`): read back when the store's programme is still the version it
was built from, rebuilt from the store (and written again) when anything changed since.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sync.errors import ConfigError
from sync.model import Programme, Session, canonical_json
from sync.state_reader import ReadState, open_reader, sqlite_file

if TYPE_CHECKING:
    from config.settings import Settings
    from sync.state import HistoryRow

log = logging.getLogger(__name__)


def _database_exists(url: str) -> bool:
    if not url.startswith("sqlite"):
        return True
    file = sqlite_file(url)
    return file is not None and file.exists()


def _open(settings: Settings) -> ReadState:
    """The state store for reading: a current SQLite file through sqlite3, else the full store."""
    reader = open_reader(settings.database_url)
    if reader is not None:
        return reader
    from sync.state import StateStore

    return StateStore.open(settings.database_url, lang=settings.hub.language)


def synced_programme(settings: Settings, store: ReadState | None = None) -> Programme | None:
    """The merged programme of the latest sync, or None if there has been none.

    ``store``: an open state store to read from (else one is opened and closed here).
    """
    if store is None:
        if not _database_exists(settings.database_url):
            return None
        opened = _open(settings)
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


def live_programme(settings: Settings, store: ReadState | None = None) -> Programme:
    """The programme after the latest sync, else the configured programme file."""
    synced = synced_programme(settings, store)
    if synced is not None:
        return synced
    if not settings.hub.programme:
        raise ConfigError("hub.programme: no programme file, and no sync has run yet")
    from sync.programme_reader import load_programme

    return load_programme(settings.resolve(settings.hub.programme), max_bytes=settings.hub.max_programme_bytes)


def programme_version(store: ReadState) -> str | None:
    """Which version of the merged programme the store holds (it changes with every session
    written and with the event, days and venues), or None before the first sync."""
    meta = store.get_meta("programme")
    if not meta:
        return None
    return f"{store.max_seq()}:{hashlib.sha256(canonical_json(meta).encode()).hexdigest()}"


def index_path(settings: Settings) -> Path:
    """Where ``hub ask`` keeps the programme's index: beside a SQLite state file, else beside
    the configuration, named after the database (configurations side by side may each have one)."""
    beside = index_file(settings.database_url)
    if beside is not None:
        return beside
    database = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
    return settings.resolve(f"hub-{database}.ask-index")


def index_file(url: str) -> Path | None:
    """The index beside the SQLite state file at ``url``; None for another database."""
    file = sqlite_file(url)
    return None if file is None else file.with_name(f"{file.name}.ask-index")


def kept_index_programme(url: str) -> Programme | None:
    """The programme of the index kept beside the SQLite state file at ``url``, when it was
    built from the store's current version; None otherwise (:func:`indexed_programme` builds
    it then)."""
    from bots.index import adopt, load_index

    path = index_file(url)
    reader = open_reader(url) if path is not None else None
    if path is None or reader is None:
        return None
    try:
        version = programme_version(reader)
    finally:
        reader.close()
    index = None if version is None else load_index(path, version)
    return None if index is None else adopt(index).programme


def indexed_programme(settings: Settings) -> Programme:
    """The programme to answer from, its index ready for :func:`bots.index.index_for`: the
    index file when it was built from the store's current version, else the store's programme
    indexed now (and the file written for the next question). Before any sync: the programme
    file, read and indexed as always."""
    from bots.index import ProgrammeIndex, adopt, index_for, load_index, save_index

    if not _database_exists(settings.database_url):
        return live_programme(settings)
    store = _open(settings)
    try:
        version = programme_version(store)
        if version is None:
            return live_programme(settings, store)
        path = index_path(settings)
        index: ProgrammeIndex | None = load_index(path, version)
        if index is not None:
            return adopt(index).programme
        programme = live_programme(settings, store)
    finally:
        store.close()
    index = index_for(programme)
    try:
        save_index(index, path, version)
    except OSError as exc:  # a read-only folder: the next question builds it again
        log.debug("the programme index was not kept in %s: %s", path, exc)
    return programme


def synced_changes(settings: Settings) -> Callable[[datetime], Sequence[HistoryRow]] | None:
    """A reader of the change log of the configured state store, or None when there is no
    database yet (nothing synced, so nothing changed)."""
    return changes_reader(settings.database_url, settings.hub.language)


def changes_reader(url: str, lang: str) -> Callable[[datetime], Sequence[HistoryRow]] | None:
    """A reader of the change log of the state store at ``url`` (opened when a question asks
    for changes), or None when there is no database yet."""
    if not _database_exists(url):
        return None

    def read(since: datetime) -> Sequence[HistoryRow]:
        from sync.state import StateStore

        store = StateStore.open(url, lang=lang)
        try:
            return store.history(since=since)
        finally:
            store.close()

    return read
