"""A fake Nextcloud Talk (spreed) chat API behind the OCS envelope, for httpx clients.

Faithful to what a chat client meets on a real server: HTTP Basic auth (401 in the OCS
envelope), the ``OCS-APIRequest: true`` header (412 "CSRF check failed" without it), JSON
answers when asked with ``format=json`` or ``Accept: application/json``, OCS v2 status codes
equal to HTTP statuses, form or JSON bodies.

Endpoints (base ``/ocs/v2.php/apps/spreed/api/v1``): ``POST /chat/{token}`` (``message`` <= 32000
chars else 413, ``replyTo``, ``referenceId``, ``silent``; 201 with the message),
``GET /chat/{token}`` (history with ``lookIntoFuture=0``, newest first, ``limit``,
``lastKnownMessageId``; 304 with an empty body when nothing is newer; ``X-Chat-Last-Given``),
``PUT /chat/{token}/{id}`` (edit; only with the ``edit-messages`` feature, Talk >= 18; own
messages; 400 ``{"error": "age"}`` after 24 h), ``DELETE /chat/{token}/{id}``, and
``GET /ocs/v{1,2}.php/cloud/capabilities`` (``spreed.features``) and ``/cloud/user``.

Test-side API (thread-safe)::

    with FakeTalk(user="hub", password="app-pass").running() as talk:   # talk.url
        talk.add_room("abcd1234", "Assemblée")
        talk.inject_message("abcd1234", "quand ?", actor="ann")      # a user of the server
        talk.inject_message("abcd1234", "/sync", actor="ann", actor_type="guests")   # anyone else
        talk.fail("send", status=503, times=1)       # "send" | "edit" | "history" | "delete"
        talk.advance(hours=25)                       # the fake's clock (edit age)
        talk.edit_supported = False                  # behave like Talk 17 (no edit-messages)
        talk.shown("abcd1234")                       # room's visible texts, oldest first
        talk.messages("abcd1234")                    # full message dicts as the API gives them
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import serve

BASE = "/ocs/v2.php/apps/spreed/api/v1"
MAX_MESSAGE = 32000
EDIT_MAX_AGE = 24 * 3600
FEATURES = [
    "chat-v2",
    "chat-reference-id",
    "chat-read-marker",
    "reactions",
    "bots-v1",
    "silent-send",
]


class OcsError(Exception):
    def __init__(self, status: int, message: str = "", data: Any = None) -> None:
        self.status, self.message, self.data = status, message, data
        super().__init__(message)


@dataclass
class _Fault:
    action: str
    status: int
    times: int


def ocs(data: Any, status: int = 200, message: str = "OK") -> JSONResponse:
    ok = 200 <= status < 300
    return JSONResponse(
        {
            "ocs": {
                "meta": {
                    "status": "ok" if ok else "failure",
                    "statuscode": status,
                    "message": message,
                    "totalitems": "",
                    "itemsperpage": "",
                },
                "data": data,
            }
        },
        status_code=status,
    )


class FakeTalk:
    """State and HTTP face of the fake Talk server; see the module docstring."""

    def __init__(self, user: str = "hub", password: str = "app-password-0000") -> None:
        self.user, self.password = user, password
        self.url = ""
        self.edit_supported = True
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.RLock()
        self._rooms: dict[str, str] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._next_id = 1
        self._offset = 0.0
        self._faults: list[_Fault] = []

    # test-side API ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def running(self) -> Iterator[FakeTalk]:
        with serve(self.app()) as url:
            self.url = url
            yield self

    def add_room(self, token: str, name: str = "") -> None:
        with self._lock:
            self._rooms[token] = name or token
            self._messages.setdefault(token, [])

    def now(self) -> int:
        return int(time.time() + self._offset)

    def advance(self, *, hours: float = 0, seconds: float = 0) -> None:
        with self._lock:
            self._offset += hours * 3600 + seconds

    def fail(self, action: str, *, status: int = 503, times: int = 1) -> None:
        """The next ``times`` calls of ``action`` (send, edit, history, delete) fail."""
        with self._lock:
            self._faults.append(_Fault(action, status, times))

    def inject_message(
        self, token: str, text: str, *, actor: str = "ann", name: str = "Ann", actor_type: str = "users"
    ) -> dict[str, Any]:
        """A message from a room member (what the hub's bots would read). ``actor_type`` is Talk's:
        ``users`` (an account of the server), ``guests`` (guests and e-mail guests), ``bridged``
        (Matterbridge), ``federated_users``, ``bots``; only ``users`` ids are the server's to give."""
        with self._lock:
            return self._add(token, text, actor, name, None, "", actor_type)

    def messages(self, token: str) -> list[dict[str, Any]]:
        """Every message of the room as the API gives them, oldest first."""
        with self._lock:
            return [dict(m) for m in self._messages[token]]

    def shown(self, token: str) -> list[str]:
        """Texts of the room's visible comments, oldest first."""
        return [m["message"] for m in self.messages(token) if m["messageType"] == "comment"]

    # HTTP ------------------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/ocs/{v:path}.php/cloud/capabilities", self._capabilities),
                Route("/ocs/{v:path}.php/cloud/user", self._cloud_user),
                Route(BASE + "/chat/{token}", self._chat, methods=["GET", "POST"]),
                Route(BASE + "/chat/{token}/{mid:int}", self._one, methods=["PUT", "DELETE"]),
            ]
        )

    def _auth(self, request: Request) -> None:
        if request.headers.get("ocs-apirequest", "").lower() != "true":
            raise OcsError(412, "CSRF check failed")
        header = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if header != expected:
            raise OcsError(401, "Current user is not logged in")

    def _fault(self, action: str) -> None:
        for fault in self._faults:
            if fault.action == action and fault.times > 0:
                fault.times -= 1
                raise OcsError(fault.status, "fault")

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        body = await request.body()
        if body:
            if request.headers.get("content-type", "").startswith("application/json"):
                params.update(json.loads(body))
            else:
                params.update(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        return params

    async def _handle(self, request: Request, action: str, handler: Any) -> Response:
        try:
            self._auth(request)
            params = await self._params(request)
            with self._lock:
                self._fault(action)
                result: Response = handler(request, params)
        except OcsError as exc:
            if exc.status == 412 and exc.message == "CSRF check failed":
                result = JSONResponse({"message": exc.message}, status_code=412)
            else:
                result = ocs(exc.data if exc.data is not None else [], exc.status, exc.message)
        self.requests.append((request.method, request.url.path, result.status_code))
        return result

    async def _capabilities(self, request: Request) -> Response:
        def answer(request: Request, params: dict[str, Any]) -> Response:
            features = FEATURES + (["edit-messages"] if self.edit_supported else [])
            version = "18.0.0" if self.edit_supported else "17.1.10"
            return ocs(
                {
                    "version": {
                        "major": 28,
                        "minor": 0,
                        "micro": 0,
                        "string": "28.0.0",
                        "edition": "",
                        "extendedSupport": False,
                    },
                    "capabilities": {
                        "spreed": {
                            "features": features,
                            "version": version,
                            "config": {"chat": {"max-length": MAX_MESSAGE}},
                        }
                    },
                }
            )

        return await self._handle(request, "capabilities", answer)

    async def _cloud_user(self, request: Request) -> Response:
        return await self._handle(
            request,
            "user",
            lambda r, p: ocs({"id": self.user, "display-name": self.user.title(), "enabled": True}),
        )

    async def _chat(self, request: Request) -> Response:
        token = request.path_params["token"]
        if request.method == "POST":
            return await self._handle(request, "send", lambda r, p: self._send(token, p))
        return await self._handle(request, "history", lambda r, p: self._history(token, p))

    async def _one(self, request: Request) -> Response:
        token, mid = request.path_params["token"], request.path_params["mid"]
        if request.method == "PUT":
            return await self._handle(request, "edit", lambda r, p: self._edit(token, mid, p))
        return await self._handle(request, "delete", lambda r, p: self._delete(token, mid))

    # actions ---------------------------------------------------------------------------------
    def _room(self, token: str) -> list[dict[str, Any]]:
        if token not in self._rooms:
            raise OcsError(404, "Room not found")
        return self._messages[token]

    def _add(
        self,
        token: str,
        text: str,
        actor: str,
        name: str,
        reply_to: int | None,
        reference: str,
        actor_type: str = "users",
    ) -> dict[str, Any]:
        room = self._room(token)
        message: dict[str, Any] = {
            "id": self._next_id,
            "token": token,
            "actorType": actor_type,
            "actorId": actor,
            "actorDisplayName": name,
            "timestamp": self.now(),
            "message": text,
            "messageParameters": [],
            "systemMessage": "",
            "messageType": "comment",
            "isReplyable": True,
            "referenceId": reference,
            "reactions": {},
            "expirationTimestamp": 0,
            "markdown": True,
        }
        if reply_to is not None:
            parent = next((m for m in room if m["id"] == reply_to), None)
            if parent is None:
                raise OcsError(400, "Parent not found")
            message["parent"] = dict(parent)
        self._next_id += 1
        room.append(message)
        return message

    def _send(self, token: str, params: dict[str, Any]) -> Response:
        text = str(params.get("message", ""))
        if not text.strip():
            raise OcsError(400, "", {"error": "message"})
        if len(text) > MAX_MESSAGE:
            raise OcsError(413, "", {"error": "message"})
        reply = params.get("replyTo")
        message = self._add(
            token,
            text,
            self.user,
            self.user.title(),
            int(reply) if reply not in (None, "", 0, "0") else None,
            str(params.get("referenceId") or ""),
        )
        return ocs(message, 201, "Created")

    def _history(self, token: str, params: dict[str, Any]) -> Response:
        room = self._room(token)
        limit = min(int(params.get("limit", 100)), 200)
        future = str(params.get("lookIntoFuture", "0")) == "1"
        last = int(params.get("lastKnownMessageId", 0) or 0)
        if future:
            found = [m for m in room if m["id"] > last][:limit]
        else:
            older = [m for m in room if not last or m["id"] < last]
            found = list(reversed(older))[:limit]
        if not found:
            return Response(status_code=304)
        response = ocs([dict(m) for m in found])
        response.headers["X-Chat-Last-Given"] = str(found[-1]["id"])
        return response

    def _find(self, token: str, mid: int) -> dict[str, Any]:
        message = next((m for m in self._room(token) if m["id"] == mid), None)
        if message is None:
            raise OcsError(404, "Message not found")
        return message

    def _edit(self, token: str, mid: int, params: dict[str, Any]) -> Response:
        if not self.edit_supported:
            raise OcsError(404, "")  # Talk 17 has no such route
        message = self._find(token, mid)
        if message["messageType"] != "comment":
            raise OcsError(405, "", {"error": "message"})
        if (message["actorType"], message["actorId"]) != ("users", self.user):
            raise OcsError(403, "", {"error": "message"})
        if self.now() - message["timestamp"] > EDIT_MAX_AGE:
            raise OcsError(400, "", {"error": "age"})
        text = str(params.get("message", ""))
        if not text.strip():
            raise OcsError(400, "", {"error": "message"})
        if len(text) > MAX_MESSAGE:
            raise OcsError(413, "", {"error": "message"})
        message["message"] = text
        message["lastEditActorId"] = self.user
        message["lastEditTimestamp"] = self.now()
        return ocs(dict(message), 200)

    def _delete(self, token: str, mid: int) -> Response:
        message = self._find(token, mid)
        if (message["actorType"], message["actorId"]) != ("users", self.user):
            raise OcsError(403, "", {"error": "message"})
        message["messageType"] = "comment_deleted"
        message["message"] = "Message deleted by you"
        system = self._add(token, "You deleted a message", self.user, self.user.title(), None, "")
        system["messageType"] = "system"
        system["systemMessage"] = "message_deleted"
        return ocs(dict(message), 200)
