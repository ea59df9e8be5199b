"""HumHub: sessions as calendar entries of one space, announcements as posts in it.

**Calendar.** One entry per session (:mod:`connectors.humhub.entries`), created, updated in place
(``PUT calendar/entry/<id>``), its title marked when the session is cancelled, removed only when
the programme removes the session. The engine keeps each entry's id as the session's
``remote_id``; the entry's description also names the session, so a create that finds the
session's entry already there (a run that died after creating it, a lost state store) updates it
instead of adding a second one. A 404 on an update (the entry deleted meanwhile) creates it again.

**Incremental pulls.** The calendar module's listing has no ``orderBy`` and no
``dateUpdatedFrom``; the REST module's generic ``content/find-by-container/<container>`` has
both. So a pull first asks for the space's most recently updated content
(``orderBy=lastUpdate&limit=20``): the total count of contents and the ids, times and authors
of the latest updated ones are the space's fingerprint (several contents may share the last
second, so not only the first). Unchanged, the pull ends there: **one request**. Changed (an
entry edited, added or deleted, or anything else in the space: a post, a comment's edit), the
space's calendar is listed, 100 entries a request, and returned whole (``complete``). The
fingerprint is read before the listing, so a change made during it shows next time.

**Posts.** One post per sending of an announcement (per outbox entry), with a marker line naming
it; before creating one, the connector looks for it (by the post id it noted, else among the
space's latest posts), so a retry after a crash finds the post instead of publishing it twice,
and a sending whose text changed since (a correction of the same batch) edits that post.

Errors are the hub's (:mod:`connectors.humhub.api`); the space is resolved once from its URL
name, guid or display name to its ``contentcontainer_id`` (which is not its id) and remembered.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.humhub.api import HumHubAPI
from connectors.humhub.config import HUMHUB_FIELDS, HumHubConfig
from connectors.humhub.entries import (
    Stored,
    entry_body,
    marked_name,
    marker,
    read_entry,
    read_title,
)
from connectors.humhub.messages import say
from sync import i18n
from sync.announce import Announcement
from sync.errors import (
    CapabilityError,
    ConfigError,
    NotFound,
    PermanentError,
    PreconditionFailed,
)
from sync.model import Programme, Session
from sync.protocol import (
    Capability,
    Connector,
    ConnectorContext,
    Link,
    Op,
    OpResult,
    PullResult,
    RemoteItem,
    RemoteRef,
)

log = logging.getLogger(__name__)

NEWS_TARGET = "space"
CURSOR_VERSION = 1
#: How much of the occurrence (a hex digest) a post's marker carries: enough to tell sendings apart.
OCCURRENCE_CHARS = 16
#: Contents the change probe reads: the latest updated, enough to cover those sharing their second.
PROBE = 20
#: Latest posts searched for a marker before publishing (a retry comes soon after the sending).
POST_LOOKUP = 50
#: Post ids remembered per sending (ctx.state), newest kept.
POSTS_KEPT = 200
SPACE_STATE = "space"
POSTS_STATE = "posts"


@dataclass(frozen=True)
class SpaceRef:
    id: int
    container: int
    name: str


class HumHubConnector(Connector[HumHubConfig]):
    type = "humhub"
    capabilities: ClassVar[Capability] = (
        Capability.READ | Capability.WRITE | Capability.DELETE | Capability.ANNOUNCE
    )
    config_model = HumHubConfig
    #: What an entry shows of a session (and reads back); hosts, links, track, format, kind and
    #: capacity have no field of their own in the calendar module.
    fields: ClassVar[tuple[str, ...]] = HUMHUB_FIELDS

    def __init__(self, name: str, config: HumHubConfig, ctx: ConnectorContext) -> None:
        super().__init__(name, config, ctx)
        self._api: HumHubAPI | None = None
        self._space: SpaceRef | None = None

    # plumbing ---------------------------------------------------------------------------
    @property
    def api(self) -> HumHubAPI:
        if self._api is None:
            auth = self.config.effective_auth
            token = self.secret("token") if auth == "bearer" else None
            password = self.secret("password") if auth != "bearer" else None
            if auth == "bearer" and not token:
                raise ConfigError(f"connectors.{self.name}: set token or token_file")
            if auth != "bearer" and not password:
                raise ConfigError(f"connectors.{self.name}: set password or password_file")
            self._api = HumHubAPI(
                self.ctx.http, self.config.url, auth=auth, token=token, username=self.config.username,
                password=password, connector=self.name, lang=self.lang, timeout=self.timeout,
            )
        return self._api

    def server_zone(self, programme: Programme) -> ZoneInfo:
        name = self.config.server_timezone or programme.event.timezone
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"connectors.{self.name}.server_timezone: unknown time zone '{name}'") from None

    async def space(self) -> SpaceRef:
        """The configured space, resolved once (and remembered between runs: it is no secret)."""
        if self._space is not None:
            return self._space
        wanted = self.config.space.strip()
        if self.ctx.state is not None:
            saved = self.ctx.state.load(SPACE_STATE)
            if saved.get("wanted") == wanted and saved.get("container"):
                self._space = SpaceRef(int(saved["id"]), int(saved["container"]), str(saved.get("name", "")))
                return self._space
        spaces = await self.api.pages("space/", "list the spaces")

        def url_name(space: Mapping[str, Any]) -> str:
            parts = [p for p in urlsplit(str(space.get("url") or "")).path.split("/") if p]
            return parts[1] if len(parts) >= 2 and parts[0] == "s" else ""

        found = [s for s in spaces if s.get("guid") == wanted or url_name(s) == wanted]
        if not found:
            found = [s for s in spaces if str(s.get("name", "")).casefold() == wanted.casefold()]
        if len(found) > 1:
            names = ", ".join(sorted(url_name(s) for s in found))
            raise ConfigError(say("space.ambiguous", self.lang, space=wanted, url=self.config.url, names=names))
        if not found:
            raise ConfigError(say("space.missing", self.lang, space=wanted, url=self.config.url))
        space = found[0]
        self._space = SpaceRef(int(space["id"]), int(space["contentcontainer_id"]), str(space.get("name", "")))
        if self.ctx.state is not None:
            self.ctx.state.save(SPACE_STATE, {"wanted": wanted, "id": self._space.id,
                                              "container": self._space.container, "name": self._space.name})
        return self._space

    async def close(self) -> None:
        self._api = None

    # check ------------------------------------------------------------------------------
    async def check(self) -> list[str]:
        """The credentials, the space, the cheap listing, and the rights to post and to write
        the calendar, each proved by a request that changes nothing."""
        api = self.api
        user = await api.call("GET", "auth/current", "who am I")
        account = user.get("account") or {}
        proved = [say("check.user", self.lang, url=self.config.url,
                      user=account.get("username") or user.get("display_name") or "?",
                      auth=say(f"auth.{self.config.effective_auth}", self.lang))]
        space = await self.space()
        data = await api.call("GET", f"space/{space.id}", "view the space", right="right.space")
        proved.append(say("check.space", self.lang, name=data.get("name", space.name), id=space.id,
                          container=space.container))
        await self._fingerprint(space)
        proved.append(say("check.listing", self.lang))
        if self.config.news:
            await self._expect_refusal("POST", f"post/container/{space.container}", {"data": {"message": ""}},
                                       400, "right.post", "post in the space")
            proved.append(say("check.post", self.lang))
        probe = {"CalendarEntry": {"title": ""},
                 "CalendarEntryForm": {"start_date": "2000-01-01", "start_time": "10:00",
                                       "end_date": "2000-01-01", "end_time": "11:00", "timeZone": "UTC"}}
        await self._expect_refusal("POST", f"calendar/container/{space.container}", probe, 422,
                                   "right.calendar_create", "write the space's calendar")
        proved.append(say("check.calendar", self.lang))
        return proved

    async def _expect_refusal(
        self, method: str, route: str, body: Mapping[str, Any], status: int, right: str, what: str
    ) -> None:
        """A write with an empty required field: refused as invalid (``status``) when the account
        may write there, with 403 when it may not. Nothing is created either way."""
        answered = await self.api.status(method, route, what, body=body, right=right)
        if answered != status:
            raise PermanentError(f"{what}: {method} {route} answered {answered} to an empty body, not {status}",
                                 connector=self.name)

    # pull -------------------------------------------------------------------------------
    async def _fingerprint(self, space: SpaceRef) -> list[Any]:
        """The space's state in one request: how many contents it holds, and which were updated
        last, when and by whom (the latest :data:`PROBE` of them: several may share a second)."""
        data = await self.api.call(
            "GET", f"content/find-by-container/{space.container}", "look for changes in the space",
            params={"orderBy": "lastUpdate", "limit": PROBE},
        )
        latest = []
        for content in data.get("results") or []:
            meta = content.get("metadata") or {}
            by = meta.get("updated_by") or {}
            latest.append([meta.get("id"), meta.get("updated_at"), by.get("guid") if isinstance(by, Mapping) else None])
        digest = hashlib.sha256(json.dumps(sorted(latest, key=str)).encode()).hexdigest()[:24]
        return [int(data.get("total") or 0), digest]

    def _cursor(self, space: SpaceRef, fingerprint: list[Any]) -> str:
        return json.dumps({"v": CURSOR_VERSION, "space": space.container, "fp": fingerprint},
                          separators=(",", ":"), sort_keys=True)

    async def pull(self, cursor: str | None, links: Mapping[str, Link], programme: Programme) -> PullResult:
        """The space's sessions when anything in the space changed since ``cursor``; else nothing."""
        space = await self.space()
        fingerprint = await self._fingerprint(space)
        new_cursor = self._cursor(space, fingerprint)
        if cursor == new_cursor:
            return PullResult(cursor=cursor)
        entries = await self.api.pages(f"calendar/container/{space.container}", "list the calendar")
        result = self._read(entries, links, programme)
        result.cursor = new_cursor
        return result

    def _read(self, entries: list[dict[str, Any]], links: Mapping[str, Link], programme: Programme) -> PullResult:
        by_id = {link.remote_id: key for key, link in links.items() if link.remote_id}
        server = self.server_zone(programme)
        result = PullResult(complete=True)
        seen: dict[str, str] = {}
        # Linked entries first, so a copy of an entry (same marker) is the one reported.
        ordered = sorted(entries, key=lambda e: (str(e.get("id")) not in by_id, int(e.get("id") or 0)))
        for entry in ordered:
            entry_id = str(entry.get("id"))
            key = marked_name(str(entry.get("description") or "")) or by_id.get(entry_id)
            if key is None:
                continue  # somebody else's event
            if key in seen:
                result.problems.append(say("problem.duplicate", self.lang, id=entry_id, key=key))
                continue
            link = links.get(key)
            hub_venue = str((link.base or {}).get("venue") or "") or None if link is not None else None
            try:
                read = read_entry(entry, key, programme, server, hub_venue)
            except (ValueError, TypeError):
                result.problems.append(say("problem.unreadable", self.lang, id=entry_id,
                                           start=entry.get("start_datetime"), end=entry.get("end_datetime")))
                result.complete = False  # present but unread: its session has not vanished
                continue
            seen[key] = entry_id
            if read.unknown_location:
                result.problems.append(say("problem.location", self.lang, id=entry_id,
                                           location=read.unknown_location))
            version = str(((entry.get("content") or {}).get("metadata") or {}).get("updated_at") or "") or None
            result.items.append(RemoteItem(key, read.fields, entry_id, version))
        return result

    # writes -----------------------------------------------------------------------------
    def project(self, session: Session, programme: Programme) -> dict[str, Any]:
        """The default projection, its text trimmed as HumHub trims what it stores."""
        projection = super().project(session, programme)
        for name in ("title", "description"):
            projection[name] = str(projection.get(name) or "").strip()
        return projection

    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        """Each op in turn; before the first create, one listing finds entries already there."""
        existing: dict[str, str] | None = None
        results: list[OpResult] = []
        for op in ops:
            try:
                if op.action == "delete":
                    if op.link is not None and op.link.remote_id is not None:
                        await self.remove(op)
                    results.append(RemoteRef(op.link.remote_id if op.link and op.link.remote_id else op.key))
                    continue
                if existing is None and not (op.link is not None and op.link.remote_id):
                    existing = await self._marked_entries()
                results.append(await self._write(op, programme, (existing or {}).get(op.key)))
            except (PermanentError, CapabilityError, PreconditionFailed) as exc:
                results.append(exc)
        return results

    async def _marked_entries(self) -> dict[str, str]:
        """Session id -> entry id, for the entries of the space that name a session."""
        space = await self.space()
        entries = await self.api.pages(f"calendar/container/{space.container}", "list the calendar")
        found: dict[str, str] = {}
        for entry in sorted(entries, key=lambda e: int(e.get("id") or 0)):
            key = marked_name(str(entry.get("description") or ""))
            if key is not None:
                found.setdefault(key, str(entry.get("id")))
        return found

    async def upsert(self, op: Op, programme: Programme) -> RemoteRef:
        return await self._write(op, programme, None)

    async def _write(self, op: Op, programme: Programme, found: str | None) -> RemoteRef:
        if op.projection is None:
            raise PermanentError(f"no projection for {op.key}", connector=self.name)
        body, stored = entry_body(op.projection, op.key, programme, self.lang, self.server_zone(programme),
                                  self.config.public)
        entry_id = op.link.remote_id if op.link is not None and op.link.remote_id else found
        entry: Mapping[str, Any] | None = None
        if entry_id is not None:
            try:
                entry = await self.api.call("PUT", f"calendar/entry/{entry_id}", f"update {op.key}", body=body,
                                            right="right.calendar_edit")
            except NotFound:
                entry = None  # deleted meanwhile: made again, as long as the programme has it
        if entry is None:
            space = await self.space()
            entry = await self.api.call("POST", f"calendar/container/{space.container}", f"create {op.key}",
                                        body=body, right="right.calendar_create")
        self._verify(entry, stored, op.projection, self.config.server_timezone or programme.event.timezone)
        version = str(((entry.get("content") or {}).get("metadata") or {}).get("updated_at") or "") or None
        return RemoteRef(str(entry["id"]), version)

    def _verify(self, entry: Mapping[str, Any], stored: Stored, projection: Mapping[str, Any], zone: str) -> None:
        """What HumHub stored is what was meant: the server's zone as configured, and an entry a
        person cancelled with the module's button (which the API cannot reopen) said so."""
        if (entry.get("start_datetime"), entry.get("end_datetime")) != (stored.start, stored.end):
            raise PermanentError(say("write.timezone", self.lang, title=projection.get("title"),
                                     stored=entry.get("start_datetime"), expected=stored.start, zone=zone),
                                 connector=self.name)
        if entry.get("closed") and projection.get("status") != "cancelled":
            title = read_title(str(entry.get("title") or ""), True)[0]
            raise PermanentError(say("write.closed", self.lang, id=entry.get("id"), title=title),
                                 connector=self.name)

    async def remove(self, op: Op) -> None:
        if op.link is None or op.link.remote_id is None:
            return
        await self.api.call("DELETE", f"calendar/entry/{op.link.remote_id}", f"delete {op.key}",
                            right="right.calendar_edit", missing_ok=True)

    # posts ------------------------------------------------------------------------------
    def targets(self) -> list[str]:
        return [NEWS_TARGET] if self.config.news else []

    @staticmethod
    def news_key(announcement: Announcement) -> str:
        """One sending of an announcement: its changes' id and its occurrence (the outbox entry)."""
        if not announcement.occurrence:
            return announcement.id
        return f"{announcement.id}-{announcement.occurrence[:OCCURRENCE_CHARS].lower()}"

    def render_post(self, announcement: Announcement) -> str:
        """Markdown: the title in bold, one line per change (people's text escaped), the marker."""
        key = "changes.correction" if announcement.correction else "changes.title"
        lines = "\n".join(f"- {line}" for line in announcement.lines(self.lang, "markdown"))
        return f"**{i18n.say(key, self.lang)}**\n\n{lines}\n\n{marker('news-' + self.news_key(announcement))}"

    async def announce(self, target: str, announcement: Announcement) -> RemoteRef:
        """One post per sending: looked up first, edited if its text changed, else created."""
        if target != NEWS_TARGET:
            raise CapabilityError(f"unknown target {target!r}", connector=self.name)
        space = await self.space()
        key = self.news_key(announcement)
        message = self.render_post(announcement)
        post = await self._find_post(space, key)
        if post is not None:
            if str(post.get("message") or "") != message:
                post = await self.api.call("PUT", f"post/{post['id']}", "correct a news post",
                                           body={"data": {"message": message}}, right="right.post_edit")
            return RemoteRef(str(post["id"]))
        content: dict[str, Any] = {"metadata": {"visibility": 1 if self.config.public else 0}}
        if self.config.topic:
            content["topics"] = [{"name": self.config.topic}]
        created = await self.api.call("POST", f"post/container/{space.container}", "publish a news post",
                                      body={"data": {"message": message, "content": content}}, right="right.post")
        self._remember_post(key, str(created["id"]))
        return RemoteRef(str(created["id"]))

    async def _find_post(self, space: SpaceRef, key: str) -> Mapping[str, Any] | None:
        known = self.ctx.state.load(POSTS_STATE).get(key) if self.ctx.state is not None else None
        if known is not None:
            post = await self.api.call("GET", f"post/{known}", "read a news post", missing_ok=True)
            if post is not None and marked_name(str(post.get("message") or "")) == f"news-{key}":
                return dict(post)
        params: dict[str, Any] = {"limit": POST_LOOKUP}
        if self.config.topic:
            params["topics"] = self.config.topic
        data = await self.api.call("GET", f"post/container/{space.container}", "look up a news post",
                                   params=params)
        for post in data.get("results") or []:
            if marked_name(str(post.get("message") or "")) == f"news-{key}":
                return dict(post)
        return None

    def _remember_post(self, key: str, post_id: str) -> None:
        if self.ctx.state is None:
            return
        posts = dict(self.ctx.state.load(POSTS_STATE))
        posts[key] = post_id
        self.ctx.state.save(POSTS_STATE, dict(list(posts.items())[-POSTS_KEPT:]))

