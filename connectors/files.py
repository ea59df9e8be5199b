"""The ``files`` sink: the programme exported to a folder as ICS, frab JSON and an HTML page.

A document sink: one batch of operations rewrites the three files once, and the folder holds
nothing else (it is meant to be published as it is).

What a session's projection carries is what its rendering shows: its own fields, its venue's
name and address, and the event around it (title, subtitle, website, time zone, the theme of its
day) and the page's settings (language, public address). So a change of the event's title or of
a day's theme changes the projections, and the plan rewrites the documents, once per batch.

Per-session fragments (the VEVENT, the frab event, the HTML list item) are kept between runs in
the state store (``ctx.state``, in :data:`BUCKETS` mappings by session id, so a one-change batch
saves one of them), each under the hash of the session's own fields: a change of the event alone
re-renders no fragment, and a one-change sync of a 10,000-session programme renders one. A
VEVENT keeps its SEQUENCE and DTSTAMP until the session itself changes.
Files are replaced atomically (write, then rename), so a reader never sees half a file, and a
file whose content would not change is not touched; the HTML page says when it was last
rewritten, in the event's time zone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.export_layout import (
    LAYOUT_FORMAT,
    Documents,
    Layout,
    Page,
    Pieces,
    Placed,
    assemble,
    frab_text,
    pieces_from,
    place,
    record_hashes,
)
from connectors.exports import (
    FRAB_VERSION,
    PageLinks,
    frab_fragment,
    html_fragment,
    ics_fragment,
    same_page_bytes,
)
from connectors.files_config import FilesConfig
from sync.errors import PermanentError
from sync.i18n import Catalogue
from sync.lazy import SessionView
from sync.model import Programme, Session, content_hash
from sync.protocol import (
    Capability,
    Connector,
    ConnectorContext,
    ConnectorState,
    Op,
    OpResult,
    RemoteRef,
)

log = logging.getLogger(__name__)
#: The fragment cache earlier versions kept inside the published folder: moved into the state
#: store, and removed from the folder.
LEGACY_CACHE = ".hub-fragments.json"
#: Fragments are kept in this many state mappings (``fragments/00`` ...), by session id.
BUCKETS = 16
#: Where the documents' layout is kept in the connector's state (:mod:`connectors.export_layout`).
LAYOUT = "layout"

MESSAGES = Catalogue({
    "check": {"fr": "peut écrire dans {folder}", "en": "can write into {folder}"},
    "cannot": {"fr": "impossible d'écrire dans {folder} : {why}", "en": "cannot write into {folder}: {why}"},
})
say = MESSAGES.say


def utc_now() -> datetime:
    """The default clock of the sink."""
    return datetime.now(UTC)


class FragmentCache:
    """Rendered fragments by session id, in the state store (in memory when there is none).

    Each mapping (a *bucket*) holds ``context`` (what its fragments were rendered with, per
    format) and ``entries``: per session the hash of its own fields, the VEVENT's SEQUENCE and
    the three fragments.
    """

    PREFIX = "fragments/"

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.memory: dict[str, dict[str, Any]] = {}

    @property
    def state(self) -> ConnectorState | None:
        return self.ctx.state

    @classmethod
    def bucket(cls, key: str) -> str:
        return f"{cls.PREFIX}{zlib.crc32(key.encode('utf-8')) % BUCKETS:02d}"

    @classmethod
    def names(cls) -> list[str]:
        return [f"{cls.PREFIX}{n:02d}" for n in range(BUCKETS)]

    def load(self) -> dict[str, dict[str, Any]]:
        return self.load_some(self.names())

    def load_some(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        if self.state is None:
            return {name: dict(self.memory.get(name) or {}) for name in names}
        return {name: self.state.load(name) for name in names}

    def save(self, name: str, bucket: Mapping[str, Any]) -> None:
        if self.state is None:
            self.memory[name] = dict(bucket)
        else:
            self.state.save(name, bucket)


class FilesConnector(Connector[FilesConfig]):
    """Writes programme.ics, programme.json (frab) and index.html into a folder."""

    type = "files"
    capabilities = Capability.WRITE | Capability.DELETE
    config_model = FilesConfig
    collection = "exports"

    def __init__(
        self, name: str, config: FilesConfig, ctx: ConnectorContext, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        super().__init__(name, config, ctx)
        self.fragments = FragmentCache(ctx)
        #: The documents' layout when there is no state store (tests, ``hub export``).
        self._layout: dict[str, Any] = {}
        #: Read once per batch: the DTSTAMP of the events rendered in it and the page's "updated"
        #: line. Nothing else in a rendering depends on the time.
        self.clock = clock

    @property
    def folder(self) -> Path:
        path = Path(self.config.path).expanduser()
        return path if path.is_absolute() else self.ctx.base_dir / path

    @property
    def language(self) -> str:
        return self.config.language or self.ctx.language

    async def open(self) -> None:
        self._adopt_legacy_cache()

    async def check(self) -> list[str]:
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".hub-write-check"
            probe.write_text("ok", encoding="utf-8")
            probe.unlink()
        except OSError as exc:
            raise PermanentError(say("cannot", self.ctx.language, folder=folder, why=exc.strerror),
                                 connector=self.name) from None
        return [say("check", self.ctx.language, folder=folder)]

    def project(self, session: Session, programme: Programme) -> dict[str, Any]:
        """The session's fields, and what its rendering shows of the event and the page."""
        projection = super().project(session, programme)
        event = programme.event
        day = session.start.astimezone(programme.tz).date()
        projection["event"] = {"id": event.id, "title": event.title, "subtitle": event.subtitle,
                               "website": event.website, "timezone": event.timezone}
        projection["day_theme"] = next((d.theme for d in programme.days if d.date == day), "")
        projection["page"] = {"language": self.language, "base_url": self.config.base_url}
        return projection

    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            error = PermanentError(say("cannot", self.ctx.language, folder=folder, why=exc.strerror),
                                   connector=self.name)
            return [error for _ in ops]
        self._adopt_legacy_cache()
        now = self.clock()
        sequences = {op.key: op.sequence for op in ops}
        page = Page(self.language, now, PageLinks(self.config.ics, self.config.json_name, self.config.base_url))
        context = self._context(programme)
        built = self._changed_only(programme, sequences, now, page, context)
        if built is None:
            built = self._whole(programme, sequences, now, page)
        documents, placed = built
        written = (self._write(folder / self.config.ics, documents.ics),
                   self._write(folder / self.config.json_name, documents.json),
                   self._write(folder / self.config.html, documents.html, same=same_page_bytes))
        # A page kept as it was differs from the new one in its "updated" line alone, above
        # every session: its pieces are where the new page has them, shifted by that line.
        offsets = documents.offsets
        shift = len(written[2]) - len(documents.html)
        if shift:
            offsets = {key: (where[0], where[1], where[2], where[3], where[4] + shift, where[5])
                       for key, where in offsets.items()}
        files = {name: hashlib.sha256(data).hexdigest()
                 for name, data in zip(("ics", "json", "html"), written, strict=True)}
        self._save_layout(Layout(context, files, placed, offsets))
        return [RemoteRef(f"{self.config.ics}#{op.key}", str(op.sequence)) for op in ops]

    def _context(self, programme: Programme) -> str:
        """What the documents depend on besides the sessions' records: the event, days and venues,
        the page's settings and the formats. A change there renders everything."""
        config = self.config
        return content_hash([LAYOUT_FORMAT, FRAB_VERSION, programme.meta_record(), self.language, config.base_url,
                             config.ics, config.json_name, config.html, list(self.fields)])

    def _whole(
        self, programme: Programme, sequences: Mapping[str, int], now: datetime, page: Page
    ) -> tuple[Documents, list[Placed]]:
        """The documents of every session, from the fragment cache (rendering what changed)."""
        fragments = self._render(programme, sequences, now)
        hashes = record_hashes(programme.sessions)
        placed = sorted(place(session, programme, str(fragments[key]["frab"]["room"]), hashes[key])
                        for key, session in programme.sessions.items())
        pieces = {key: _pieces(entry) for key, entry in fragments.items()}
        return assemble(programme, placed, pieces, page), placed

    def _changed_only(
        self, programme: Programme, sequences: Mapping[str, int], now: datetime, page: Page, context: str
    ) -> tuple[Documents, list[Placed]] | None:
        """The documents with only the sessions whose record changed rendered, the others' pieces
        taken from the files as last written; None when that cannot be done (no layout, another
        context, a file not exactly as the sink wrote it, a fragment rendered otherwise): the
        caller renders everything."""
        layout = self._load_layout()
        if layout is None or layout.context != context:
            return None
        texts = self._read_written(layout)
        if texts is None:
            return None
        hashes = record_hashes(programme.sessions)
        before = {p.id: p for p in layout.placed}
        changed = [key for key, digest in hashes.items() if (old := before.get(key)) is None or old.digest != digest]
        removed = [key for key in before if key not in hashes]
        skip = set(changed)
        kept = [p for p in layout.placed if p.id in hashes and p.id not in skip]
        pieces = pieces_from(texts, layout, (p.id for p in kept))
        if pieces is None:
            return None
        fragments = self._render_some(programme, changed, removed, sequences, now)
        if fragments is None:
            return None
        added = [place(programme.sessions[key], programme, str(fragments[key]["frab"]["room"]), hashes[key])
                 for key in changed]
        for key in changed:
            pieces[key] = _pieces(fragments[key])
        placed = sorted(kept + added) if added else kept
        return assemble(programme, placed, pieces, page), placed

    def _read_written(self, layout: Layout) -> tuple[bytes, bytes, bytes] | None:
        """The three documents, if each is still exactly what the layout says was written."""
        texts: list[bytes] = []
        for name, file in (("ics", self.config.ics), ("json", self.config.json_name), ("html", self.config.html)):
            try:
                data = (self.folder / file).read_bytes()
            except OSError:
                return None
            if hashlib.sha256(data).hexdigest() != layout.files.get(name):
                return None
            texts.append(data)
        return texts[0], texts[1], texts[2]

    def _load_layout(self) -> Layout | None:
        state = self.ctx.state
        saved = state.load(LAYOUT) if state is not None else self._layout
        return Layout.from_json(saved) if saved else None

    def _save_layout(self, layout: Layout) -> None:
        data = layout.to_json()
        if self.ctx.state is None:
            self._layout = data
        else:
            self.ctx.state.save(LAYOUT, data)

    def _fragment_context(self, programme: Programme) -> dict[str, str]:
        """What each format's fragments are rendered with, besides the session."""
        event, language = programme.event, self.language
        return {"ics": f"{event.id}|{event.timezone}",
                "frab": f"{FRAB_VERSION}|{event.id}|{language}|{event.website}", "html": language}

    def _render(
        self, programme: Programme, sequences: Mapping[str, int], now: datetime
    ) -> dict[str, dict[str, Any]]:
        """Every session's fragments: kept from the cache when its own fields, and what the
        format was rendered with, are unchanged; rendered (and the cache saved) otherwise. A
        VEVENT rendered here is stamped ``now`` (the batch's one reading of the clock)."""
        context = self._fragment_context(programme)
        stored = self.fragments.load()
        buckets: dict[str, dict[str, Any]] = {}
        dirty: set[str] = set()
        stamp = now.astimezone(UTC).replace(microsecond=0)
        result: dict[str, dict[str, Any]] = {}
        for session in programme.sessions.values():
            name = FragmentCache.bucket(session.id)
            old = stored.get(name) or {}
            bucket = buckets.setdefault(name, {"context": context, "entries": {}})
            entry, previous = self._fragment(session, programme, old, context, sequences, stamp)
            if entry != previous or old.get("context") != context:
                dirty.add(name)  # (a bucket of other settings is saved with these, even unchanged)
            bucket["entries"][session.id] = entry
            result[session.id] = entry
        for name in FragmentCache.names():
            old = stored.get(name) or {}
            if set(old.get("entries") or ()) - set((buckets.get(name) or {}).get("entries") or ()):
                dirty.add(name)  # a session removed from the programme
        for name in sorted(dirty):
            self.fragments.save(name, buckets.get(name) or {"context": context, "entries": {}})
        return result

    def _render_some(
        self, programme: Programme, changed: Sequence[str], removed: Sequence[str],
        sequences: Mapping[str, int], now: datetime,
    ) -> dict[str, dict[str, Any]] | None:
        """The fragments of the ``changed`` sessions, reading and saving only their buckets (and
        those of the ``removed``, which leave the cache); None if one of those buckets was
        rendered with other settings (then everything is rendered again)."""
        context = self._fragment_context(programme)
        names = sorted({FragmentCache.bucket(key) for key in [*changed, *removed]})
        stored = self.fragments.load_some(names)
        if any(stored[name].get("entries") and stored[name].get("context") != context for name in names):
            return None
        if isinstance(programme.sessions, SessionView):
            programme.sessions.prefetch(changed)
        stamp = now.astimezone(UTC).replace(microsecond=0)
        result: dict[str, dict[str, Any]] = {}
        buckets = {name: {"context": context, "entries": dict(stored[name].get("entries") or {})} for name in names}
        for key in changed:
            name = FragmentCache.bucket(key)
            entry, _previous = self._fragment(programme.sessions[key], programme, stored[name], context,
                                              sequences, stamp)
            buckets[name]["entries"][key] = entry
            result[key] = entry
        for key in removed:
            buckets[FragmentCache.bucket(key)]["entries"].pop(key, None)
        for name in names:
            if buckets[name] != stored[name]:
                self.fragments.save(name, buckets[name])
        return result

    def _fragment(
        self, session: Session, programme: Programme, old: Mapping[str, Any], context: Mapping[str, str],
        sequences: Mapping[str, int], stamp: datetime,
    ) -> tuple[dict[str, Any], Any]:
        """One session's cache entry (its fragments), and the entry the cache had."""
        event, language = programme.event, self.language
        # A bucket adopted from the old cache file has no context: its VEVENTs and list items
        # were rendered like this (they are kept), its frab events in an older format.
        rendered_with = old.get("context") or {**context, "frab": None}
        projection = super().project(session, programme)
        digest = content_hash(projection)
        previous = (old.get("entries") or {}).get(session.id)
        entry = dict(previous) if isinstance(previous, dict) and previous.get("hash") == digest else {}
        if not entry or rendered_with.get("ics") != context["ics"] or not isinstance(entry.get("ics"), str):
            # The planned op's SEQUENCE; else (its op not due yet) one more than before.
            sequence = sequences.get(session.id, max(0, _sequence(previous) + (0 if entry else 1)))
            entry["ics"] = ics_fragment(projection, event.id, sequence, stamp, event.timezone)
            entry["sequence"] = sequence
        if not entry.get("frab") or rendered_with.get("frab") != context["frab"]:
            entry["frab"] = frab_fragment(projection, event.id, language, event.website)
        if not isinstance(entry.get("html"), str) or rendered_with.get("html") != context["html"]:
            entry["html"] = html_fragment(projection, language)
        entry["hash"] = digest
        return entry, previous

    def _adopt_legacy_cache(self) -> None:
        """Move the fragment cache an earlier version left in the published folder into the
        state store (their SEQUENCEs carry on), and remove it from the folder."""
        path = self.folder / LEGACY_CACHE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            data = {}
        stored = self.fragments.load()
        adopted: dict[str, dict[str, Any]] = {}
        for key, entry in (data.items() if isinstance(data, dict) else ()):
            if not isinstance(entry, dict) or not isinstance(entry.get("hash"), str):
                continue
            name = FragmentCache.bucket(key)
            bucket = adopted.setdefault(name, {"context": None, "entries": {}})
            if key not in ((stored.get(name) or {}).get("entries") or {}):
                bucket["entries"][key] = entry
        for name, bucket in adopted.items():
            old = stored.get(name) or {}
            if old.get("entries"):
                bucket = {**old, "entries": {**bucket["entries"], **old["entries"]}}
            self.fragments.save(name, bucket)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:  # the folder is not writable: the next write says so
            log.warning("cannot remove %s: %s", path, exc.strerror)

    @staticmethod
    def _write(path: Path, data: bytes, same: Callable[[bytes, bytes], bool] | None = None) -> bytes:
        """Replace ``path`` with ``data`` atomically, unless it already holds that; the bytes the
        file then holds."""
        try:
            current = path.read_bytes()
        except OSError:
            current = None
        if current == data:
            return data
        if current is not None and same is not None and same(current, data):
            return current
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return data


def _pieces(entry: Mapping[str, Any]) -> Pieces:
    """A cache entry's fragments as the documents' bytes."""
    return Pieces(entry["ics"].encode(), frab_text(entry["frab"]).encode(), entry["html"].encode())


def _sequence(entry: Any) -> int:
    """The SEQUENCE a cached VEVENT had (-1 when there is none)."""
    value = entry.get("sequence") if isinstance(entry, dict) else None
    return value if isinstance(value, int) else -1
