"""A fake signal-cli-rest-api (>= 0.101, ``json-rpc`` mode), schema-exact for signalbot 2.x.

signalbot validates every answer with pydantic models generated from the real API's schemas,
so each answer here carries every required key. Request bodies are JSON whatever the
Content-Type (signalbot sends ``text/plain``), as the real server parses them.

Endpoints: ``GET /v1/health`` (204), ``GET /v1/about``, ``GET /v1/accounts`` (the numbers held),
``GET /v1/qrcodelink/raw?device_name=`` (``{"device_link_uri": "sgnl://linkdevice?…"}``; 400
without a device name), ``GET /v1/groups/<number>[/<id>]``,
``POST /v2/send`` (201 with a one-element list ``[{"timestamp": "<ms>"}]``, optional
``errors.recipients`` for members that did not get it; 400 ``{"error"}``; 429 with
``challenge_tokens`` when Signal rate-limits or asks for a CAPTCHA), ``DELETE
/v1/remote-delete/<number>``, and the json-rpc receive websocket ``/v1/receive/<number>``.

Edits (``edit_timestamp``) are delivered like the real service does: the server accepts them,
and members' apps apply an edit only within the edit window (24 h after the original); later
edits are dropped by the apps, so :meth:`FakeSignal.shown` keeps the old text.

Test-side API (thread-safe)::

    with FakeSignal("+4915112345678").running() as sig:      # sig.service -> "127.0.0.1:<port>"
        gid = sig.add_group("Assemblée", members=["+4917612345678"])   # returns the "group.…" id
        sig.inject_message(gid, "quand ?", source="+4917612345678")    # -> receive websocket
        sig.inject_message(gid, "/statut", source=None, uuid="0b3c7e7e-…")  # number hidden: UUID only
        sig.rate_limit(times=1)                  # next send answers 429 (challenge tokens)
        sig.partial_failure(["+4917612345678"], times=1)   # next send misses that member
        sig.advance(hours=25)                    # the fake's clock (edit window) moves on
        sig.shown(gid)                           # texts members see now, oldest first
        sig.sent                                 # every accepted send: SignalSent(...)
        FakeSignal(linked=False)                 # no account yet: /v1/accounts is []
        sig.scan_link()                          # the phone scanned the last device link
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import threading
import time
import uuid as uuid_module
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.fakes.loopback import serve

EDIT_WINDOW_MS = 24 * 3600 * 1000
ABOUT = {
    "versions": ["v1", "v2"],
    "build": 2,
    "mode": "json-rpc",
    "version": "0.101",
    "capabilities": {"v2/send": ["quotes", "mentions"]},
}


@dataclass
class SignalSent:
    """One accepted ``/v2/send``: what was asked and what the members now see."""

    recipient: str
    message: str
    timestamp: int
    text_mode: str | None
    edit_timestamp: int | None
    delivered_to: list[str]
    shown: str = ""
    edits: list[str] = field(default_factory=list)
    deleted: bool = False


@dataclass
class _Group:
    name: str
    internal_id: str
    id: str
    members: list[str]

    def to_api(self, number: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": "",
            "id": self.id,
            "internal_id": self.internal_id,
            "members": [number, *self.members],
            "blocked": False,
            "member": True,
            "pending_invites": [],
            "pending_requests": [],
            "invite_link": "",
            "admins": [number],
            "permissions": {
                "add_members": "every-member",
                "edit_group": "only-admins",
                "send_messages": "every-member",
            },
        }


class FakeSignal:
    """State and HTTP face of the fake signal-cli-rest-api; see the module docstring."""

    def __init__(self, number: str = "+4915112345678", *, linked: bool = True) -> None:
        self.number = number
        #: The account is there (registered or linked); else /v1/accounts is empty until a
        #: device link is asked for and :meth:`scan_link` says the phone scanned it.
        self.linked = linked
        self.link_requested: str | None = None
        self.service = ""
        self.sent: list[SignalSent] = []
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.RLock()
        self._groups: dict[str, _Group] = {}
        self._frames: list[str] = []
        self._offset_ms = 0
        self._last_ts = 0
        self._rate_limits: list[list[Any]] = []
        self._partials: list[list[Any]] = []
        self._failures: list[list[Any]] = []
        self._stopping = False

    # test-side API ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.service}"

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeSignal]:
        self._stopping = False
        with serve(self.app()) as url:
            self.service = url.removeprefix("http://")
            try:
                yield self
            finally:
                self._stopping = True

    def scan_link(self) -> None:
        """The phone scanned the QR code of the last ``/v1/qrcodelink/raw``: the account is linked."""
        with self._lock:
            assert self.link_requested is not None, "no device link was asked for"
            self.linked = True

    def add_group(self, name: str, members: list[str] | None = None) -> str:
        """Create a group the bot belongs to; returns its public ``group.…`` id."""
        internal = base64.b64encode(os.urandom(32)).decode()
        public = "group." + base64.b64encode(internal.encode()).decode()
        with self._lock:
            self._groups[public] = _Group(name, internal, public, list(members or []))
        return public

    def internal_id(self, group_id: str) -> str:
        return self._groups[group_id].internal_id

    def now_ms(self) -> int:
        with self._lock:
            stamp = max(int(time.time() * 1000) + self._offset_ms, self._last_ts + 1)
            self._last_ts = stamp
            return stamp

    def advance(self, *, hours: float = 0, seconds: float = 0) -> None:
        """Move the fake's clock forward (edit windows) without sleeping."""
        with self._lock:
            self._offset_ms += int((hours * 3600 + seconds) * 1000)

    def rate_limit(self, *, times: int = 1, captcha: bool = True) -> None:
        """The next ``times`` sends answer 429 (a CAPTCHA challenge when ``captcha``)."""
        with self._lock:
            self._rate_limits.append([times, captcha])

    def fail(self, status: int, *, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """The next ``times`` sends answer ``status`` (a proxy refusing the credentials, a crash)."""
        with self._lock:
            self._failures.append([times, status, dict(headers or {})])

    def partial_failure(
        self, members: list[str], *, times: int = 1, reason: str = "Unregistered user"
    ) -> None:
        """The next ``times`` group sends reach everyone but ``members``."""
        with self._lock:
            self._partials.append([times, members, reason])

    def shown(self, recipient: str) -> list[str]:
        """The texts members of ``recipient`` see, oldest first (deleted ones left out)."""
        with self._lock:
            return [
                s.shown
                for s in self.sent
                if s.recipient == recipient and s.edit_timestamp is None and not s.deleted
            ]

    def sends_to(self, recipient: str) -> list[SignalSent]:
        with self._lock:
            return [s for s in self.sent if s.recipient == recipient]

    def inject_message(
        self,
        group_id: str | None,
        text: str,
        *,
        source: str | None = "+4917612345678",
        name: str = "Ann",
        uuid: str | None = None,
    ) -> dict[str, Any]:
        """Queue an incoming message (group message when ``group_id``) on the receive socket.

        The envelope names the sender as signal-cli does: ``sourceNumber`` (``source=None`` for
        someone who hides their number from the bot: null there), ``sourceUuid`` (their account's
        ACI, always given; by default one derived from the number, so each person has their own),
        ``source`` (the number, else the UUID) and ``sourceName``, their profile name, which
        they choose freely.
        """
        account = uuid or str(uuid_module.uuid5(uuid_module.NAMESPACE_URL, f"signal:{source}"))
        stamp = self.now_ms()
        data: dict[str, Any] = {
            "timestamp": stamp,
            "message": text,
            "expiresInSeconds": 0,
            "viewOnce": False,
        }
        if group_id is not None:
            group = self._groups[group_id]
            data["groupInfo"] = {
                "groupId": group.internal_id,
                "groupName": group.name,
                "revision": 3,
                "type": "DELIVER",
            }
        frame = {
            "account": self.number,
            "envelope": {
                "source": source or account,
                "sourceNumber": source,
                "sourceUuid": account,
                "sourceName": name,
                "sourceDevice": 1,
                "timestamp": stamp,
                "serverReceivedTimestamp": stamp + 100,
                "serverDeliveredTimestamp": stamp + 200,
                "dataMessage": data,
            },
        }
        with self._lock:
            self._frames.append(json.dumps(frame))
        return frame

    # HTTP ------------------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/health", self._health),
                Route("/v1/about", self._about),
                Route("/v1/accounts", self._accounts),
                Route("/v1/qrcodelink/raw", self._qrcodelink_raw),
                Route("/v1/groups/{number}", self._groups_list),
                Route("/v1/groups/{number}/{group}", self._group_one),
                Route("/v2/send", self._send, methods=["POST"]),
                Route("/v1/remote-delete/{number}", self._remote_delete, methods=["DELETE"]),
                WebSocketRoute("/v1/receive/{number}", self._receive),
            ]
        )

    def _log(self, request: Request, status: int) -> None:
        with self._lock:
            self.requests.append((request.method, request.url.path, status))

    def _error(self, request: Request, status: int, message: str, **extra: Any) -> JSONResponse:
        self._log(request, status)
        return JSONResponse({"error": message, **extra}, status_code=status)

    async def _health(self, request: Request) -> Response:
        self._log(request, 204)
        return Response(status_code=204)

    async def _about(self, request: Request) -> Response:
        self._log(request, 200)
        return JSONResponse(ABOUT)

    async def _accounts(self, request: Request) -> Response:
        self._log(request, 200)
        return JSONResponse([self.number] if self.linked else [])

    async def _qrcodelink_raw(self, request: Request) -> Response:
        name = request.query_params.get("device_name", "")
        if not name:
            return self._error(request, 400, "Please provide a name for the device")
        key = base64.urlsafe_b64encode(os.urandom(33)).decode()
        uri = f"sgnl://linkdevice?uuid={uuid_module.uuid4().hex[:22]}&pub_key={key}"
        with self._lock:
            self.link_requested = name
        self._log(request, 200)
        return JSONResponse({"device_link_uri": uri})

    async def _groups_list(self, request: Request) -> Response:
        if request.path_params["number"] != self.number:
            return self._error(request, 400, "User is not registered.")
        self._log(request, 200)
        with self._lock:
            return JSONResponse([g.to_api(self.number) for g in self._groups.values()])

    async def _group_one(self, request: Request) -> Response:
        group = self._groups.get(request.path_params["group"])
        if request.path_params["number"] != self.number or group is None:
            return self._error(request, 400, "Group not found")
        self._log(request, 200)
        return JSONResponse(group.to_api(self.number))

    async def _send(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            assert isinstance(body, dict)
        except (ValueError, AssertionError):
            return self._error(request, 400, "Couldn't process request - invalid request")
        recipients = list(body.get("recipients") or [])
        if body.get("recipient"):
            recipients.append(body["recipient"])
        if not recipients:
            return self._error(
                request, 400, "Couldn't process request - please provide at least one recipient"
            )
        if not body.get("number"):
            return self._error(
                request, 400, "Couldn't process request - please provide a valid number"
            )
        if body["number"] != self.number:
            return self._error(request, 400, f"User {body['number']} is not registered.")
        if not isinstance(body.get("message", ""), str):
            return self._error(request, 400, "Couldn't process request - invalid request")
        with self._lock:
            if self._failures:
                failure = self._failures[0]
                failure[0] -= 1
                if failure[0] <= 0:
                    self._failures.pop(0)
                self._log(request, failure[1])
                return JSONResponse({"error": "injected"}, status_code=failure[1], headers=failure[2])
            if self._rate_limits:
                entry = self._rate_limits[0]
                entry[0] -= 1
                if entry[0] <= 0:
                    self._rate_limits.pop(0)
                tokens = ["b3a5c0f8-challenge-token"] if entry[1] else []
                return self._error(
                    request,
                    429,
                    "Failed to send message due to rate limiting. Use the attached challenge "
                    "tokens to lift the rate limit restrictions via the "
                    "'/v1/accounts/{number}/rate-limit-challenge' endpoint.",
                    challenge_tokens=tokens,
                    account=self.number,
                )
            results = []
            for recipient in recipients:
                result = self._deliver(recipient, body)
                if isinstance(result, str):
                    return self._error(request, 400, result)
                results.append(result)
        self._log(request, 201)
        return JSONResponse(results, status_code=201)

    def _deliver(self, recipient: str, body: dict[str, Any]) -> dict[str, Any] | str:
        """One recipient's send: the response element, or the error text for a 400."""
        if recipient.startswith("group."):
            group = self._groups.get(recipient)
            if group is None:
                return "Failed to send message: Unknown group id"
            members = list(group.members)
        else:
            members = [recipient]
        stamp = self.now_ms()
        failed: list[dict[str, Any]] = []
        if self._partials and recipient.startswith("group."):
            entry = self._partials[0]
            entry[0] -= 1
            if entry[0] <= 0:
                self._partials.pop(0)
            failed = [{"number": m, "reason": entry[2]} for m in entry[1] if m in members]
            members = [m for m in members if m not in entry[1]]
        edit = body.get("edit_timestamp")
        text = body.get("message", "")
        sent = SignalSent(
            recipient,
            text,
            stamp,
            body.get("text_mode"),
            int(edit) if edit is not None else None,
            members,
            text,
        )
        if sent.edit_timestamp is not None:
            target = next(
                (
                    s
                    for s in self.sent
                    if s.recipient == recipient and s.timestamp == sent.edit_timestamp
                ),
                None,
            )
            if target is not None and stamp - target.timestamp <= EDIT_WINDOW_MS:
                target.shown = text  # members' apps apply edits inside the window only
                target.edits.append(text)
        self.sent.append(sent)
        out: dict[str, Any] = {"timestamp": str(stamp)}
        if failed:
            out["errors"] = {"recipients": failed}
        return out

    async def _remote_delete(self, request: Request) -> Response:
        body = json.loads(await request.body())
        with self._lock:
            for s in self.sent:
                if s.recipient == body.get("recipient") and s.timestamp == int(body["timestamp"]):
                    s.deleted = True
                    self._log(request, 201)
                    return JSONResponse({"timestamp": str(self.now_ms())}, status_code=201)
        return self._error(request, 400, "Failed to remote delete message: message not found")

    async def _receive(self, websocket: WebSocket) -> None:
        await websocket.accept()
        if websocket.path_params["number"] != self.number:
            await websocket.close()
            return
        try:
            while not self._stopping:
                with self._lock:
                    frames, self._frames = self._frames, []
                for index, frame in enumerate(frames):
                    try:
                        await websocket.send_text(frame)
                    except (WebSocketDisconnect, RuntimeError):
                        # The socket went away under the send: the frames not sent wait for the
                        # next receiver, as frames queued while nobody is connected do.
                        with self._lock:
                            self._frames[:0] = frames[index:]
                        raise
                with contextlib.suppress(TimeoutError):
                    message = await asyncio.wait_for(websocket.receive(), 0.05)
                    if message["type"] == "websocket.disconnect":
                        return
            await websocket.close()
        except (WebSocketDisconnect, RuntimeError):
            return
