"""What ``hub init`` needs from a Nextcloud server: an app password without anyone typing a
password (Login Flow v2), and the account's Talk conversations.

Login Flow v2 (``core/Controller/ClientFlowLoginV2Controller``): ``POST <server>/index.php/login/v2``
answers ``{"poll": {"token", "endpoint"}, "login"}``; the person opens ``login`` in their browser,
logs in and grants access; meanwhile ``POST <endpoint>`` with ``token`` answers 404 ``[]`` until
then, and once ``{"server", "loginName", "appPassword"}`` (200), after which the flow is gone
(404 again). The app password is a secret: it is never logged or shown.

Talk: ``GET /ocs/v2.php/apps/spreed/api/v4/room`` lists the conversations the account is in,
each with its ``token`` (what ``talk_room`` takes) and ``displayName``.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from connectors.http import describe_transport_error, raise_for_response
from sync.errors import PermanentError

#: Talk conversation types a programme may be announced in (group and public rooms).
ROOM_TYPES = {2: "group", 3: "public"}


@dataclass(frozen=True)
class LoginFlow:
    """A started login: the page the person opens, and where the hub polls for the result."""

    login: str
    endpoint: str
    token: str


@dataclass(frozen=True)
class Granted:
    """What the person's approval gave: the account and its new app password."""

    server: str
    login_name: str
    app_password: str

    def __repr__(self) -> str:  # never show the app password
        return f"Granted({self.server!r}, {self.login_name!r})"


@dataclass(frozen=True)
class TalkRoom:
    token: str
    name: str
    kind: str


def _json(response: httpx.Response, what: str) -> object:
    try:
        return response.json()
    except ValueError:
        raise PermanentError(f"{what}: {response.request.method} {response.request.url}: "
                             f"{response.status_code}, not JSON (is this a Nextcloud server?)") from None


async def start_login(http: httpx.AsyncClient, url: str, *, connector: str = "nextcloud",
                      lang: str | None = None) -> LoginFlow:
    """Start Login Flow v2 on the server at ``url``."""
    try:
        response = await http.post(url.rstrip("/") + "/index.php/login/v2",
                                   headers={"User-Agent": "Commons Hub"})
    except httpx.HTTPError as exc:
        raise describe_transport_error(exc, connector, lang=lang, what="Login Flow v2") from None
    raise_for_response(response, connector, "Login Flow v2", lang=lang)
    body = _json(response, "Login Flow v2")
    poll = body.get("poll") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(poll, dict) or not isinstance(body.get("login"), str):
        raise PermanentError(f"Login Flow v2: {url}: no login link in the answer", connector=connector)
    return LoginFlow(str(body["login"]), str(poll["endpoint"]), str(poll["token"]))


async def poll_login(http: httpx.AsyncClient, flow: LoginFlow, *, connector: str = "nextcloud",
                     lang: str | None = None) -> Granted | None:
    """The credentials once the person granted access; None while they have not (404)."""
    try:
        response = await http.post(flow.endpoint, data={"token": flow.token})
    except httpx.HTTPError as exc:
        raise describe_transport_error(exc, connector, lang=lang, what="Login Flow v2") from None
    if response.status_code == 404:
        return None
    raise_for_response(response, connector, "Login Flow v2", lang=lang)
    body = _json(response, "Login Flow v2")
    if not isinstance(body, dict) or not {"server", "loginName", "appPassword"} <= set(body):
        raise PermanentError("Login Flow v2: the answer lacks the credentials", connector=connector)
    return Granted(str(body["server"]), str(body["loginName"]), str(body["appPassword"]))


async def talk_rooms(http: httpx.AsyncClient, url: str, user: str, app_password: str, *,
                     connector: str = "nextcloud", lang: str | None = None) -> list[TalkRoom]:
    """The group and public conversations the account is in."""
    try:
        response = await http.get(
            url.rstrip("/") + "/ocs/v2.php/apps/spreed/api/v4/room", auth=(user, app_password),
            headers={"OCS-APIRequest": "true", "Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise describe_transport_error(exc, connector, lang=lang, what="Talk") from None
    if response.status_code == 404:  # Talk is not installed: no conversation to offer
        return []
    raise_for_response(response, connector, "Talk", lang=lang)
    body = _json(response, "Talk")
    data = body.get("ocs", {}).get("data") if isinstance(body, dict) else None
    rooms = []
    for room in data if isinstance(data, list) else []:
        kind = ROOM_TYPES.get(int(room.get("type", 0)))
        if kind is not None and room.get("token"):
            rooms.append(TalkRoom(str(room["token"]), str(room.get("displayName") or room["token"]), kind))
    return rooms
