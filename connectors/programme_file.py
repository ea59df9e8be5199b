"""The programme file as a source: YAML (the hub's format) or a frab/pretalx schedule JSON.

It is a source like any other: its sessions are pulled and merged three-way, so an edit made in
the calendar is not undone by a file that did not change. An unchanged file costs no parsing:
the cursor is the sha256 of its bytes. A changed one hands the merge only the sessions whose
version (the hash of their fields) differs from their link's, and the ids no longer there as
deletions: an edit of one session of a large programme is merged as one.

With ``write_back`` (a YAML file only) it is a sink too: after a merge, the sessions another
source changed are written into the file, so it never shows 14:00 while the site shows 15:00.
Only the changed fields of the changed sessions are touched; comments, key order, quoting and
layout stay as the organiser wrote them (:mod:`sync.programme_writer`). The file is replaced
atomically, and only if it still holds what the last pull read: a person's edit saved in
between is never overwritten (``PreconditionFailed``: the engine pulls it, merges it and plans
again). What the hub wrote reads back as exactly what it meant, so the next pull proposes
nothing.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, overload

from pydantic import Field

from sync.errors import InputError, PermanentError, PreconditionFailed
from sync.i18n import Catalogue
from sync.lazy import link_heads
from sync.model import EXISTENCE, SESSION_FIELDS, Programme, Session, content_hash
from sync.programme_chunks import Chunked, read_chunked
from sync.programme_reader import MAX_PROGRAMME_BYTES, load_programme, parse_programme_bytes, read_programme_file
from sync.protocol import (
    Capability,
    Connector,
    ConnectorConfig,
    ConnectorContext,
    Link,
    Op,
    OpResult,
    PullResult,
    RemoteItem,
    RemoteRef,
)

MESSAGES = Catalogue({
    "check.write": {"fr": "{file} : le hub peut y réécrire le programme",
                    "en": "{file}: the hub can write the programme back"},
    "cannot": {"fr": "impossible d'écrire {file} : {why}", "en": "cannot write {file}: {why}"},
    "json": {
        "fr": "{file} est un programme JSON : le hub ne réécrit qu'un fichier YAML (write_back)",
        "en": "{file} is a JSON schedule: the hub writes back to a YAML file only (write_back)",
    },
    "changed": {
        "fr": "{file} a été modifié depuis sa lecture : la modification est relue avant toute écriture",
        "en": "{file} changed since it was read: that edit is read before anything is written",
    },
    "not_written": {
        "fr": "séance « {key} » : ses valeurs ne peuvent pas être écrites dans {file} telles quelles",
        "en": "session '{key}': its values cannot be written to {file} as they are",
    },
})
say = MESSAGES.say
#: Where the parse cache is kept in the connector's state (:mod:`sync.programme_chunks`).
PARSE_CACHE = "parse-cache"


class ProgrammeFileConfig(ConnectorConfig):
    type: str = "programme_file"
    path: str
    owns: list[str] = Field(default_factory=lambda: [*SESSION_FIELDS, EXISTENCE])
    max_bytes: int = Field(MAX_PROGRAMME_BYTES, ge=1, description="A larger file is refused, not read.")
    write_back: bool = Field(
        False,
        description="Write the merged programme back into the file (YAML only), so edits made in "
        "other tools show there too; comments and layout are kept.",
    )


class _Capabilities:
    """``READ``; and ``WRITE | DELETE`` for a file the hub writes back to. The class itself
    (what the registry shows) says ``READ``: writing is a setting of one file."""

    @overload
    def __get__(self, connector: None, owner: type[Any]) -> Capability: ...

    @overload
    def __get__(self, connector: ProgrammeFileConnector, owner: type[Any]) -> Capability: ...

    def __get__(self, connector: ProgrammeFileConnector | None, owner: type[Any]) -> Capability:
        if connector is None or not connector.config.write_back:
            return Capability.READ
        return Capability.READ | Capability.WRITE | Capability.DELETE


class ProgrammeFileConnector(Connector[ProgrammeFileConfig]):
    """Reads the programme file named by ``[hub] programme``; writes it back with ``write_back``."""

    type = "programme_file"
    capabilities = _Capabilities()
    config_model = ProgrammeFileConfig
    fields = SESSION_FIELDS
    whole_programme = True

    def __init__(self, name: str, config: ProgrammeFileConfig, ctx: ConnectorContext) -> None:
        super().__init__(name, config, ctx)
        #: The sha256 of the file as this connector last read or wrote it: a write happens only
        #: while the file still holds exactly that.
        self.seen: str | None = None
        #: The parse cache when there is no state store (``hub check``, tests).
        self._parse_cache: dict[str, Any] = {}

    @property
    def path(self) -> Path:
        path = Path(self.config.path)
        return path if path.is_absolute() else self.ctx.base_dir / path

    async def check(self) -> list[str]:
        lang = self.ctx.language
        programme = load_programme(self.path, max_bytes=self.config.max_bytes)
        proofs = [f"{self.path.name}: {len(programme.sessions)} sessions, {len(programme.venues)} venues"]
        if self.config.write_back:
            if self.path.suffix.lower() == ".json":
                raise PermanentError(say("json", lang, file=self.path.name), connector=self.name)
            if not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
                why = os.strerror(errno.EACCES)
                raise PermanentError(say("cannot", lang, file=self.path, why=why), connector=self.name)
            proofs.append(say("check.write", lang, file=self.path.name))
        return proofs

    def project(self, session: Session, programme: Programme | None) -> dict[str, Any]:
        record = session.to_record()
        return {name: record[name] for name in self.fields}

    def version(self, session: Session) -> str:
        """A session's version: the hash of its projection (what its link keeps)."""
        return content_hash(self.project(session, None))

    async def pull(
        self, cursor: str | None, links: Mapping[str, Link], programme: Programme
    ) -> PullResult:
        data = read_programme_file(self.path, max_bytes=self.config.max_bytes)
        digest = hashlib.sha256(data).hexdigest()
        self.seen = digest
        if digest == cursor:
            return PullResult(cursor=cursor)
        reading = self._read_chunked(data)
        if reading is None:
            parsed = parse_programme_bytes(data, str(self.path))
            versions = {key: self.version(session) for key, session in parsed.sessions.items()}
            meta = parsed.meta_record()
            session_of = parsed.sessions.__getitem__
        else:
            versions, meta, session_of = reading.versions, reading.head.programme.meta_record(), reading.session
        # Since a cursor, the version each session had when last merged (its link's): a session
        # whose version is unchanged is left out, so merging one edited session of a large file
        # costs one. Without a cursor, the whole programme.
        known = {} if cursor is None else {key: head.remote_version for key, head in link_heads(links).items()}
        items = []
        for key, version in versions.items():
            if cursor is None or known.get(key) != version:
                fields = self.project(session_of(key), None)
                items.append(RemoteItem(key=key, fields=fields, remote_id=key, version=version))
        if cursor is None:
            return PullResult(items=items, cursor=digest, complete=True, meta=meta)
        deleted = sorted(key for key in known if key not in versions)
        return PullResult(items=items, deleted=deleted, cursor=digest, meta=meta)

    def _read_chunked(self, data: bytes) -> Chunked | None:
        """The file read item by item, with what the last reading kept (:mod:`sync.programme_chunks`):
        a file where one session changed costs one session's parse. None when the file must be
        read whole (a frab JSON, a layout the cut does not follow, any problem: the whole reading
        then says what and where)."""
        if self.path.suffix.lower() == ".json":
            return None
        state = self.ctx.state
        cache = state.load(PARSE_CACHE) if state is not None else self._parse_cache
        reading = read_chunked(data, str(self.path), cache, self.version, salt=",".join(self.fields))
        if reading is not None and reading.changed:
            kept = reading.cache()
            if state is not None:
                state.save(PARSE_CACHE, kept)
            else:
                self._parse_cache = kept
        return reading

    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        """Write the ops' sessions into the file at once, if it still holds what was read."""
        lang, path = self.ctx.language, self.path
        try:
            data = path.read_bytes()
        except OSError as exc:
            error = PermanentError(say("cannot", lang, file=path, why=exc.strerror), connector=self.name)
            return [error for _ in ops]
        digest = hashlib.sha256(data).hexdigest()
        if self.seen is not None and digest != self.seen:
            return [PreconditionFailed(say("changed", lang, file=path.name), connector=self.name) for _ in ops]
        # Imported here: only a programme written back needs the YAML round-trip library.
        from sync.programme_writer import NOT_YAML, SessionWrite, rewrite_programme

        writes = [SessionWrite(op.action, op.key, op.projection) for op in ops]
        try:
            rewrite = rewrite_programme(data.decode("utf-8"), writes, str(path))
        except (InputError, UnicodeDecodeError):
            # It read well when pulled; it does not now: someone is saving it. Read it again.
            return [PreconditionFailed(say("changed", lang, file=path.name), connector=self.name) for _ in ops]
        if rewrite.text is not None:
            new = rewrite.text.encode("utf-8")
            try:
                if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                    return [PreconditionFailed(say("changed", lang, file=path.name), connector=self.name)
                            for _ in ops]
                _replace(path, new)
            except OSError as exc:
                error = PermanentError(say("cannot", lang, file=path, why=exc.strerror), connector=self.name)
                return [error for _ in ops]
            self.seen = hashlib.sha256(new).hexdigest()
        else:
            self.seen = digest
        results: list[OpResult] = []
        for op in ops:
            why = rewrite.failed.get(op.key)
            if why == NOT_YAML:
                results.append(PermanentError(say("json", lang, file=path.name), connector=self.name))
            elif why is not None:
                results.append(PermanentError(say("not_written", lang, key=op.key, file=path.name),
                                              connector=self.name))
            else:
                version = content_hash(dict(op.projection)) if op.projection is not None else None
                results.append(RemoteRef(op.key, version))
        return results


def _replace(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (a reader sees the old file or the new one),
    keeping its permissions."""
    mode = path.stat().st_mode & 0o7777
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(name, mode)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
