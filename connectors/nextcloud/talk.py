"""Nextcloud Talk: the chat side of the ``nextcloud`` connector (OCS chat API over httpx).

:class:`TalkClient` speaks the API (send with a ``referenceId``, edit, delete, history);
:class:`TalkChannel` is what the connector exposes: ``targets()``, ``announce()`` and the day
messages (``apply_board()``), in Markdown, Talk's rendering.

Duplicate guard: every message the hub sends carries a ``referenceId`` derived from what it is
(announcement id, room, part; or board day and text). Before sending, the room's recent history
is searched for that id, so a send whose answer was lost (crash, timeout) is found instead of
repeated; and day messages whose ids were forgotten are found again the same way.

Edits need Talk >= 18 (``edit-messages`` in the capabilities) and a message younger than 24 h;
otherwise the day message gets a correction: a reply to the old message with the new text.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.chat_board import Board, BoardStore, Pacer, Posted, StateBoardStore, digest
from connectors.chat_render import announcement_parts
from connectors.http import describe_transport_error, request_error, request_language, retry_after_seconds
from sync.announce import Announcement, Format
from sync.errors import ConnectorError, PermanentError
from sync.model import Programme
from sync.protocol import Op, OpResult, RemoteRef

log = logging.getLogger(__name__)
CHAT = "/ocs/v2.php/apps/spreed/api/v1/chat"
CAPABILITIES = "/ocs/v2.php/cloud/capabilities"
MAX_MESSAGE = 32000
EDIT_MAX_AGE = 24 * 3600
HEADERS = {"OCS-APIRequest": "true", "Accept": "application/json"}


def reference_id(*parts: str) -> str:
    """A sha256 hex reference id (what Talk stores and lets clients find their message by)."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TalkMessage:
    id: int
    timestamp: int
    reference_id: str
    message: str
    actor: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TalkMessage:
        return cls(
            int(data["id"]),
            int(data.get("timestamp", 0)),
            str(data.get("referenceId") or ""),
            str(data.get("message", "")),
            str(data.get("actorId", "")),
        )


class TalkClient:
    """The Talk chat API for one account (one HTTP client per account: Nextcloud's session
    cookies would otherwise mix accounts up)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        username: str,
        password: str,
        connector: str,
        *,
        lang: str | None = None,
    ) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self.auth = httpx.BasicAuth(username, password)
        self.username = username
        self.connector = connector
        self.lang = lang
        self._features: frozenset[str] | None = None

    async def _request(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.http.request(
                method, self.url + path, auth=self.auth, headers=HEADERS, **kwargs
            )
        except httpx.TransportError as exc:
            raise describe_transport_error(exc, self.connector, lang=self.lang, what=what) from None
        if response.status_code >= 400:
            raise self._error(response, what)
        return response

    def _error(self, response: httpx.Response, what: str) -> ConnectorError:
        """Talk's refusal, naming the request and the status (and Talk's reason when it gives one).

        In Talk a 403/404/412 is about the room (read-only, gone, lobby): that message is
        refused, the credentials are not in question; a 401 is about them."""
        reason = ""
        try:
            data = response.json()["ocs"]["data"]
            reason = data.get("error", "") if isinstance(data, dict) else ""
        except (ValueError, KeyError, TypeError):
            pass
        request = response.request
        return request_error(
            response.status_code,
            request.method,
            request.url,
            connector=self.connector,
            lang=self.lang or request_language(request),
            what=what,
            detail=str(reason),
            retry_after=retry_after_seconds(response.headers),
            auth=(401,),
            conditional=False,
        )

    async def features(self) -> frozenset[str]:
        """Talk's feature list (``edit-messages``, ``chat-reference-id``...), read once."""
        if self._features is None:
            response = await self._request(
                "GET", CAPABILITIES, "capabilities", params={"format": "json"}
            )
            spreed = response.json()["ocs"]["data"].get("capabilities", {}).get("spreed", {})
            self._features = frozenset(spreed.get("features", []))
        return self._features

    async def send(
        self,
        room: str,
        message: str,
        *,
        reference: str = "",
        reply_to: int | None = None,
        silent: bool = False,
    ) -> TalkMessage:
        if len(message) > MAX_MESSAGE:
            raise PermanentError(
                f"room {room}: message longer than {MAX_MESSAGE} characters",
                connector=self.connector,
            )
        body: dict[str, Any] = {"message": message, "silent": silent}
        if reference:
            body["referenceId"] = reference
        if reply_to is not None:
            body["replyTo"] = reply_to
        response = await self._request(
            "POST", f"{CHAT}/{room}", f"room {room}", json=body, params={"format": "json"}
        )
        return TalkMessage.from_api(response.json()["ocs"]["data"])

    async def edit(self, room: str, message_id: int, message: str) -> TalkMessage:
        response = await self._request(
            "PUT",
            f"{CHAT}/{room}/{message_id}",
            f"room {room}",
            json={"message": message},
            params={"format": "json"},
        )
        return TalkMessage.from_api(response.json()["ocs"]["data"])

    async def delete(self, room: str, message_id: int) -> None:
        await self._request(
            "DELETE", f"{CHAT}/{room}/{message_id}", f"room {room}", params={"format": "json"}
        )

    async def recent(self, room: str, limit: int = 200) -> list[TalkMessage]:
        """The room's latest messages, newest first (one request)."""
        response = await self._request(
            "GET",
            f"{CHAT}/{room}",
            f"room {room}",
            params={
                "format": "json",
                "lookIntoFuture": 0,
                "limit": limit,
                "setReadMarker": 0,
                "markNotificationsAsRead": 0,
                "noStatusUpdate": 1,
            },
        )
        if response.status_code == 304 or not response.content:
            return []
        return [TalkMessage.from_api(m) for m in response.json()["ocs"]["data"]]

    async def find(self, room: str, reference: str) -> TalkMessage | None:
        """A message of ours carrying ``reference`` among the room's latest ones."""
        for message in await self.recent(room):
            if message.reference_id == reference and message.actor == self.username:
                return message
        return None


