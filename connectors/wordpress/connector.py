"""WordPress: one programme page kept current in place, and one news post per announcement.

The page is a *document sink*: whatever operations a batch holds, the page is rendered once
from the whole programme and written once, always to the same page (found by its slug the first
time, then by the id the engine keeps as each session's ``remote_id``). ``pull`` reads each
session's projection back from the page's markup, so a hand edit of a title, a time or a venue
shows as drift the engine rewrites (or, with ``owns``, as an edit); any hand edit at all is
also caught by the mark the page carries and reported. With ``on_drift = "keep"`` the edited
page is left alone and every write to it is refused with that reason.

A session's projection also carries what the page shows of the event around it (the event
title in the page title, the subtitle, its day's theme, its venue's note), read back the same
way: a change of the event changes the projections, and the page is rewritten, once.

News posts carry a slug derived from the announcement's changes and from which sending of them it
is (the outbox entry's key), so a post is looked up before it is created: a retry after a crash
finds the post instead of publishing it twice, and the same changes published again later (a
session moved back and forth) make a new post.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from connectors.wordpress.api import Page, SiteAPI
from connectors.wordpress.config import WORDPRESS_FIELDS, WordPressConfig
from connectors.wordpress.messages import say
from connectors.wordpress.parse import parse_page
from connectors.wordpress.render import (
    esc,
    is_hub_page,
    page_hash,
    page_title,
    render_news,
    render_page,
    shown_event_title,
)
from connectors.wordpress.rest import RestAPI
from connectors.wordpress.xmlrpc import USED_METHODS, XmlRpcAPI
from sync import i18n
from sync.announce import Announcement
from sync.errors import AuthError, ConfigError, PermanentError
from sync.model import SESSION_FIELDS, Programme, Session
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

NEWS_TARGET = "news"
#: How much of the occurrence (a hex digest) a news post's slug carries: enough to tell sendings apart.
OCCURRENCE_CHARS = 16

#: Capabilities the hub needs, and which WordPress roles grant them all (XML-RPC knows only roles).
PAGE_RIGHTS = ("edit_pages", "publish_pages", "edit_published_pages", "edit_others_pages")
NEWS_RIGHTS = ("publish_posts",)
ROLES_WITH_ALL = frozenset({"administrator", "editor"})
ROLES_NEWS_ONLY = frozenset({"author"})


class WordPressConnector(Connector[WordPressConfig]):
    type = "wordpress"
    capabilities: ClassVar[Capability] = (
        Capability.READ
        | Capability.WRITE
        | Capability.DELETE
        | Capability.ANNOUNCE
    )
    config_model = WordPressConfig
    fields: ClassVar[tuple[str, ...]] = WORDPRESS_FIELDS

    def __init__(self, name: str, config: WordPressConfig, ctx: ConnectorContext) -> None:
        super().__init__(name, config, ctx)
        self._api: SiteAPI | None = None
        self._page_id: str | None = None

    # plumbing ---------------------------------------------------------------------------
    @property
    def api(self) -> SiteAPI:
        if self._api is None:
            password = self.secret("application_password")
            if not password:
                raise ConfigError(
                    f"connectors.{self.name}: set application_password or application_password_file"
                )
            # Application passwords are shown grouped by spaces; WordPress ignores them.
            password = "".join(password.split())
            if self.config.api == "xmlrpc":
                self._api = XmlRpcAPI(
                    self.config.url,
                    self.config.username,
                    password,
                    connector=self.name,
                    lang=self.lang,
                    count=lambda: self.ctx.count_request(1),
                    timeout=self.timeout,
                )
            else:
                self._api = RestAPI(
                    self.ctx.http,
                    self.config.url,
                    self.config.username,
                    password,
                    connector=self.name,
                    lang=self.lang,
                    pretty=self.config.pretty_permalinks,
                )
        return self._api

    async def close(self) -> None:
        if self._api is not None:
            await self._api.aclose()

    @staticmethod
    def _cursor(page: Page) -> str:
        """``<page id>@<modified>``, with ``~`` when the next probe must include that second.

        ``modified_after`` is strict and counts whole seconds, so when the page was read in the
        same second it was modified (typically right after the hub wrote it), an edit later in
        that second would not move ``modified`` past the cursor: such a cursor is marked, and
        the next probe reads the page once more (still one request) before settling.
        """
        doubt = not page.seen or page.seen <= page.modified
        return f"{page.id}@{page.modified}{'~' if doubt else ''}"

    def _known_page_id(
        self, cursor: str | None, links: Mapping[str, Link] | Sequence[Link]
    ) -> str | None:
        if self._page_id:
            return self._page_id
        if cursor and "@" in cursor:
            return cursor.split("@", 1)[0]
        values = links.values() if isinstance(links, Mapping) else links
        for link in values:
            if link is not None and link.remote_id:
                return link.remote_id
        return None

    def _drift(self, page: Page) -> list[str]:
        """Why ``page`` is not what the hub wrote, in words (empty when it is)."""
        problems: list[str] = []
        if page.status != "publish":
            problems.append(
                say("drift.status", self.lang, slug=page.slug, id=page.id, status=page.status)
            )
        if not is_hub_page(page.title, page.content):
            when = page.modified.replace("T", " ")
            detected = say("drift.detected", self.lang, slug=self.config.page, id=page.id, when=when)
            problems.append(f"{detected}; {say('drift.' + self.config.on_drift, self.lang)}")
        return problems

    # protocol ---------------------------------------------------------------------------
    def project(self, session: Session, programme: Programme) -> dict[str, Any]:
        """The session as its item shows it, and what the page shows of the event around it."""
        projection = super().project(session, programme)
        venue = programme.venue_of(session)
        day = session.start.astimezone(programme.tz).date()
        projection["venue_note"] = venue.note if venue else None
        projection["day_theme"] = next((d.theme for d in programme.days if d.date == day), "")
        projection["event_subtitle"] = programme.event.subtitle
        if not self.config.page_title:
            projection["event_title"] = programme.event.title
        return projection

    async def check(self) -> list[str]:
        api = self.api
        proved: list[str] = []
        if isinstance(api, XmlRpcAPI):
            missing_methods = USED_METHODS - await api.supported_methods()
            if missing_methods:
                raise AuthError(
                    f"XML-RPC lacks {', '.join(sorted(missing_methods))}", connector=self.name
                )
        account = await api.account()
        proved.append(
            say("check.user", self.lang, url=self.config.url, user=account.username, api=api.name)
        )
        needed = PAGE_RIGHTS + (NEWS_RIGHTS if self.config.news else ())
        if account.capabilities is not None:
            missing = [right for right in needed if right not in account.capabilities]
        elif set(account.roles) & ROLES_WITH_ALL:
            missing = []
        elif set(account.roles) & ROLES_NEWS_ONLY:
            missing = [right for right in needed if right in PAGE_RIGHTS]
        else:
            roles = ", ".join(account.roles) or "-"
            raise AuthError(
                say("check.roles_unknown", self.lang, roles=roles, user=account.username),
                connector=self.name,
            )
        if missing:
            rights = ", ".join(say(f"right.{r}", self.lang) for r in missing)
            raise AuthError(
                say("check.missing", self.lang, user=account.username, rights=rights),
                connector=self.name,
            )
        proved.append(
            say(
                "check.rights",
                self.lang,
                rights=", ".join(say(f"right.{r}", self.lang) for r in needed),
            )
        )
        page = await api.page_by_slug(self.config.page)
        if page is None:
            proved.append(say("check.page_new", self.lang, slug=self.config.page))
        else:
            proved.append(say("check.page_found", self.lang, slug=self.config.page, id=page.id))
        return proved

    async def pull(
        self, cursor: str | None, links: Mapping[str, Link], programme: Programme
    ) -> PullResult:
        """The sessions as the page shows them, when the page changed since ``cursor``.

        ``complete`` only when the page is exactly what the hub wrote. A page changed by hand
        is reported in ``problems``; with ``on_drift = "overwrite"`` what it shows differently
        is returned so the engine plans the rewrite, with ``"keep"`` nothing is returned.
        """
        page_id = self._known_page_id(cursor, links)
        since = cursor.split("@", 1)[1] if cursor and "@" in cursor else ""
        if page_id and since:
            inclusive = since.endswith("~")
            page = await self.api.page_if_modified(page_id, since.rstrip("~"), inclusive=inclusive)
            if page is None:
                return PullResult(cursor=cursor)
        elif page_id:
            page = await self.api.page_by_id(page_id)
        else:
            page = await self.api.page_by_slug(self.config.page)
        if page is None:
            return PullResult(cursor=None)
        self._page_id = page.id
        problems = self._drift(page)
        title = None if self.config.page_title else shown_event_title(page.title, self.lang)
        shown = parse_page(page.content, title) if page.status == "publish" else {}
        items = [
            RemoteItem(key, fields, page.id, page.modified or None) for key, fields in shown.items()
        ]
        if not problems:
            return PullResult(items=items, cursor=self._cursor(page), complete=True)
        if self.config.on_drift == "keep":
            # The page is left as the person made it: nothing to merge, nothing to rewrite.
            return PullResult(cursor=self._cursor(page), problems=problems)
        if not (self.owns & set(SESSION_FIELDS)):
            # Sessions the page no longer shows (cut out, or the page unpublished) read as
            # empty, so the engine sees them drift and rewrites the page. Not as "vanished":
            # a cut-down page must not look like sessions removed from the programme.
            empty = dict.fromkeys((*self.fields, "venue_name", "venue_address", "venue_note", "day_theme"))
            items += [
                RemoteItem(key, {"id": key, **empty}, page.id, page.modified or None)
                for key in links
                if key not in shown and key in programme.sessions
            ]
        return PullResult(items=items, cursor=self._cursor(page), problems=problems)

    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        """Render the programme once and write it once, to the same page as always."""
        if not ops:
            return []
        title = page_title(programme, self.lang, self.config.page_title)
        content = render_page(programme, self.lang, title)
        page_id = self._known_page_id(None, [op.link for op in ops if op.link is not None])
        page = await self.api.page_by_id(page_id) if page_id else None
        if page is None:
            page = await self.api.page_by_slug(self.config.page)
        try:
            if page is None:
                page = await self.api.save_page(None, self.config.page, title, content)
            elif page.content == content and page.title == title and page.status == "publish":
                pass  # already current (a retry after a crash, or nothing visible changed)
            elif self._drift(page) and self.config.on_drift == "keep":
                error = PermanentError("; ".join(self._drift(page)), connector=self.name)
                return [error for _ in ops]
            else:
                page = await self.api.save_page(page.id, self.config.page, title, content)
            if page_hash(page.title, page.content) != page_hash(title, content):
                # PHP drops a body over post_max_size and WordPress filters HTML for users
                # without unfiltered_html: either way the page is not what was sent.
                raise PermanentError(say("write.altered", self.lang, id=page.id), connector=self.name)
        except PermanentError as exc:
            return [exc for _ in ops]
        self._page_id = page.id
        ref = RemoteRef(page.id, page.modified or None)
        return [ref for _ in ops]

    def targets(self) -> list[str]:
        return [NEWS_TARGET] if self.config.news else []

    @staticmethod
    def news_key(announcement: Announcement) -> str:
        """What names one sending of an announcement on the site: its changes and its occurrence.

        The changes' id alone would find an earlier post of the same text (a session moved to
        15 h, back, then to 15 h again) and publish nothing; the occurrence (the outbox entry's
        key) is the same on every retry of one sending, so a retry still finds its own post.
        An announcement without one (sent before occurrences existed) keeps the bare id.
        """
        if not announcement.occurrence:
            return announcement.id
        return f"{announcement.id}-{announcement.occurrence[:OCCURRENCE_CHARS].lower()}"

    def news_slug(self, announcement: Announcement) -> str:
        return f"{self.config.news_slug_prefix}-{self.news_key(announcement)}"

    async def announce(self, target: str, announcement: Announcement) -> RemoteRef:
        """One news post per sending: looked up by its slug first, created only if absent."""
        slug = self.news_slug(announcement)
        key = self.news_key(announcement)
        existing = await self.api.find_post(slug, key)
        if existing is not None:
            return RemoteRef(existing)
        title = esc(i18n.say("changes.correction" if announcement.correction else "changes.title", self.lang))
        content = render_news(announcement.lines(self.lang, "html"), key)
        post = await self.api.create_post(slug, title, content, self.config.news_status)
        return RemoteRef(post.id, post.modified or None)
