"""Two-way CalDAV connector: one VEVENT per session in any calendar collection.

Each session is one event at ``<calendar>/<session-id>.ics`` with ``UID`` and ``X-HUB-ID`` derived
from the session id, so a lost state store finds its events again. What the hub writes is a pure
function of the projection (plus ``DTSTAMP`` and ``SEQUENCE``), and :func:`read_event` turns an
event back into the same projection while ignoring what servers and calendar apps rewrite
(``DTSTAMP``, ``LAST-MODIFIED``, ``SEQUENCE``, ``CREATED``, alarms, folding, property order):
that is what keeps the hub from seeing its own writes as edits (see :mod:`connectors.vevent`).

Pulls are incremental: an RFC 6578 sync-token when the server has one (the ``caldav`` library's
silent full-listing fallback is refused with ``disable_fallback`` and its ``fake-`` tokens are
detected), else the collection ctag plus a depth-1 etag listing. An unchanged calendar costs one
request; changed events come back in one ``calendar-multiget`` per 500 events. After writing, one
sync report moves the position past the hub's own writes (:class:`AfterWrites`), so the sync
after a writing one costs one request too. Writes are
conditional (``If-None-Match: *`` to create, ``If-Match`` to update or delete) and a 412 becomes
:class:`PreconditionFailed` so the engine re-pulls instead of overwriting a person's edit.

``caldav`` blocks, so every call runs in a worker thread through :mod:`connectors.calstore`,
whose hooked HTTP session counts each request the server receives under the connector's name.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar, cast

from connectors.caldav_config import CalDAVConfig
from connectors.caldav_probe import AFTER_WRITES as AFTER_WRITES_KEY
from connectors.caldav_probe import CURSOR_VERSION, links_digest
from connectors.calstore import (
    CalendarMissing,
    CalendarStore,
    Listing,
    SyncUnsupported,
    TokenExpired,
)
from connectors.vevent import ReadEvent, event_name, read_event, render_event
from sync.errors import (
    AuthError,
    CapabilityError,
    ConfigError,
    ConnectorError,
    NotFound,
    PermanentError,
    PreconditionFailed,
    TransientError,
)
from sync.i18n import Catalogue, log_texts
from sync.lazy import LinkHead, link_heads
from sync.model import Programme, Session
from sync.protocol import (
    Capability,
    Connector,
    Link,
    Op,
    OpResult,
    PullResult,
    RemoteItem,
    RemoteRef,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

MESSAGES = Catalogue({
    "check.calendar": {
        "fr": "calendrier « {name} » joignable, identifiants acceptés ({mode})",
        "en": "calendar “{name}” reachable, credentials accepted ({mode})",
    },
    "check.rights": {
        "fr": "droits sur le calendrier : {rights}",
        "en": "rights on the calendar: {rights}",
    },
    "check.no_write": {
        "fr": "le compte ne peut pas écrire dans ce calendrier",
        "en": "the account cannot write to this calendar",
    },
    "check.not_calendar": {
        "fr": "{url} n'est pas un calendrier CalDAV (un dossier ou une page ?) : "
        "url doit être l'adresse de la collection du calendrier",
        "en": "{url} is not a CalDAV calendar (a folder or a page?): url must be the calendar collection's address",
    },
    "calendar.missing": {
        "fr": "{what} : pas de calendrier à {url} (le serveur a répondu {status}) ; créez-le dans votre application "
        "d'agenda ou sur le serveur (Radicale : sa page web, « Create a new addressbook or calendar »), "
        "ou mettez dans url l'adresse d'un calendrier existant : celle de sa collection, terminée par « / »",
        "en": "{what}: no calendar at {url} (the server answered {status}); create it in your calendar app or on the "
        "server (Radicale: its web page, “Create a new addressbook or calendar”), or set url to an existing "
        "calendar's address: its collection URL, ending with “/”",
    },
    "mode.sync": {"fr": "jeton de synchronisation RFC 6578", "en": "RFC 6578 sync-token"},
    "mode.ctag": {"fr": "ctag et etags", "en": "ctag and etags"},
    "problem.location": {
        "fr": "{href} : lieu « {location} » inconnu du programme, lieu inchangé",
        "en": "{href}: location “{location}” is not a venue of the programme, venue unchanged",
    },
    "problem.unreadable": {
        "fr": "{href} : événement illisible ({why}), ignoré",
        "en": "{href}: unreadable event ({why}), ignored",
    },
    "why.all-day event": {"fr": "événement sur la journée entière", "en": "all-day event"},
    "why.no start time": {"fr": "pas d'heure de début", "en": "no start time"},
    "problem.duplicate": {
        "fr": "{href} : un autre événement porte déjà l'identifiant {key}, ignoré",
        "en": "{href}: another event already carries the id {key}, ignored",
    },
})


say = MESSAGES.say
LOG_TEXTS = log_texts({
    "%s: the server refused writes side by side; one at a time from now on":
        "%s : le serveur a refusé des écritures simultanées ; une à la fois désormais",
})


# --- the connector ------------------------------------------------------------------------

#: Writes a batch sends at once unless the section says (``writes_in_flight``). One: it is the
#: only number every server takes. Xandikos refuses a write while another holds its repository
#: (423 Locked); with more in flight such a server is then written one at a time
#: (:meth:`CalendarConnector._apply_in_flight`), at the cost of the refused request in each
#: process. Radicale writes one request at a time, but two in flight keep it from waiting for
#: the client between two writes (its share of each, and on a busy machine its wait for a
#: processor): worth setting for a Radicale on a shared host.
WRITES_IN_FLIGHT = 1
#: Writes one worker thread sends in a row when they go one at a time (the events of the next
#: ones are made meanwhile); a cancelled sync lets at most the write in progress finish.
WRITES_PER_TURN = 50
#: What a write may end in and still leave the others to do (:meth:`Connector.apply`).
OP_ERRORS = (PermanentError, CapabilityError, PreconditionFailed)
#: The store a write in flight goes through (set per write by :meth:`CalendarConnector.apply`).
_LANE: contextvars.ContextVar[CalendarStore | None] = contextvars.ContextVar("caldav_lane", default=None)
_COUNTING = threading.Lock()


@dataclass
class Cursor:
    """Where the last pull stopped: the sync-token or the ctag, plus events that are not ours.

    ``foreign`` (href -> etag) remembers events without ``X-HUB-ID`` so they are not fetched
    again until they change. ``linked`` is a digest of the linked hrefs the last pull accounted
    for: events the hub created after that pull are not covered by its token (a server may
    forget an object created and deleted since a token), so when the links differ the next pull
    also lists the collection once to see which of them still exist (unless the sync report
    read after the writes, :class:`AfterWrites`, already covers them).
    """

    mode: Literal["sync", "ctag"] = "sync"
    token: str | None = None
    ctag: str | None = None
    foreign: dict[str, str | None] = field(default_factory=dict)
    linked: str | None = None

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            raw = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(raw, dict) or raw.get("v") != CURSOR_VERSION:
            return cls()
        return cls(
            raw.get("mode", "sync"),
            raw.get("token"),
            raw.get("ctag"),
            dict(raw.get("foreign") or {}),
            raw.get("linked"),
        )

    def encode(self) -> str:
        data = {
            "v": CURSOR_VERSION,
            "mode": self.mode,
            "token": self.token,
            "ctag": self.ctag,
            "foreign": self.foreign,
            "linked": self.linked,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


@dataclass
class _Write:
    """One op as :meth:`CalendarConnector._apply_in_turn` sends it: ``send`` makes the request on
    a store (None: nothing to send), ``ready`` is an outcome known without a request."""

    key: str
    what: str
    href: str  # "" when there is none
    creates: bool = False
    deletes: bool = False
    send: Callable[[CalendarStore], Any] | None = None
    ready: BaseException | None = None


@dataclass
class Batch:
    """What one ``apply`` did to the calendar."""

    written: dict[str, str | None] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)


@dataclass
class AfterWrites:
    """Where the calendar stands after the hub's writes that followed the pull ending at ``since``.

    ``cursor`` is that pull's cursor moved past the writes (a sync report read right after them),
    with the written events counted as linked; ``changed`` and ``deleted`` are what that report
    showed besides the hub's own writes (and the events a create found already there), for the
    next pull to fetch or report. The next pull starts from here only when it is given ``since``,
    i.e. when the engine recorded that pull.
    """

    since: str
    cursor: str
    changed: dict[str, str | None] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> AfterWrites | None:
        if not raw or not isinstance(raw.get("since"), str) or not isinstance(raw.get("cursor"), str):
            return None
        return cls(raw["since"], raw["cursor"], dict(raw.get("changed") or {}), set(raw.get("deleted") or ()))

    def dump(self) -> dict[str, Any]:
        return {"since": self.since, "cursor": self.cursor, "changed": self.changed, "deleted": sorted(self.deleted)}

    def merge_into(self, listing: Listing) -> None:
        """Add what happened between the pull and the writes to what happened since."""
        for href, etag in self.changed.items():
            if not listing.full and href not in listing.changed and href not in listing.deleted:
                listing.changed[href] = etag
        if not listing.full:
            listing.deleted |= {href for href in self.deleted if href not in listing.changed}


class CalendarConnector(Connector[Any]):
    """The calendar logic shared by the ``caldav`` and ``nextcloud`` types.

    Subclasses say where the calendar is (:meth:`calendar_url`) and with which credentials.
    """

    capabilities: ClassVar[Capability] = Capability.READ | Capability.WRITE | Capability.DELETE
    #: Try RFC 6578 first; tests turn it off to exercise the ctag path on servers that have both.
    use_sync_token: ClassVar[bool] = True
    #: Where :class:`AfterWrites` is kept between runs (``ctx.state``).
    AFTER_WRITES: ClassVar[str] = AFTER_WRITES_KEY
    _store: CalendarStore | None = None
    #: The cursor the last pull returned, its decoded state and the linked hrefs it accounts for.
    _pulled: tuple[str, Cursor, frozenset[str]] | None = None
    #: What this connector wrote since its last pull (kept across runs in ``ctx.state`` too).
    _after: AfterWrites | None = None
    #: Writes of the batch being applied: href -> etag PUT, hrefs deleted, creates refused (412).
    _batch: Batch | None = None
    #: The stores of the writes in flight beside :attr:`store` (made on the first large batch).
    _extra: list[CalendarStore] | None = None
    #: The server refused writes side by side (:meth:`_apply_in_flight`).
    _one_at_a_time: bool = False

    def calendar_url(self) -> str:
        raise NotImplementedError

    def credentials(self) -> tuple[str | None, str | None]:
        raise NotImplementedError

    @property
    def store(self) -> CalendarStore:
        if self._store is None:
            self._store = self._new_store()
        return self._store

    def _new_store(self) -> CalendarStore:
        username, password = self.credentials()
        return CalendarStore(
            self.calendar_url(),
            username,
            password,
            verify=self.config.verify,
            timeout=self.timeout,
            on_response=self._count,
            connector=self.name,
            lang=self.ctx.language,
        )

    def _count(self, method: str, status: int) -> None:
        """One answer counted; the writers' threads answer at once, so under a lock."""
        with _COUNTING:
            self.ctx.counter.add(self.name, 1, method, status)

    @property
    def writes_in_flight(self) -> int:
        """Writes sent at once in one batch (the section's ``writes_in_flight``), one once the
        server refused writes side by side."""
        if self._one_at_a_time:
            return 1
        value = getattr(self.config, "writes_in_flight", None)
        return max(1, int(value)) if value else WRITES_IN_FLIGHT

    def _lanes(self, count: int) -> list[CalendarStore]:
        """``count`` stores, each with its own connection: one per write in flight."""
        if self._extra is None:
            self._extra = []
        while len(self._extra) < count - 1:
            self._extra.append(self._new_store())
        return [self.store, *self._extra[: count - 1]]

    async def close(self) -> None:
        for store in [self._store, *(self._extra or ())]:
            if store is not None:
                await asyncio.to_thread(store.close)

    async def _run(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store call in a thread, mapping what the server or the libraries raise
        to the error tree (:meth:`CalendarStore.call`). Anything else is a bug: it propagates,
        traceback and all. A calendar that is not there says how to make it."""
        store = _LANE.get() or self.store
        try:
            return await asyncio.to_thread(store.call, what, fn, *args)
        except CalendarMissing as exc:
            raise NotFound(await self.missing_calendar(what, exc), connector=self.name) from None

    async def missing_calendar(self, what: str, error: CalendarMissing) -> str:
        """What to do when the calendar collection is not on the server."""
        return say("calendar.missing", self.ctx.language, what=what, url=error.url, status=error.status)

    # check --------------------------------------------------------------------------------
    async def check(self) -> list[str]:
        lang = self.ctx.language
        props = await self._run("calendar", self.store.properties)
        if not props["calendar"]:
            raise ConfigError(say("check.not_calendar", lang, url=self.store.path))
        try:
            await self._run("sync-token", self.store.sync, None)
            mode = say("mode.sync", lang)
        except (TokenExpired, SyncUnsupported):
            mode = say("mode.ctag", lang)
        proved = [say("check.calendar", lang, name=props["displayname"], mode=mode)]
        rights = props["privileges"]
        if rights:
            if not {"write", "write-content", "all"} & set(rights):
                raise AuthError(say("check.no_write", lang), connector=self.name)
            proved.append(say("check.rights", lang, rights=", ".join(rights)))
        return proved

    # pull ---------------------------------------------------------------------------------
    async def pull(self, cursor: str | None, links: Mapping[str, Link], programme: Programme) -> PullResult:
        """Changes since ``cursor``; without a cursor, the whole calendar (``complete``)."""
        state = Cursor.decode(cursor)
        everything = cursor is None
        after = self._after_writes(cursor)
        if after is not None:
            state = Cursor.decode(after.cursor)  # the position after the hub's own writes
        listing: Listing | None = None
        if self.use_sync_token and state.mode == "sync":
            try:
                listing = await self._run("sync", self.store.sync, state.token)
            except TokenExpired:
                listing = await self._run("sync", self.store.sync, None)
            except SyncUnsupported:
                state = Cursor(mode="ctag", foreign=state.foreign)
        if listing is None:
            state.mode = "ctag"
            ctag = await self._run("ctag", self.store.ctag)
            if ctag is not None and ctag == state.ctag and not (after is not None and (after.changed or after.deleted)):
                return PullResult(cursor=state.encode())
            etags = await self._run("listing", self.store.etags)
            listing = Listing(changed=etags, token=ctag, full=True)
        if after is not None:
            after.merge_into(listing)
        # Where each linked event is and its version: read without decoding the links' bases.
        heads = link_heads(links)
        linked = {head.remote_id for head in heads.values() if head.remote_id}
        if not listing.full and not everything and state.linked != links_digest(linked):
            present = await self._run("listing", self.store.etags)
            listing.deleted |= linked - set(present)
        return await self._collect(listing, state, links, heads, programme, everything)

    async def _collect(
        self,
        listing: Listing,
        state: Cursor,
        links: Mapping[str, Link],
        heads: Mapping[str, LinkHead],
        programme: Programme,
        everything: bool,
    ) -> PullResult:
        # href -> (key, version) of every linked event
        by_href = {head.remote_id: (key, head.remote_version) for key, head in heads.items() if head.remote_id}
        result = PullResult(complete=everything)
        if listing.full:
            # A full listing also says what vanished: linked events it does not name.
            listing.deleted |= {href for href in by_href if href not in listing.changed}
            state.foreign = {h: e for h, e in state.foreign.items() if h in listing.changed}
        fetch = [
            href
            for href, etag in sorted(listing.changed.items())
            if everything
            or etag is None
            or not ((href in by_href and by_href[href][1] == etag) or state.foreign.get(href) == etag)
        ]
        fetched = await self._run("multiget", self.store.multiget, fetch) if fetch else []
        seen: dict[str, str] = {}
        lang = self.ctx.language
        for href, data, etag in fetched:
            try:
                event = read_event(data, programme)
            except (ValueError, KeyError, TypeError) as exc:
                why = str(exc)
                why = say(f"why.{why}", lang) if f"why.{why}" in MESSAGES else why
                result.problems.append(say("problem.unreadable", lang, href=href, why=why))
                result.complete = False  # present but unread: its session has not vanished
                state.foreign[href] = etag
                continue
            key = event.key
            if key is None:
                state.foreign[href] = etag
                continue
            state.foreign.pop(href, None)
            linked = links.get(key)
            if key in seen or (
                linked is not None and linked.remote_id not in (None, href) and linked.remote_id not in listing.deleted
            ):
                result.problems.append(say("problem.duplicate", lang, href=href, key=key))
                continue
            seen[key] = href
            if event.unknown_location:
                result.problems.append(say("problem.location", lang, href=href, location=event.unknown_location))
            result.items.append(RemoteItem(key, self.read_fields(event), href, etag))
        for href in sorted(listing.deleted):
            state.foreign.pop(href, None)
            known = by_href.get(href)
            if known is not None and known[0] not in seen:
                result.deleted.append(known[0])
        gone = set(listing.deleted)
        accounted = frozenset({h for h in by_href if h not in gone} | {item.remote_id for item in result.items})
        state.linked = links_digest(accounted)
        if state.mode == "sync":
            state.token = listing.token
        else:
            state.ctag = listing.token
        result.cursor = state.encode()
        self._pulled = (result.cursor, state, accounted)
        self._after = None
        return result

    def _after_writes(self, cursor: str | None) -> AfterWrites | None:
        """What the hub wrote after the pull that returned ``cursor``, if that is where this pull
        starts (the engine stored that cursor): its token already covers the hub's own writes."""
        if cursor is None:
            return None
        after = self._after
        if after is None and self.ctx.state is not None:
            after = AfterWrites.load(self.ctx.state.load(self.AFTER_WRITES))
        return after if after is not None and after.since == cursor else None

    def project(self, session: Session, programme: Programme) -> dict[str, Any]:
        """The default projection with text trimmed as calendar apps and servers trim it."""
        projection = super().project(session, programme)
        for name, value in projection.items():
            if isinstance(value, str) and name not in ("start", "end"):
                projection[name] = value.strip()
            elif isinstance(value, list):
                projection[name] = [v.strip() if isinstance(v, str) else v for v in value]
                projection[name] = [v for v in projection[name] if v != ""]
        return projection

    def read_fields(self, event: ReadEvent) -> dict[str, Any]:
        """The projection of an event read back (subclasses add what they project beyond it)."""
        return event.fields

    # writes -------------------------------------------------------------------------------
    async def upsert(self, op: Op, programme: Programme) -> RemoteRef:
        if op.projection is None:
            raise PermanentError(f"no projection for {op.key}", connector=self.name)
        link = op.link
        update = op.action == "update" and link is not None and link.remote_id is not None
        store = _LANE.get() or self.store
        href = (
            link.remote_id if update and link is not None and link.remote_id else store.path + event_name(op.key)
        )
        body = render_event(op.projection, op.key, programme, op.sequence)
        try:
            etag = await self._run(
                f"write {op.key}",
                lambda: store.put(
                    href,
                    body,
                    if_match=link.remote_version if update and link else None,
                    create=not update,
                ),
            )
        except PreconditionFailed:
            if not update and self._batch is not None:
                # An event is already there (a lost state store, another hub's run): the next
                # pull reads it back, and the engine adopts it or updates it conditionally.
                self._batch.refused.add(href)
            raise
        if self._batch is not None:
            self._batch.written[href] = etag
        return RemoteRef(href, etag)

    async def remove(self, op: Op) -> None:
        link = op.link
        if link is None or link.remote_id is None:
            return
        href = link.remote_id
        store = _LANE.get() or self.store
        await self._run(f"delete {op.key}", lambda: store.delete(href, link.remote_version))
        if self._batch is not None:
            self._batch.removed.add(href)

    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        """The writes, then where they leave the calendar, so that the next pull costs one
        request: one sync report since the last pull, whose changes not made by these writes
        (a person's edit meanwhile) are kept for the next pull to fetch."""
        self._batch = Batch()
        try:
            return await self._apply_in_flight(ops, programme)
        finally:
            batch, self._batch = self._batch, None
            if batch.written or batch.removed or batch.refused:
                await self._record_writes(batch)

    async def _apply_in_flight(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        """The ops, :attr:`writes_in_flight` of them at a time, each on its own connection; the
        results in the ops' order. An error that concerns the whole connector (credentials)
        starts no further write, lets those in flight end, and is raised.

        A server that refuses a write while another is in progress (Xandikos: 423 Locked) or
        fails one for a while: no further write starts side by side, and the writes that failed
        or had not started are made one at a time (so a server that is really down fails the
        batch on the first of them, as one at a time would). The connector then writes one at a
        time to that server for as long as it lives."""
        count = min(self.writes_in_flight, len(ops))
        if count <= 1:
            return await self._apply_one_by_one(ops, programme)
        lanes: asyncio.Queue[CalendarStore] = asyncio.Queue()
        for store in self._lanes(count):
            lanes.put_nowait(store)
        failure: list[BaseException] = []
        crowded: list[int] = []  # ops to make again, one at a time

        async def one(index: int, op: Op) -> OpResult | None:
            store = await lanes.get()
            try:
                if failure:
                    raise failure[0]
                if crowded:
                    crowded.append(index)  # not started
                    return None
                token = _LANE.set(store)
                try:
                    [result] = await Connector.apply(self, [op], programme)
                finally:
                    _LANE.reset(token)
                return result
            except TransientError:
                if failure:
                    raise
                crowded.append(index)  # not made (or made: its precondition then says so)
                return None
            except BaseException as exc:
                if not failure:
                    failure.append(exc)
                raise
            finally:
                lanes.put_nowait(store)

        results = await asyncio.gather(*(one(i, op) for i, op in enumerate(ops)), return_exceptions=True)
        if failure:
            raise failure[0]
        if crowded:
            self._one_at_a_time = True
            log.info("%s: the server refused writes side by side; one at a time from now on", self.name)
            again = sorted(crowded)
            made = await self._apply_one_by_one([ops[i] for i in again], programme)
            for index, result in zip(again, made, strict=True):
                results[index] = result
        return cast(list[OpResult], results)  # nothing raised: each is the op's own result

    async def _apply_one_by_one(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        """The ops one at a time: in turn (:meth:`_apply_in_turn`), or through :meth:`upsert` and
        :meth:`remove` for a type that decides some writes itself (Nextcloud's, which skips an
        update its event already says)."""
        if type(self).upsert is not CalendarConnector.upsert or type(self).remove is not CalendarConnector.remove:
            return await Connector.apply(self, ops, programme)
        return await self._apply_in_turn(ops, programme)

    async def _apply_in_turn(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        """The ops one at a time, back to back: a worker thread sends a slice of them in a row
        (no trip through the event loop between two writes) while the next slice's events are
        made here. Each op's outcome is what :meth:`upsert` or :meth:`remove` would give; an
        error that concerns the whole connector starts no further write and is raised."""
        batch = self._batch
        results: list[OpResult] = []
        slices = [ops[i : i + WRITES_PER_TURN] for i in range(0, len(ops), WRITES_PER_TURN)]
        stop = threading.Event()
        prepared = self._prepared(slices[0], programme) if slices else []
        for number in range(len(slices)):
            sending = asyncio.ensure_future(asyncio.to_thread(self._send_in_turn, prepared, stop))
            try:
                upcoming = self._prepared(slices[number + 1], programme) if number + 1 < len(slices) else []
                outcomes = await sending
            except BaseException:
                stop.set()  # cancelled (or a bug here): the thread starts no further write
                raise
            for write, outcome in zip(prepared, outcomes, strict=False):
                if isinstance(outcome, CalendarMissing):
                    outcome = NotFound(await self.missing_calendar(write.what, outcome), connector=self.name)
                if isinstance(outcome, BaseException):
                    if isinstance(outcome, PreconditionFailed) and write.creates and batch is not None:
                        # An event is already there (see upsert): the next pull reads it back.
                        batch.refused.add(write.href)
                    if not isinstance(outcome, OP_ERRORS):
                        raise outcome
                    results.append(outcome)
                elif write.deletes:
                    if batch is not None and write.send is not None:
                        batch.removed.add(write.href)
                    results.append(RemoteRef(write.href or write.key))
                else:
                    if batch is not None and write.send is not None:
                        batch.written[write.href] = outcome
                    results.append(RemoteRef(write.href, outcome))
            prepared = upcoming
        return results

    def _prepared(self, ops: Sequence[Op], programme: Programme) -> list[_Write]:
        """The ops' writes, up to the first that cannot be made (a bug: raised when its turn
        comes, after the writes before it, as :meth:`upsert` would raise it)."""
        writes: list[_Write] = []
        for op in ops:
            try:
                writes.append(self._prepare(op, programme))
            except Exception as exc:
                writes.append(_Write(op.key, f"write {op.key}", "", ready=exc))
                break
        return writes

    def _prepare(self, op: Op, programme: Programme) -> _Write:
        """What :meth:`upsert` or :meth:`remove` would send for ``op`` (nothing when there is
        nothing to send: a delete of an item never written, an op without a projection)."""
        link = op.link
        if op.action == "delete":
            href = link.remote_id if link is not None else None
            if href is None:
                return _Write(op.key, f"delete {op.key}", "", deletes=True)
            version = link.remote_version if link is not None else None
            return _Write(op.key, f"delete {op.key}", href, deletes=True,
                          send=lambda store: store.delete(href, version))
        if op.projection is None:
            return _Write(op.key, f"write {op.key}", "",
                          ready=PermanentError(f"no projection for {op.key}", connector=self.name))
        update = op.action == "update" and link is not None and link.remote_id is not None
        target = (
            link.remote_id if update and link is not None and link.remote_id else self.store.path + event_name(op.key)
        )
        body = render_event(op.projection, op.key, programme, op.sequence)
        if_match = link.remote_version if update and link else None
        return _Write(op.key, f"write {op.key}", target, creates=not update,
                      send=lambda store: store.put(target, body, if_match=if_match, create=not update))

    def _send_in_turn(self, writes: Sequence[_Write], stop: threading.Event) -> list[Any]:
        """In a worker thread: each write's etag (None for a delete) or what it raised, in
        order, up to the first error that concerns the whole connector (or a bug)."""
        store = self.store
        outcomes: list[Any] = []
        for write in writes:
            outcome: Any = write.ready
            if write.send is not None:
                if stop.is_set():
                    break
                try:
                    outcome = store.call(write.what, write.send, store)
                except BaseException as exc:  # the event loop's side records it or raises it
                    outcome = exc
            outcomes.append(outcome)
            if isinstance(outcome, BaseException) and not isinstance(outcome, OP_ERRORS):
                break
        return outcomes

    async def _record_writes(self, batch: Batch) -> None:
        pulled = self._pulled
        if pulled is None:
            return
        since, state, accounted = pulled
        if not (batch.removed or batch.refused) and accounted.issuperset(batch.written):
            # Updates only: the next pull's report, from wherever this one stands, shows them
            # with the etags their links now hold (so nothing is fetched) and anything a person
            # changed besides. A report here would cost what that one costs (Radicale reads every
            # event for either) and save nothing: only creates and deletes need the position moved
            # past them (a server may forget an object created and deleted since a token).
            return
        after = self._after or AfterWrites(since, state.encode())
        position = Cursor.decode(after.cursor)
        for href in batch.refused:
            after.changed.setdefault(href, None)  # read back by the next pull
        listing: Listing | None = None
        if (batch.written or batch.removed) and self.use_sync_token and position.mode == "sync" and position.token:
            try:
                listing = await self._run("sync", self.store.sync, position.token)
            except (TokenExpired, SyncUnsupported, ConnectorError) as exc:
                # Not moved: the next pull lists the calendar once to confirm the writes.
                log.info("%s: position after writing not read (%s)", self.name, exc)
                listing = None
        if listing is not None:
            for href, etag in listing.changed.items():
                if etag is not None and batch.written.get(href) == etag:
                    # Exactly what the hub wrote: kept with its etag, so the next pull passes
                    # over it once the engine recorded the write (the link holds that etag), and
                    # reads it back when the process stopped first (the link holds the old one).
                    after.changed[href] = etag
                    continue
                after.changed[href] = etag  # changed by someone else too: fetched next time
                after.deleted.discard(href)
            for href in listing.deleted:
                after.changed.pop(href, None)
                if href not in batch.removed:
                    after.deleted.add(href)
            accounted = (accounted - batch.removed) | frozenset(batch.written)
            position.token = listing.token
            position.linked = links_digest(accounted)
            after.cursor = position.encode()
            self._pulled = (since, position, accounted)
        self._after = after
        self._save_after(after)

    def _save_after(self, after: AfterWrites | None) -> None:
        if self.ctx.state is not None:
            self.ctx.state.save(self.AFTER_WRITES, after.dump() if after is not None else {})


class CalDAVConnector(CalendarConnector):
    """``type = "caldav"``: a calendar collection on any CalDAV server (Radicale, Xandikos...)."""

    type = "caldav"
    config_model = CalDAVConfig
    config: CalDAVConfig

    def calendar_url(self) -> str:
        return self.config.url

    def credentials(self) -> tuple[str | None, str | None]:
        return self.config.username, self.secret("password")