class TalkChannel:
    """Announcements and day messages for the Talk rooms of one Nextcloud connector."""

    fmt: Format = "markdown"
    limit = MAX_MESSAGE

    def __init__(
        self,
        client: TalkClient,
        rooms: Sequence[str],
        lang: str,
        board: BoardStore | StateBoardStore,
        *,
        pace_seconds: float = 1.0,
        max_wait: float = 10.0,
    ) -> None:
        self.client = client
        self.rooms = list(rooms)
        self.lang = lang
        self.clock = time.time
        self.pacer = Pacer(pace_seconds, 0, max_wait)
        self.board = Board(self, self.rooms, lang, board)

    def targets(self) -> list[str]:
        return list(self.rooms)

    async def announce(self, target: str, announcement: Announcement) -> RemoteRef:
        if target not in self.rooms:
            raise PermanentError(
                f"room {target} is not in the configuration", connector=self.client.connector
            )
        ids: list[str] = []
        parts = announcement_parts(announcement, self.lang, "markdown", self.limit)
        for index, part in enumerate(parts):
            reference = reference_id("announce", announcement.id, target, str(index))
            found = await self.client.find(target, reference)  # sent before, answer lost?
            message = found or await self._send(target, part, reference=reference)
            ids.append(str(message.id))
        return RemoteRef(",".join(ids))

    async def apply_board(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        return await self.board.apply(ops, programme)

    # board platform --------------------------------------------------------------------------
    async def _send(self, room: str, text: str, **kwargs: Any) -> TalkMessage:
        async with self.pacer.lock(room):
            await self.pacer.wait(room, True, self.client.connector)
            return await self.client.send(room, text, **kwargs)

    async def post(self, target: str, text: str, *, silent: bool) -> Posted:
        reference = reference_id("board", target, digest(text))
        found = await self.client.find(target, reference)
        if found is not None and found.message != text:
            found = None  # the same text was shown once, then edited away: post it again
        message = found or await self._send(target, text, reference=reference, silent=silent)
        return Posted(str(message.id), float(message.timestamp), digest(text))

    async def revise(self, target: str, old: Posted, text: str) -> Posted:
        young = self.clock() - old.sent_at < EDIT_MAX_AGE - 600
        if young and "edit-messages" in await self.client.features():
            try:
                await self.client.edit(target, int(old.id), text)
                return Posted(old.id, old.sent_at, digest(text))
            except PermanentError as exc:  # too old after all, or deleted: correct by a reply
                log.info("day message not edited, replying instead: %s", exc)
        message = await self._send(
            target,
            text,
            reply_to=int(old.id),
            silent=True,
            reference=reference_id("board", target, digest(text)),
        )
        return Posted(str(message.id), float(message.timestamp), digest(text))

    async def retire(self, target: str, old: Posted) -> None:
        await self.client.delete(target, int(old.id))

    async def pin(self, target: str, posted: Posted) -> None:
        """Talk's message pinning is not part of the chat API the hub relies on."""
