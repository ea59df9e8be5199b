"""``type = "nextcloud"``: the programme in a Nextcloud calendar and its exports in a shared folder.

Calendar: exactly the CalDAV connector's logic (:class:`connectors.caldav.CalendarConnector`) at
``<url>/remote.php/dav/calendars/<user>/<calendar>/``, where ``calendar`` is the calendar's URL
segment (it differs from its display name: "assemblee-2021" vs "Assemblée 2021"; ``hub check``
names the segment when given the display name).

Folder: when ``folder`` is set, every batch of changes also republishes ``programme.ics``,
``programme.json`` (frab) and ``index.html`` there. They are rendered by the ``files`` connector
itself into a local staging folder (its fragment cache keeps a one-change sync of a large
programme cheap and its per-session SEQUENCE), then written in place over WebDAV. The exports are
written before the calendar: if the folder cannot be written, nothing of the batch is, and the
engine retries the whole batch later, so calendar and exports never tell different stories.

Talk: with ``talk_room``, announcements go to that room and the room keeps one message per day
of the programme, edited in place (:class:`connectors.nextcloud.talk.TalkChannel`); the bots
answer questions there (:mod:`connectors.nextcloud.talk_bot`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from connectors.caldav import CalendarConnector
from connectors.calstore import CalendarMissing
from connectors.chat_board import board_store
from connectors.files import FilesConnector
from connectors.files_config import FilesConfig
from connectors.http import build_client
from connectors.nextcloud import ocs
from connectors.nextcloud.config import NextcloudConfig
from connectors.nextcloud.folder import SharedFolder
from connectors.nextcloud.talk import TalkChannel, TalkClient, reference_id
from connectors.nextcloud.talk_bot import ChatWebhook, TalkFrontend, talk_webhook
from connectors.vevent import ReadEvent
from sync.announce import Announcement, escape
from sync.chat import ChannelPolicy, Inbox, Responder
from sync.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    NotFound,
    PermanentError,
    PreconditionFailed,
)
from sync.i18n import Catalogue
from sync.model import Programme, Session
from sync.protocol import Capability, Op, OpResult, RemoteRef

MESSAGES = Catalogue({
    "account": {
        "fr": "Nextcloud {version} joignable, connecté en tant que « {user} » "
        "(mot de passe d'application accepté)",
        "en": "Nextcloud {version} reachable, logged in as “{user}” (app password accepted)",
    },
    "folder.ok": {
        "fr": "dossier partagé « {folder} » accessible en écriture ({permissions})",
        "en": "shared folder “{folder}” writable ({permissions})",
    },
    "folder.create": {
        "fr": "le dossier partagé « {folder} » n'existe pas encore ; "
        "il sera créé à la première synchronisation",
        "en": "shared folder “{folder}” does not exist yet; it will be created by the first sync",
    },
    "folder.readonly": {
        "fr": "le compte ne peut pas écrire dans le dossier « {folder} » (droits : {permissions})",
        "en": "the account cannot write into the folder “{folder}” (rights: {permissions})",
    },
    "calendar.missing": {
        "fr": "pas de calendrier « {calendar} » pour {user} ({url}){hint}",
        "en": "no calendar “{calendar}” for {user} ({url}){hint}",
    },
    "calendar.create": {
        "fr": " ; créez-le dans l'application Agenda de Nextcloud, connecté en tant que {user} "
        "(« + Nouveau calendrier »), ou partagez-en un avec {user}, puis mettez dans calendar le dernier segment "
        "de son adresse (…/remote.php/dav/calendars/{user}/<segment>/)",
        "en": "; create it in Nextcloud's Calendar app, logged in as {user} (“+ New calendar”), or share one "
        "with {user}, then set calendar to the last segment of its address "
        "(…/remote.php/dav/calendars/{user}/<segment>/)",
    },
    "calendar.hint": {
        "fr": ' ; « {name} » a pour segment d\'URL « {segment} » : mettez calendar = "{segment}"',
        "en": '; “{name}” has the URL segment “{segment}”: set calendar = "{segment}"',
    },
    "password.missing": {
        "fr": "mot de passe d'application manquant (app_password ou app_password_file)",
        "en": "app password missing (app_password or app_password_file)",
    },
})


#: Projection key telling whether the shared folder's exports were made from this event.
EXPORTED = "exported"


def _without_exported(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k != EXPORTED}


say = MESSAGES.say


class NextcloudConnector(CalendarConnector):
    """Calendar events over CalDAV plus the exports in a shared folder over WebDAV."""

    type = "nextcloud"
    config_model = NextcloudConfig
    config: NextcloudConfig
    capabilities: ClassVar[Capability] = (
        Capability.READ
        | Capability.WRITE
        | Capability.DELETE
        | Capability.ANNOUNCE
    )
    _http: httpx.AsyncClient | None = None
    _talk: TalkChannel | None = None

    # where things are ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.config.url.rstrip("/")

    def calendar_url(self) -> str:
        user, calendar = quote(self.config.username), quote(self.config.calendar.strip("/"))
        return f"{self.base_url}/remote.php/dav/calendars/{user}/{calendar}/"

    def credentials(self) -> tuple[str | None, str | None]:
        password = self.secret("app_password")
        if not password:
            raise ConfigError(
                f"connectors.{self.name}: " + say("password.missing", self.ctx.language)
            )
        return self.config.username, password

    @property
    def http(self) -> httpx.AsyncClient:
        """One client per account (Nextcloud ties session cookies to the first login)."""
        if self._http is None:
            user, password = self.credentials()
            self._http = build_client(
                self.name,
                self.ctx.counter,
                auth=(user or "", password or ""),
                verify=self.config.verify,
                timeout=self.timeout,
                language=self.ctx.language,
            )
        return self._http

    @property
    def folder(self) -> SharedFolder | None:
        if not self.config.folder:
            return None
        return SharedFolder(
            self.http, self.base_url, self.config.username, self.config.folder, self.name
        )

    def staging(self) -> FilesConnector:
        """The ``files`` connector rendering the exports into a local folder."""
        path = Path(self.config.staging or f".hub-{self.name}-exports")
        config = FilesConfig.model_validate({"path": str(path)})
        return FilesConnector(self.name, config, self.ctx)

    async def close(self) -> None:
        await super().close()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # check ---------------------------------------------------------------------------------
    async def check(self) -> list[str]:
        lang = self.ctx.language
        user, password = self.credentials()
        nc = ocs.client(
            self.base_url,
            user or "",
            password or "",
            self.config.verify,
            lambda method, status: self.ctx.counter.add(self.name, 1, method, status),
        )
        try:
            account = await ocs.account(nc, self.name, lang)
            proved = [say("account", lang, version=account.version, user=account.user)]
            try:
                proved += await super().check()
            except NotFound:
                raise ConfigError(await self._calendar_hint(account.user)) from None
            if self.config.folder:
                rights = await ocs.folder_rights(nc, self.config.folder, self.name, lang)
                # Folders say "C" when files may be created in them (RGDNVCK on a writable one).
                if "C" in rights.permissions and not rights.exists:
                    proved.append(say("folder.create", lang, folder=self.config.folder))
                elif "C" in rights.permissions:
                    proved.append(
                        say(
                            "folder.ok",
                            lang,
                            folder=self.config.folder,
                            permissions=rights.permissions,
                        )
                    )
                else:
                    raise AuthError(
                        say(
                            "folder.readonly",
                            lang,
                            folder=self.config.folder,
                            permissions=rights.permissions or "-",
                        ),
                        connector=self.name,
                    )
        finally:
            await ocs.close(nc)
        return proved

    async def missing_calendar(self, what: str, error: CalendarMissing) -> str:
        return await self._calendar_hint(self.config.username)

    async def _calendar_hint(self, user: str) -> str:
        """The "no such calendar" message: the URL segment when a calendar of the account has
        that display name, else how to create the calendar."""
        lang = self.ctx.language
        hint = say("calendar.create", lang, user=user)
        home = f"{self.base_url}/remote.php/dav/calendars/{quote(user)}/"
        try:
            response = await self.http.request(
                "PROPFIND",
                home,
                headers={"Depth": "1"},
                content='<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>',
            )
        except httpx.TransportError:
            response = None  # the hint is a courtesy: the message stands without it
        if response is not None and response.status_code == 207:
            from xml.etree import ElementTree

            wanted = " ".join(self.config.calendar.casefold().split())
            try:
                items = list(ElementTree.fromstring(response.content).iter("{DAV:}response"))
            except ElementTree.ParseError:
                items = []
            for item in items:
                name = item.findtext(".//{DAV:}displayname") or ""
                if name and " ".join(name.casefold().split()) == wanted:
                    segment = (item.findtext("{DAV:}href") or "").rstrip("/").rsplit("/", 1)[-1]
                    hint = say("calendar.hint", lang, name=name, segment=segment)
                    break
        url = f"{home}{quote(self.config.calendar.strip('/'))}/"
        return say("calendar.missing", lang, calendar=self.config.calendar, user=user, url=url, hint=hint)

    # the exports follow calendar edits --------------------------------------------------
    # An edit made in this very calendar reaches the canonical programme, but the engine has
    # nothing to write back here (the calendar already holds it), so the shared folder would
    # keep the old programme. With a folder, the projection therefore also says "the exports
    # were made from this": True when the hub wrote the event, False when a person edited it
    # since (its X-HUB-HASH no longer matches). A person's edit thus plans one update here,
    # which republishes the folder and leaves the event itself untouched.
    def project(self, session: Session, programme: Programme) -> dict[str, Any]:
        projection = super().project(session, programme)
        if self.config.folder:
            projection[EXPORTED] = True
        return projection

    def read_fields(self, event: ReadEvent) -> dict[str, Any]:
        fields = super().read_fields(event)
        if self.config.folder:
            fields = {**fields, EXPORTED: event.as_written}
        return fields

    async def upsert(self, op: Op, programme: Programme) -> RemoteRef:
        link = op.link
        if (
            op.action == "update"
            and link is not None
            and link.remote_id is not None
            and link.base is not None
            and op.projection is not None
            and _without_exported(op.projection) == _without_exported(link.base)
        ):
            return RemoteRef(link.remote_id, link.remote_version)  # the event already says it
        return await super().upsert(op, programme)

    # writes --------------------------------------------------------------------------------
    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        folder = self.folder
        if folder is not None and ops:
            try:
                await self.publish(folder, ops, programme)
            except (PermanentError, PreconditionFailed) as exc:
                return [exc for _ in ops]
        results = await super().apply(ops, programme)
        if self.config.talk_room and ops:
            await self._talk_board(ops, programme)
        return results

    # Talk ----------------------------------------------------------------------------------
    @property
    def talk(self) -> TalkChannel:
        """The Talk room: announcements and the day messages."""
        if self._talk is None or self._talk.client.http is not self.http:
            user, password = self.credentials()
            client = TalkClient(
                self.http, self.base_url, user or "", password or "", self.name, lang=self.ctx.language
            )
            board = board_store(self.ctx, f"{self.name}.talk", None, key="talk-board")
            self._talk = TalkChannel(client, self.targets(), self.ctx.language, board)
        return self._talk

    def targets(self) -> list[str]:
        return [self.config.talk_room] if self.config.talk_room else []

    async def announce(self, target: str, announcement: Announcement) -> RemoteRef:
        return await self.talk.announce(target, announcement)

    def chat_frontend(self, responder: Responder, inbox: Inbox) -> TalkFrontend | None:
        """The bot in the Talk room (none without ``talk_room``); it reaches the room through
        :attr:`talk` when it starts."""
        if not self.targets():
            return None
        return TalkFrontend(lambda: self.talk.client, self.targets(), responder, inbox, channel=self.name,
                            secret=lambda: self.secret("talk_bot_secret"))

    @classmethod
    def chat_webhook(cls, config: NextcloudConfig, base_dir: Path, lang: str) -> ChatWebhook | None:
        """The Talk bot's webhook, from the section's configuration alone (a hosting deployment's
        web front checks requests with it, then queues them for a worker's :meth:`chat_frontend`)."""
        rooms = [config.talk_room] if config.talk_room else []
        return talk_webhook(config.secret("talk_bot_secret", base_dir, lang=lang), rooms)

    def chat_policy(self) -> ChannelPolicy | None:
        if not self.targets():
            return None
        return TalkFrontend.policy(self.targets(), frozenset(self.config.talk_admins), language=self.ctx.language)

    async def post_text(self, target: str, text: str) -> None:
        """An admin's announcement from a chat, as inert Markdown; its ``referenceId`` comes from
        the text, so a send whose answer was lost is found again rather than repeated."""
        shown = escape(text, "markdown")
        await self.talk.client.send(target, shown, reference=reference_id("announce", target, shown))

    async def refresh(self, programme: Programme) -> None:
        """The Talk room's day messages follow the days as time passes."""
        if self.config.talk_room and self.talk.board.due(programme):
            await self._talk_board([], programme)

    async def _talk_board(self, ops: Sequence[Op], programme: Programme) -> None:
        """The room's day messages follow the calendar; a Talk failure never undoes it."""
        try:
            await self.talk.apply_board(ops, programme)
        except ConnectorError as exc:
            logging.getLogger(__name__).warning("Talk programme messages not updated: %s", exc)

    async def publish(self, folder: SharedFolder, ops: Sequence[Op], programme: Programme) -> None:
        staging = self.staging()
        for result in await staging.apply(ops, programme):
            if not isinstance(result, RemoteRef):
                raise result
        config = staging.config
        names = [config.ics, config.json_name, config.html]
        await folder.publish({name: (staging.folder / name).read_bytes() for name in names})

    async def published(self) -> dict[str, str | None]:
        """name -> etag of what the shared folder holds (for ``hub status`` and tests)."""
        folder = self.folder
        if folder is None:
            return {}
        listing = await folder.listing() or {}
        return {name: etag for name, (etag, _perm) in listing.items() if name}
