"""The programme pad: the programme rendered into an Etherpad pad people edit, read back.

A document sink (one pad for the whole programme), so ``apply`` writes once per batch. Reading:
``getRevisionsCount`` first (one request when nothing changed: the cursor is the revision),
then ``getText`` and :class:`~connectors.etherpad.padtext.PadReader`. Writing:

1. re-read the revision; if it moved since the hub last read the pad, a person edited it: every
   op is answered ``PreconditionFailed`` so the engine re-pulls and merges their edit first;
2. edit the text in place (only the blocks of changed sessions) and send it with ``appendText``
   when the change only adds at the end, else ``setText``. Etherpad 1.2.x/1.3.x has no
   positional edit and no compare-and-set, hence step 1 and step 3;
3. read the revision again: one more than before means nobody wrote in between. Otherwise find
   out whose revision came first; a person's edit the hub's ``setText`` replaced is put back and
   the ops are answered ``PreconditionFailed`` (re-pull, merge, write again).

The revision the hub wrote is returned as the items' version: a later pull that finds exactly
that revision knows the pad holds what the hub wrote and costs one request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.etherpad.api import ApiKey, ClientCredentials, Credentials, EtherpadAPI
from connectors.etherpad.config import EtherpadConfig
from connectors.etherpad.messages import say
from connectors.etherpad.padedit import edit_pad
from connectors.etherpad.padtext import (
    PAD_FIELDS,
    Block,
    PadReader,
    ParsedPad,
    fold,
    render_document,
    session_projection,
)
from sync.errors import ConfigError, NotFound, PermanentError, PreconditionFailed
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

_BROKEN_MARKER = re.compile(r"\s*\[?#[\w.-]*\]?\s*$")
#: ``marked`` (display-only) is False for a session written without its [#id] marker, so the
#: engine sees a difference and the next write adds the marker.
PROJECTION_KEYS = (*PAD_FIELDS, "venue_name", "marked")


@dataclass(frozen=True)
class _Snapshot:
    """The pad as last read or written by this connector."""

    revision: int
    text: str
    parsed: ParsedPad


class EtherpadConnector(Connector[EtherpadConfig]):
    """The programme pad, two-way."""

    type = "etherpad"
    capabilities = Capability.READ | Capability.WRITE | Capability.DELETE
    config_model = EtherpadConfig
    fields = PAD_FIELDS

    def __init__(self, name: str, config: EtherpadConfig, ctx: ConnectorContext) -> None:
        super().__init__(name, config, ctx)
        self._api: EtherpadAPI | None = None
        self._seen: int | None = None  # revision found by the last pull, read or not
        self._snapshot: _Snapshot | None = None
        self._by_remote: dict[str, str] = {}

    # plumbing ----------------------------------------------------------------------------
    @property
    def lang(self) -> str:
        return self.config.language or self.ctx.language

    @property
    def api(self) -> EtherpadAPI:
        if self._api is None:
            self._api = EtherpadAPI(
                self.ctx.http,
                self.config.url,
                self.config.api_version,
                self._credentials(),
                self.name,
            )
        return self._api

    def _credentials(self) -> Credentials:
        if self.config.client_id is not None:
            secret = self.secret("client_secret")
            if not secret:
                raise ConfigError(f"connectors.{self.name}.client_secret: empty")
            token_url = self.config.token_url or self.config.url.rstrip("/") + "/oidc/token"
            return ClientCredentials(
                token_url,
                self.config.client_id,
                secret,
                basic=self.config.token_auth == "basic",
                scope=self.config.scope,
            )
        key = self.secret("api_key")
        if not key:
            raise ConfigError(f"connectors.{self.name}.api_key: empty")
        return ApiKey(key)

    async def _revision(self) -> int:
        data = await self.api.call("getRevisionsCount", padID=self.config.pad)
        return int(data["revisions"])

    async def _text(self, revision: int | None = None) -> str:
        params: dict[str, str | int] = {"padID": self.config.pad}
        if revision is not None:
            params["rev"] = revision
        data = await self.api.call("getText", **params)
        text = data["text"]
        if isinstance(text, dict):  # 1.8 answers {text, attribs} when asked for a revision
            text = text.get("text", "")
        text = str(text)
        # Reading a pad takes about ten times its size in memory: a public pad anyone can paste
        # megabytes into is refused past the limit (this connector fails this run, the others
        # go on) rather than parsed.
        if len(text) > self.config.max_pad_chars:
            raise PermanentError(say("error.too_long", self.lang, pad=self.config.pad, length=len(text),
                                     limit=self.config.max_pad_chars), connector=self.name)
        return text

    def _reader(self, programme: Programme) -> PadReader:
        first = programme.days[0].date if programme.days else None
        year = first.year if first else min((s.start.year for s in programme.sessions.values()), default=2000)
        return PadReader(tz=programme.tz, venues=programme.venues, lang=self.lang, default_year=year)

    # protocol ----------------------------------------------------------------------------
    async def check(self) -> list[str]:
        await self.api.call("checkToken")
        proved = [
            say("check.auth", self.lang, method=self.api.credentials.method),
            say("check.version", self.lang, version=self.config.api_version),
        ]
        try:
            revision = await self._revision()
        except NotFound:
            proved.append(say("check.no_pad", self.lang, pad=self.config.pad))
        else:
            proved.append(say("check.pad", self.lang, pad=self.config.pad, rev=revision))
        return proved

    def project(self, session: Session, programme: Programme) -> dict[str, Any]:
        return {**self._fields_of(session, programme), "marked": True}

    def _fields_of(self, session: Session, programme: Programme) -> dict[str, Any]:
        return session_projection(session, programme, self.lang)

    async def pull(self, cursor: str | None, links: Mapping[str, Link], programme: Programme) -> PullResult:
        self._by_remote = {link.remote_id: key for key, link in links.items() if link.remote_id}
        try:
            revision = await self._revision()
        except NotFound:
            # No pad (yet, or deleted): an empty collection; the engine's mass-delete guard
            # stops this connector if it held sessions.
            self._seen, self._snapshot = None, None
            return PullResult(cursor="absent", complete=True)
        self._seen = revision
        if cursor == str(revision):
            return PullResult(cursor=cursor)
        if cursor is not None and revision == _newest_version(links.values()):
            return PullResult(cursor=str(revision))  # the pad holds what the hub wrote
        text = await self._text()
        parsed = self._reader(programme).parse(text)
        self._snapshot = _Snapshot(revision, text, parsed)
        items, problems = self._items(parsed, links, programme, revision)
        return PullResult(items=items, cursor=str(revision), complete=True, problems=problems)

    def _items(
        self, parsed: ParsedPad, links: Mapping[str, Link], programme: Programme, revision: int
    ) -> tuple[list[RemoteItem], list[str]]:
        problems = [say("where", self.lang, pad=self.config.pad, line=n, what=w) for n, w in parsed.problems]
        items: list[RemoteItem] = []
        taken: set[str] = set()
        version = str(revision)
        anchorless = [b for b in parsed.blocks if not b.ignored and not b.key]
        for block in (b for b in parsed.blocks if not b.ignored and b.key):
            key = block.key
            assert key is not None
            if key not in programme.sessions and key not in links and not self.config.create_sessions:
                problems.append(self._where(block, say("problem.unknown_key", self.lang, key=key)))
                continue
            fields = self._complete(block, links.get(key), programme.sessions.get(key), programme)
            if fields is not None:
                items.append(RemoteItem(key, fields, key, version))
                taken.add(key)
        missing = [key for key in links if key not in taken]
        for block in anchorless:
            linked = self._by_remote.get(block.remote_id) or self._recognise(block, missing, links, programme)
            if linked is not None and linked not in taken:
                fields = self._complete(block, links.get(linked), programme.sessions.get(linked), programme)
                if fields is not None:
                    items.append(RemoteItem(linked, fields, block.remote_id, version))
                    taken.add(linked)
            elif linked is None and self.config.create_sessions:
                fields = self._complete(block, None, None, programme)
                if fields is not None:
                    items.append(RemoteItem(None, fields, block.remote_id, version))
            elif linked is None:
                problems.append(self._where(block, say("problem.no_create", self.lang)))
        return items, problems

    def _recognise(
        self, block: Block, missing: list[str], links: Mapping[str, Link], programme: Programme
    ) -> str | None:
        """A linked session whose marker was damaged or deleted, known by its title.

        Without this, a broken ``[#id`` would read as one session gone and a new one come.
        """
        title = _bare_title(str(block.fields.get("title", "")))
        if not title:
            return None
        found = []
        for key in missing:
            link, session = links[key], programme.sessions.get(key)
            known = link.base.get("title") if link.base else (session.title if session else None)
            if isinstance(known, str) and _bare_title(known) == title:
                found.append(key)
        if len(found) == 1:
            missing.remove(found[0])
            return found[0]
        return None

    def _where(self, block: Block, what: str) -> str:
        return say("where", self.lang, pad=self.config.pad, line=block.line + 1, what=what)

    def _complete(
        self, block: Block, link: Link | None, session: Session | None, programme: Programme
    ) -> dict[str, Any] | None:
        """The block's projection; what could not be read keeps the last agreed value."""
        fields = dict(block.fields)
        if block.failed:
            if link is not None and link.base is not None:
                fallback: Mapping[str, Any] = link.base
            elif session is not None:
                fallback = self.project(session, programme)
            else:
                return None  # a new session the pad does not fully give: reported, not created
            for name in block.failed | ({"venue_name"} if "venue" in block.failed else set()):
                fields[name] = fallback.get(name)
        fields["marked"] = block.key is not None
        if any(name not in fields for name in PROJECTION_KEYS):
            return None
        return {name: fields[name] for name in PROJECTION_KEYS}

    # writing -----------------------------------------------------------------------------
    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        if not ops:
            return []
        try:
            return await self._apply(ops, programme)
        except (PermanentError, PreconditionFailed) as exc:
            # One pad for the whole batch: what fails it fails every op. Auth and transient
            # errors concern the connector and propagate.
            self._seen, self._snapshot = None, None
            return [exc for _ in ops]

    async def _apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        try:
            revision: int | None = await self._revision()
        except NotFound:
            revision = None
        if revision is None:
            return await self._create_pad(ops, programme)
        expected = self._seen if self._seen is not None else _newest_version(o.link for o in ops if o.link)
        if expected is not None and revision != expected:
            self._seen, self._snapshot = None, None
            return _superseded(
                ops,
                f"the pad changed since it was read (revision {expected} -> "
                f"{revision}): a person's edit is merged first",
                self.name,
            )
        snapshot = self._snapshot
        if snapshot is None or snapshot.revision != revision:
            text = await self._text()
            snapshot = _Snapshot(revision, text, self._reader(programme).parse(text))
        if not snapshot.text.strip():
            new_text = self._document(ops, programme)
        else:
            changes = {op.key: (dict(op.projection) if op.projection is not None else None) for op in ops}
            new_text = edit_pad(
                snapshot.parsed,
                changes,
                adopted=self._adopted(snapshot.parsed, ops),
                themes={d.date: d.theme for d in programme.days},
                lang=self.lang,
                tz=programme.tz,
            )
        if new_text == snapshot.text:
            return [RemoteRef(op.key, str(revision)) for op in ops]
        appended = new_text.startswith(snapshot.text)
        if appended:
            # appendText inserts before the pad's final newline.
            added = new_text[len(snapshot.text) :]
            await self.api.call("appendText", padID=self.config.pad, text="\n" + added[:-1])
        else:
            await self.api.call("setText", padID=self.config.pad, text=new_text)
        return await self._confirm(ops, revision, new_text, appended)

    async def _confirm(self, ops: Sequence[Op], before: int, new_text: str, appended: bool) -> list[OpResult]:
        """Make sure no person's edit slipped between the last read and the write."""
        after = await self._revision()
        if after == before + 1:
            self._seen, self._snapshot = after, None
            return [RemoteRef(op.key, str(after)) for op in ops]
        self._seen, self._snapshot = None, None
        first = None if appended else await self._text(before + 1)
        if first is None or first == new_text:
            # The hub's write came first (or only added at the end): later edits sit on top of
            # it. The version stays the one read, so the next pull reads those edits.
            return [RemoteRef(op.key, str(before)) for op in ops]
        if after == before + 2:
            await self.api.call("setText", padID=self.config.pad, text=first)
            return _superseded(
                ops,
                f"a person edited the pad while it was being written "
                f"(revision {before + 1}); their text is restored and merged first",
                self.name,
            )
        log.warning(
            "[%s] revision %d of pad %s, written by a person just before the hub's write, "
            "was replaced; it stays in the pad's history",
            self.name,
            before + 1,
            self.config.pad,
        )
        return _superseded(
            ops,
            f"a person's edit (revision {before + 1}) was overwritten by a "
            "concurrent write; restore it from the pad history",
            self.name,
        )

    async def _create_pad(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        text = self._document(ops, programme)
        if len(text) < 100_000:
            # createPad adds a final newline of its own; longer initial texts are refused.
            await self.api.call("createPad", padID=self.config.pad, text=text[:-1])
        else:
            await self.api.call("createPad", padID=self.config.pad)
            await self.api.call("setText", padID=self.config.pad, text=text)
        revision = await self._revision()
        self._seen, self._snapshot = revision, None
        return [RemoteRef(op.key, str(revision)) for op in ops]

    def _document(self, ops: Sequence[Op], programme: Programme) -> str:
        sessions = {s.id: self.project(s, programme) for s in programme.sorted_sessions()}
        for op in ops:
            if op.projection is None:
                sessions.pop(op.key, None)
            else:
                sessions[op.key] = dict(op.projection)
        return render_document(
            title=programme.event.title,
            subtitle=programme.event.subtitle,
            venues=programme.venues.values(),
            themes={d.date: d.theme for d in programme.days},
            sessions=sessions,
            lang=self.lang,
            tz=programme.tz,
            create_sessions=self.config.create_sessions,
        )

    def _adopted(self, parsed: ParsedPad, ops: Sequence[Op]) -> dict[str, Block]:
        """Blocks written without a marker that are known sessions: they get their marker."""
        keyed = parsed.keyed()
        adopted: dict[str, Block] = {}
        free = [b for b in parsed.blocks if not b.ignored and not b.key]
        for block in free:
            key = self._by_remote.get(block.remote_id)
            if key is not None and key not in keyed:
                adopted.setdefault(key, block)
        by_remote = {block.remote_id: block for block in free}
        for op in ops:
            if op.projection is None or op.key in keyed or op.key in adopted:
                continue
            known = by_remote.get(op.link.remote_id or "") if op.link is not None else None
            if known is not None:
                adopted[op.key] = known
                continue
            same = {k: op.projection.get(k) for k in (*PAD_FIELDS, "venue_name")}
            for block in free:
                if block not in adopted.values() and all(block.fields.get(k) == v for k, v in same.items()):
                    adopted[op.key] = block
                    break
        return adopted


def _bare_title(title: str) -> str:
    return fold(_BROKEN_MARKER.sub("", title))


def _newest_version(links: Any) -> int | None:
    versions = [
        int(link.remote_version)
        for link in links
        if link is not None and link.remote_version and str(link.remote_version).isdigit()
    ]
    return max(versions, default=None)


def _superseded(ops: Sequence[Op], message: str, connector: str) -> list[OpResult]:
    return [PreconditionFailed(message, connector=connector) for _ in ops]
