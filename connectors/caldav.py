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
request; changed events come back in one ``calendar-multiget`` per 500 events. Writes are
conditional (``If-None-Match: *`` to create, ``If-Match`` to update or delete) and a 412 becomes
:class:`PreconditionFailed` so the engine re-pulls instead of overwriting a person's edit.

``caldav`` blocks, so every call runs in a worker thread through :mod:`connectors.calstore`,
whose hooked HTTP session counts each request the server receives under the connector's name.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import SecretStr

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
    ConfigError,
    NotFound,
    PermanentError,
)
from sync.i18n import Catalogue
from sync.model import Programme, Session
from sync.protocol import (
    Capability,
    Connector,
    ConnectorConfig,
    Link,
    Op,
    PullResult,
    RemoteItem,
    RemoteRef,
)

T = TypeVar("T")

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


class CalDAVConfig(ConnectorConfig):
    """``[connectors.<name>]`` with ``type = "caldav"``: one calendar collection."""

    type: Literal["caldav"] = "caldav"
    url: str
    username: str | None = None
    password: SecretStr | None = None
    password_file: str | None = None
    verify: bool | str = True  # or the path of a CA bundle (self-signed servers)
    timeout: float = 30.0


# --- the connector ------------------------------------------------------------------------

CURSOR_VERSION = 1


@dataclass
class Cursor:
    """Where the last pull stopped: the sync-token or the ctag, plus events that are not ours.

    ``foreign`` (href -> etag) remembers events without ``X-HUB-ID`` so they are not fetched
    again until they change. ``linked`` is a digest of the linked hrefs the last pull accounted
    for: events the hub created after that pull are not covered by its token (a server may
    forget an object created and deleted since a token), so when the links differ the next pull
    also lists the collection once to see which of them still exist.
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


def links_digest(hrefs: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(hrefs)).encode()).hexdigest()


class CalendarConnector(Connector[Any]):
    """The calendar logic shared by the ``caldav`` and ``nextcloud`` types.

    Subclasses say where the calendar is (:meth:`calendar_url`) and with which credentials.
    """

    capabilities: ClassVar[Capability] = Capability.READ | Capability.WRITE | Capability.DELETE
    #: Try RFC 6578 first; tests turn it off to exercise the ctag path on servers that have both.
    use_sync_token: ClassVar[bool] = True
    _store: CalendarStore | None = None

    def calendar_url(self) -> str:
        raise NotImplementedError

    def credentials(self) -> tuple[str | None, str | None]:
        raise NotImplementedError

    @property
    def store(self) -> CalendarStore:
        if self._store is None:
            username, password = self.credentials()
            self._store = CalendarStore(
                self.calendar_url(),
                username,
                password,
                verify=self.config.verify,
                timeout=self.config.timeout,
                on_response=lambda method, status: self.ctx.counter.add(self.name, 1, method, status),
                connector=self.name,
                lang=self.ctx.language,
            )
        return self._store

    async def close(self) -> None:
        if self._store is not None:
            await asyncio.to_thread(self._store.close)

    async def _run(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store call in a thread, mapping what the server or the libraries raise
        to the error tree (:meth:`CalendarStore.call`). Anything else is a bug: it propagates,
        traceback and all. A calendar that is not there says how to make it."""
        store = self.store
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
            if ctag is not None and ctag == state.ctag:
                return PullResult(cursor=state.encode())
            etags = await self._run("listing", self.store.etags)
            listing = Listing(changed=etags, token=ctag, full=True)
        linked = {link.remote_id for link in links.values() if link.remote_id}
        if not listing.full and not everything and state.linked != links_digest(linked):
            present = await self._run("listing", self.store.etags)
            listing.deleted |= linked - set(present)
        return await self._collect(listing, state, links, programme, everything)

    async def _collect(
        self,
        listing: Listing,
        state: Cursor,
        links: Mapping[str, Link],
        programme: Programme,
        everything: bool,
    ) -> PullResult:
        by_href = {link.remote_id: link for link in links.values() if link.remote_id}
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
            or not ((href in by_href and by_href[href].remote_version == etag) or state.foreign.get(href) == etag)
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
            link = by_href.get(href)
            if link is not None and link.key not in seen:
                result.deleted.append(link.key)
        gone = set(listing.deleted)
        state.linked = links_digest({h for h in by_href if h not in gone} | {item.remote_id for item in result.items})
        if state.mode == "sync":
            state.token = listing.token
        else:
            state.ctag = listing.token
        result.cursor = state.encode()
        return result

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
        href = (
            link.remote_id if update and link is not None and link.remote_id else self.store.path + event_name(op.key)
        )
        body = render_event(op.projection, op.key, programme, op.sequence)
        etag = await self._run(
            f"write {op.key}",
            lambda: self.store.put(
                href,
                body,
                if_match=link.remote_version if update and link else None,
                create=not update,
            ),
        )
        return RemoteRef(href, etag)

    async def remove(self, op: Op) -> None:
        link = op.link
        if link is None or link.remote_id is None:
            return
        href = link.remote_id
        await self._run(f"delete {op.key}", lambda: self.store.delete(href, link.remote_version))


class CalDAVConnector(CalendarConnector):
    """``type = "caldav"``: a calendar collection on any CalDAV server (Radicale, Xandikos...)."""

    type = "caldav"
    config_model = CalDAVConfig
    config: CalDAVConfig

    def calendar_url(self) -> str:
        return self.config.url

    def credentials(self) -> tuple[str | None, str | None]:
        return self.config.username, self.secret("password")
