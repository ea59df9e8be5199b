"""A fake HumHub: the REST API module (``humhub/rest`` 0.11) and the calendar module's REST routes.

Written from the modules' sources (``Events.php`` routes, ``components/BaseController.php`` and
``BaseContentController.php``, ``controllers/content/ContentController.php``,
``controllers/auth/AuthController.php``, ``components/auth/JwtAuth.php``, ``definitions/*``;
the calendar's ``controllers/rest/CalendarController.php``, ``helpers/RestDefinitions.php``,
``models/forms/CalendarEntryForm.php``, ``models/CalendarEntry.php``) and served over real HTTP on
loopback, so the connector's ``httpx`` client talks to it unmodified:

- routes under ``/api/v1/`` with their verbs; any other path or verb answers Yii's
  ``{"name":"Not Found","message":"Page not found.","code":0,"status":404}``;
- authentication tried in the module's order: JWT (HS512, ``uid`` claim, ``exp`` when the
  expiry setting is not 0), then a Bearer access token, then HTTP Basic for users enabled for the
  API; failure is Yii's 401 ``Your request was made with invalid credentials.``;
  ``POST auth/login`` answers ``auth_token`` and ``expired_at``, 400 ``Wrong username or
  password`` and 401 ``Invalid user!``;
- list envelopes ``{total, page, pages, links, results}``, ``limit`` capped at 100, links with
  Yii's ``per-page``; errors ``{"code", "message"}`` plus the validation details
  (``post`` on a 400, ``entryForm`` / ``calendarEntry`` on a 422, ``[]`` when empty as PHP
  encodes an empty array);
- contents keep ``created_at`` / ``updated_at`` (server time, ``Y-m-d H:i:s``, the server's
  zone) and ``updated_by``, so ``content/find-by-container/<id>?orderBy=lastUpdate`` and
  ``dateUpdatedFrom`` behave as the module's;
- calendar bodies are the form's nested Yii names (``CalendarEntry[...]``,
  ``CalendarEntryForm[...]``): times read in ``timeZone`` and stored in the server's zone,
  all-day entries stored at midnight with the day after as end, a time neither ``HH:mm`` nor
  ``h:mm AM`` read silently as midnight, a missing ``CalendarEntry`` part, an unknown zone or a
  date with a time give a 500, as the module does; ``closed`` (the module's cancel state) is not
  a safe attribute, so only a person (:meth:`FakeHumHub.close_entry`) sets it.

Test-side API (thread-safe)::

    with FakeHumHub().running() as hh:        # hh.url
        user = hh.add_user("hub", password="...", token="...")
        space = hh.add_space("Assemblée des communs", "assemblee-des-communs", members={user.id: "member"})
        hh.person_edit_entry(entry_id, title="...")   # a person edits in the web UI
        hh.fail("/api/v1/calendar/", status=503, times=1, retry_after=1)
        hh.requests                                   # (method, path?query) seen, in order
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import serve

API = "/api/v1/"
CALENDAR_ENTRY = "humhub\\modules\\calendar\\models\\CalendarEntry"
POST = "humhub\\modules\\post\\models\\Post"
SPACE_CLASS = "humhub\\modules\\space\\models\\Space"
USER_CLASS = "humhub\\modules\\user\\models\\User"
DB = "%Y-%m-%d %H:%M:%S"
STATE_PUBLISHED, STATE_DELETED = 1, 100
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*(AM|PM|am|pm)?\s*$")
_DB_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ZONES = available_timezones()


class _HttpError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


def _yii(status: int, name: str, message: str) -> _HttpError:
    """An exception rendered by Yii's error handler (not the module's returnError)."""
    return _HttpError(status, {"name": name, "message": message, "code": 0, "status": status})


def _page_not_found() -> _HttpError:
    return _yii(404, "Not Found", "Page not found.")


def _error(status: int, message: str, **extra: Any) -> _HttpError:
    """``BaseController::returnError``: ``{"code", "message"}`` plus extra keys."""
    return _HttpError(status, {"code": status, "message": message, **extra})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class User:
    id: int
    guid: str
    username: str
    email: str
    display_name: str
    password: str
    api_enabled: bool = True
    admin: bool = False
    contentcontainer_id: int = 0


@dataclass
class Space:
    id: int
    guid: str
    name: str
    url_name: str
    contentcontainer_id: int
    owner: int
    visibility: int = 1  # 0 members only (hidden from non-members), 1 registered users, 2 everyone
    members: dict[int, str] = field(default_factory=dict)  # user id -> admin | moderator | member
    #: Roles the calendar's "Create entry" permission is given to (the module's default: all).
    calendar_creators: set[str] = field(default_factory=lambda: {"admin", "moderator", "member"})


@dataclass
class Content:
    id: int
    guid: str
    object_model: str
    object_id: int
    container: int
    created_by: int
    updated_by: int
    created_at: str
    updated_at: str
    visibility: int = 0
    state: int = STATE_PUBLISHED
    topics: list[str] = field(default_factory=list)


@dataclass
class Entry:
    id: int
    content: int
    title: str = ""
    description: str = ""
    start_datetime: str = ""
    end_datetime: str = ""
    all_day: int = 0
    participation_mode: int = 2
    color: str = "#6fdbe8"
    allow_decline: int = 1
    allow_maybe: int = 1
    time_zone: str = "UTC"
    participant_info: str = ""
    closed: int = 0
    max_participants: int | None = None
    location: str | None = None


@dataclass
class PostRecord:
    id: int
    content: int
    message: str


@dataclass
class _Failure:
    prefix: str
    status: int
    times: int
    retry_after: float | None


@dataclass
class FakeHumHub:
    """One HumHub site: users, spaces, posts and calendar entries, kept in memory."""

    #: The server's zone (Administration → Settings → Default time zone): stored times are in it.
    timezone: str = "UTC"
    enable_jwt: bool = True
    enable_bearer: bool = True
    enable_basic: bool = True
    #: JWT lifetime in seconds; 0 issues tokens without ``exp``.
    jwt_expire: int = 0
    calendar_enabled: bool = True
    url: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)
    users: dict[int, User] = field(default_factory=dict)
    spaces: dict[int, Space] = field(default_factory=dict)
    contents: dict[int, Content] = field(default_factory=dict)
    entries: dict[int, Entry] = field(default_factory=dict)
    posts: dict[int, PostRecord] = field(default_factory=dict)
    #: Seconds added to the real clock (tests move time on, e.g. past a JWT's expiry).
    clock_offset: float = 0.0
    _tokens: dict[str, int] = field(default_factory=dict)  # sha256(token) -> user id
    _jwt_key: str = field(default_factory=lambda: secrets.token_urlsafe(64))
    _failures: list[_Failure] = field(default_factory=list)
    _ids: dict[str, int] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # test-side API -----------------------------------------------------------------------
    @contextlib.contextmanager
    def running(self) -> Iterator[FakeHumHub]:
        with serve(self.app()) as url:
            self.url = url
            yield self

    def _next(self, kind: str) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.clock_offset, ZoneInfo(self.timezone))

    def _stamp(self) -> str:
        return self.now().strftime(DB)

    def later(self, seconds: float = 1.0) -> None:
        """Move the server's clock on: what a person does next happens after what came before."""
        with self._lock:
            self.clock_offset += seconds

    def add_user(
        self, username: str, *, password: str = "", token: str | None = None, api_enabled: bool = True,
        admin: bool = False,
    ) -> User:
        with self._lock:
            user = User(self._next("user"), str(uuid.uuid4()), username, f"{username}@example.org",
                        username.capitalize(), password, api_enabled, admin, self._next("container"))
            self.users[user.id] = user
            if token:
                self._tokens[hashlib.sha256(token.encode()).hexdigest()] = user.id
            return user

    def add_space(
        self, name: str, url_name: str, *, members: dict[int, str] | None = None, visibility: int = 1
    ) -> Space:
        with self._lock:
            owner = next(iter(members or {0: ""}))
            space = Space(self._next("space"), str(uuid.uuid4()), name, url_name, self._next("container"),
                          owner, visibility, dict(members or {}))
            self.spaces[space.id] = space
            return space

    def fail(self, prefix: str, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """The next ``times`` requests whose path starts with ``prefix`` answer ``status``."""
        with self._lock:
            self._failures.append(_Failure(prefix, status, times, retry_after))

    def space_entries(self, space: Space) -> list[Entry]:
        """The live calendar entries of a space, as its calendar shows them."""
        with self._lock:
            return [e for e in self.entries.values()
                    if self.contents[e.content].container == space.contentcontainer_id
                    and self.contents[e.content].state == STATE_PUBLISHED]

    def space_posts(self, space: Space) -> list[PostRecord]:
        with self._lock:
            return [p for p in self.posts.values()
                    if self.contents[p.content].container == space.contentcontainer_id
                    and self.contents[p.content].state == STATE_PUBLISHED]

    def person_edit_entry(self, entry_id: int, by: User, **changes: Any) -> None:
        """A person edits an entry in the web UI (stored fields, server-zone times)."""
        with self._lock:
            entry = self.entries[entry_id]
            for name, value in changes.items():
                setattr(entry, name, value)
            self._touch(self.contents[entry.content], by)

    def close_entry(self, entry_id: int, by: User) -> None:
        """A person presses "Cancel event" (``CalendarEntry::toggleClosed``)."""
        with self._lock:
            entry = self.entries[entry_id]
            entry.closed = 0 if entry.closed else 1
            self._touch(self.contents[entry.content], by)

    def person_delete(self, content_id: int, by: User) -> None:
        """A person deletes a content (soft delete: the state changes, so does ``updated_at``)."""
        with self._lock:
            content = self.contents[content_id]
            content.state = STATE_DELETED
            self._touch(content, by)

    def person_post(self, space: Space, by: User, message: str) -> PostRecord:
        with self._lock:
            return self._create_post(space.contentcontainer_id, by, message)

    def _touch(self, content: Content, by: User) -> None:
        content.updated_at = self._stamp()
        content.updated_by = by.id

    # server ------------------------------------------------------------------------------
    def app(self) -> Starlette:
        verbs = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        return Starlette(routes=[Route("/api/v1/{path:path}", self.dispatch, methods=verbs)])

    async def dispatch(self, request: Request) -> Response:
        path = request.url.path
        query = f"?{request.url.query}" if request.url.query else ""
        body = await request.body()
        with self._lock:
            self.requests.append((request.method, path + query))
            for failure in self._failures:
                if failure.times > 0 and path.startswith(failure.prefix):
                    failure.times -= 1
                    headers = {"Retry-After": str(int(failure.retry_after))} if failure.retry_after else {}
                    if failure.status == 429:
                        error = _yii(429, "Too Many Requests", "Rate limit exceeded.")
                    else:
                        error = _yii(failure.status, "Internal Server Error" if failure.status == 500
                                     else "Service Unavailable", "An internal server error occurred.")
                    return JSONResponse(error.body, status_code=failure.status, headers=headers)
            try:
                result = self._route(request.method, path[len(API):], request, body)
            except _HttpError as exc:
                return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)
        status = 200
        if isinstance(result, dict) and isinstance(result.get("code"), int) and "message" in result:
            status = result["code"]
        return JSONResponse(result, status_code=status)

    def _route(self, method: str, route: str, request: Request, raw: bytes) -> Any:
        verb = "GET" if method == "HEAD" else method
        params = dict(request.query_params)
        parts = route.rstrip("/").split("/") if route.rstrip("/") else []
        if parts == ["auth", "login"] and verb == "POST":
            return self.login(self._body(request, raw))
        user = self._authenticate(request)
        if parts == ["auth", "current"] and verb == "GET":
            return self._user_definition(user)
        if parts == ["space"] and verb == "GET":
            return self._paginate(route, params, [s for s in self.spaces.values() if self._space_visible(s, user)],
                                  self._space_definition)
        if len(parts) == 2 and parts[0] == "space" and parts[1].isdigit() and verb == "GET":
            return self.view_space(int(parts[1]), user)
        if len(parts) == 3 and parts[:2] == ["content", "find-by-container"] and parts[2].isdigit() and verb == "GET":
            return self.find_content(int(parts[2]), user, route, params)
        if len(parts) == 3 and parts[:2] == ["post", "container"] and parts[2].isdigit():
            if verb == "GET":
                return self.find_posts(int(parts[2]), user, route, params)
            if verb == "POST":
                return self.create_post(int(parts[2]), user, self._body(request, raw))
        if len(parts) == 2 and parts[0] == "post" and parts[1].isdigit():
            if verb == "GET":
                return self.view_post(int(parts[1]), user)
            if verb in ("PUT", "PATCH"):
                return self.update_post(int(parts[1]), user, self._body(request, raw))
            if verb == "DELETE":
                return self.delete_post(int(parts[1]), user)
        if parts and parts[0] == "calendar" and self.calendar_enabled:
            if len(parts) == 3 and parts[1] == "container" and parts[2].isdigit():
                if verb == "GET":
                    return self.find_entries(int(parts[2]), user, route, params)
                if verb == "POST":
                    return self.create_entry(int(parts[2]), user, self._body(request, raw))
            if len(parts) == 3 and parts[1] == "entry" and parts[2].isdigit():
                if verb == "GET":
                    return self.view_entry(int(parts[2]), user)
                if verb == "PUT":
                    return self.update_entry(int(parts[2]), user, self._body(request, raw))
                if verb == "DELETE":
                    return self.delete_entry(int(parts[2]), user)
        raise _page_not_found()

    @staticmethod
    def _body(request: Request, raw: bytes) -> dict[str, Any]:
        """Yii's body params: JSON for ``application/json``, else the form fields."""
        kind = request.headers.get("content-type", "")
        if "application/json" in kind:
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                raise _yii(400, "Bad Request", "Invalid JSON data in request body: Syntax error.") from None
            return data if isinstance(data, dict) else {}
        from urllib.parse import parse_qsl

        form: dict[str, Any] = {}
        for key, value in parse_qsl(raw.decode(), keep_blank_values=True):
            # CalendarEntry[title]=... -> {"CalendarEntry": {"title": ...}}
            match = re.fullmatch(r"([^\[]+)\[([^\]]*)\]", key)
            if match:
                form.setdefault(match.group(1), {})[match.group(2)] = value
            else:
                form[key] = value
        return form

    # authentication ----------------------------------------------------------------------
    def _authenticate(self, request: Request) -> User:
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if self.enable_jwt and scheme.lower() == "bearer":
            user = self._jwt_user(credentials.strip())
            if user is not None:
                return user
        if self.enable_bearer and scheme.lower() == "bearer":
            uid = self._tokens.get(hashlib.sha256(credentials.strip().encode()).hexdigest())
            if uid is not None:
                return self.users[uid]
        if self.enable_basic and scheme.lower() == "basic":
            try:
                name, _, password = base64.b64decode(credentials).decode().partition(":")
            except ValueError:
                name, password = "", ""
            user = self._by_login(name, password)
            if user is not None and user.api_enabled:
                return user
        raise _HttpError(
            401,
            {"name": "Unauthorized", "message": "Your request was made with invalid credentials.", "code": 0,
             "status": 401},
            {"WWW-Authenticate": 'Bearer realm="api", Basic realm="api"'},
        )

    def _by_login(self, name: str, password: str) -> User | None:
        for user in self.users.values():
            if name in (user.username, user.email) and password and hmac.compare_digest(password, user.password):
                return user
        return None

    def login(self, body: dict[str, Any]) -> dict[str, Any]:
        if not self.enable_jwt:
            raise _page_not_found()
        user = self._by_login(str(body.get("username", "")), str(body.get("password", "")))
        if user is None:
            raise _error(400, "Wrong username or password")
        if not user.api_enabled:
            raise _error(401, "Invalid user!")
        issued = int(time.time() + self.clock_offset)
        claims: dict[str, Any] = {"iat": issued, "iss": self.url, "nbf": issued, "uid": user.id,
                                  "email": user.email}
        if self.jwt_expire:
            claims["exp"] = issued + self.jwt_expire
        header = _b64(json.dumps({"typ": "JWT", "alg": "HS512"}).encode())
        payload = _b64(json.dumps(claims).encode())
        signature = hmac.new(self._jwt_key.encode(), f"{header}.{payload}".encode(), hashlib.sha512).digest()
        return {"code": 200, "message": "Success", "auth_token": f"{header}.{payload}.{_b64(signature)}",
                "expired_at": claims.get("exp", 0)}

    def _jwt_user(self, token: str) -> User | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self._jwt_key.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha512).digest()
        try:
            if not hmac.compare_digest(_unb64(parts[2]), expected):
                return None
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return None
        now = time.time() + self.clock_offset
        if claims.get("nbf", 0) > now or ("exp" in claims and claims["exp"] <= now):
            return None
        return self.users.get(int(claims.get("uid", 0)))

    # definitions -------------------------------------------------------------------------
    def _user_short(self, user_id: int) -> dict[str, Any] | None:
        user = self.users.get(user_id)
        if user is None:
            return None
        return {"id": user.id, "guid": user.guid, "display_name": user.display_name,
                "url": f"{self.url}/u/{user.username}/"}

    def _user_definition(self, user: User) -> dict[str, Any]:
        return {**(self._user_short(user.id) or {}),
                "account": {"id": user.id, "guid": user.guid, "username": user.username, "email": user.email,
                            "visibility": 1, "status": 1, "tags": "", "language": "", "timezone": "",
                            "contentcontainer_id": user.contentcontainer_id, "authclient": "local",
                            "authclient_id": None, "lastlogin": None},
                "profile": {"firstname": user.display_name, "lastname": ""}}

    def _space_definition(self, space: Space) -> dict[str, Any]:
        return {"id": space.id, "guid": space.guid, "name": space.name, "description": "",
                "url": f"{self.url}/s/{space.url_name}/", "contentcontainer_id": space.contentcontainer_id,
                "visibility": space.visibility, "join_policy": 1, "status": 1, "tags": [],
                "owner": self._user_short(space.owner), "hideMembers": 0, "hideAbout": 0,
                "hideActivities": 0, "hideFollowers": 0, "indexUrl": "", "indexGuestUrl": ""}

    def _content_definition(self, content: Content) -> dict[str, Any]:
        return {
            "id": content.id,
            "metadata": {
                "id": content.id, "guid": content.guid, "object_model": content.object_model,
                "object_id": content.object_id, "visibility": content.visibility, "state": content.state,
                "archived": False, "hidden": False, "pinned": False, "locked_comments": False,
                "created_by": self._user_short(content.created_by), "created_at": content.created_at,
                "updated_by": self._user_short(content.updated_by), "updated_at": content.updated_at,
                "scheduled_at": None, "url": f"{self.url}/content/perma?id={content.id}",
                "contentcontainer_id": content.container, "stream_channel": "default",
            },
            "comments": {"total": 0, "latest": []},
            "likes": {"total": 0},
            "topics": [{"id": i + 1, "name": name} for i, name in enumerate(content.topics)],
            "files": [],
        }

    def _entry_definition(self, entry: Entry) -> dict[str, Any]:
        return {
            "id": entry.id, "title": entry.title, "description": entry.description,
            "start_datetime": entry.start_datetime, "end_datetime": entry.end_datetime,
            "all_day": entry.all_day, "participation_mode": entry.participation_mode, "color": entry.color,
            "allow_decline": entry.allow_decline, "allow_maybe": entry.allow_maybe,
            "time_zone": entry.time_zone, "participant_info": entry.participant_info, "closed": entry.closed,
            "max_participants": int(entry.max_participants or 0), "location": entry.location,
            "content": self._content_definition(self.contents[entry.content]),
            "participants": {"attending": [], "maybe": [], "declined": []},
        }

    def _post_definition(self, post: PostRecord) -> dict[str, Any]:
        return {"id": post.id, "message": post.message,
                "content": self._content_definition(self.contents[post.content])}

    def _paginate(self, route: str, params: dict[str, str], items: list[Any], define: Any) -> dict[str, Any]:
        """``handlePagination`` + ``returnPagination``: ``limit`` (<= 100) and 1-based ``page``."""
        try:
            limit = min(int(params.get("limit", 100)), 100)
            page = int(params.get("page", 1)) - 1
        except ValueError:
            limit, page = 100, 0
        limit = max(limit, 1)
        total = len(items)
        pages = (total + limit - 1) // limit
        chosen = items[page * limit: page * limit + limit] if page >= 0 else []

        def link(number: int) -> str:
            query = {k: v for k, v in params.items() if k not in ("page", "per-page", "limit")}
            return f"{API}{route.strip('/')}?{urlencode({**query, 'page': number + 1, 'per-page': limit})}"

        links = {"self": link(page)}
        if pages > 0:
            links["first"] = link(0)
            if page > 0:
                links["prev"] = link(page - 1)
            if page < pages - 1:
                links["next"] = link(page + 1)
            links["last"] = link(pages - 1)
        return {"total": total, "page": page + 1, "pages": pages, "links": links,
                "results": [define(item) for item in chosen]}

    # permissions -------------------------------------------------------------------------
    def _space_of(self, container: int) -> Space | None:
        return next((s for s in self.spaces.values() if s.contentcontainer_id == container), None)

    def _space_visible(self, space: Space, user: User) -> bool:
        return space.visibility > 0 or user.id in space.members or user.admin

    def _readable(self, content: Content, user: User) -> bool:
        if content.state != STATE_PUBLISHED:
            return False
        space = self._space_of(content.container)
        if content.visibility == 1 or user.admin:
            return True
        return space is not None and user.id in space.members

    def _can_edit(self, content: Content, user: User) -> bool:
        if content.created_by == user.id or user.admin:
            return True
        space = self._space_of(content.container)
        return space is not None and space.members.get(user.id) in ("admin", "moderator")

    def _container(self, container: int) -> Space:
        space = self._space_of(container)
        if space is None:
            if any(u.contentcontainer_id == container for u in self.users.values()):
                raise _error(400, "Only spaces are kept in this fake")
            raise _error(404, "Content container not found!")
        return space

    # spaces and contents -----------------------------------------------------------------
    def view_space(self, space_id: int, user: User) -> dict[str, Any]:
        space = self.spaces.get(space_id)
        if space is None:
            raise _error(404, "Space not found!")
        if user.id not in space.members and not user.admin:
            raise _error(403, "You don't have an access to this space!")
        return self._space_definition(space)

    def find_content(self, container: int, user: User, route: str, params: dict[str, str]) -> dict[str, Any]:
        """``ContentController::actionFindByContainer``: every readable content but activities,
        newest first by ``created_at`` or, with ``orderBy=lastUpdate``, by ``updated_at``."""
        self._container(container)
        column = "updated_at" if params.get("orderBy") == "lastUpdate" else "created_at"
        items = [c for c in self.contents.values() if c.container == container and self._readable(c, user)]

        def bound(value: str) -> str | None:
            if not value:
                return None
            if value.isdigit():
                return datetime.fromtimestamp(int(value), ZoneInfo(self.timezone)).strftime(DB)
            try:
                return datetime.fromisoformat(value).strftime(DB)
            except ValueError:
                return "1970-01-01 00:00:00"  # strtotime() false -> date(..., false) -> the epoch

        since, until = bound(params.get("dateUpdatedFrom", "")), bound(params.get("dateUpdatedTo", ""))
        if since:
            items = [c for c in items if c.updated_at >= since]
        if until:
            items = [c for c in items if c.updated_at <= until]
        items.sort(key=lambda c: (getattr(c, column), c.id), reverse=True)
        return self._paginate(route, params, items, self._content_definition)

    # posts -------------------------------------------------------------------------------
    def _create_post(self, container: int, user: User, message: str) -> PostRecord:
        stamp = self._stamp()
        post_id = self._next("post")
        content = Content(self._next("content"), str(uuid.uuid4()), POST, post_id, container, user.id, user.id,
                          stamp, stamp)
        self.contents[content.id] = content
        post = PostRecord(post_id, content.id, message)
        self.posts[post_id] = post
        return post

    def find_posts(self, container: int, user: User, route: str, params: dict[str, str]) -> dict[str, Any]:
        self._container(container)
        posts = [p for p in self.posts.values() if self.contents[p.content].container == container
                 and self._readable(self.contents[p.content], user)]
        wanted = [t for t in params.get("topics", "").split(",") if t]
        # handleTopicsParam: only topics that exist in the container filter; unknown ones are ignored.
        known = {t for c in self.contents.values() if c.container == container for t in c.topics}
        existing = set(wanted) & known
        if existing:
            posts = [p for p in posts if set(self.contents[p.content].topics) & existing]
        posts.sort(key=lambda p: (self.contents[p.content].created_at, p.id), reverse=True)
        return self._paginate(route, params, posts, self._post_definition)

    @staticmethod
    def _post_data(body: dict[str, Any]) -> dict[str, Any]:
        data = body.get("data", {})
        return data if isinstance(data, dict) else {}

    def create_post(self, container: int, user: User, body: dict[str, Any]) -> dict[str, Any]:
        self._container(container)
        data = self._post_data(body)
        message = str(data.get("message", "")).strip() if data else ""
        if not data or not message:
            errors = {"message": ["Message cannot be blank."]} if data else []
            raise _error(400, "Validation failed", post=errors)
        post = self._create_post(container, user, str(data["message"]))
        self._content_fields(self.contents[post.content], data)
        return self._post_definition(post)

    def _content_fields(self, content: Content, data: dict[str, Any]) -> None:
        meta = data.get("content")
        if isinstance(meta, dict):
            topics = meta.get("topics")
            if isinstance(topics, list):
                content.topics = [str(t["name"]) for t in topics if isinstance(t, dict) and "name" in t]
            metadata = meta.get("metadata")
            if isinstance(metadata, dict) and metadata.get("visibility") in (0, 1, 2):
                content.visibility = int(metadata["visibility"])

    def view_post(self, post_id: int, user: User) -> dict[str, Any]:
        post = self.posts.get(post_id)
        if post is None or self.contents[post.content].state != STATE_PUBLISHED:
            raise _error(404, "Requested content not found!")
        if not self._readable(self.contents[post.content], user):
            raise _error(403, "You cannot view this content!")
        return self._post_definition(post)

    def update_post(self, post_id: int, user: User, body: dict[str, Any]) -> dict[str, Any]:
        post = self.posts.get(post_id)
        if post is None or self.contents[post.content].state != STATE_PUBLISHED:
            raise _error(404, "Request object not found!")
        content = self.contents[post.content]
        if not self._can_edit(content, user):
            raise _error(403, "You are not allowed to update this content!")
        data = self._post_data(body)
        if "message" in data:
            if not str(data["message"]).strip():
                raise _error(400, "Validation failed", post={"message": ["Message cannot be blank."]})
            post.message = str(data["message"])
        self._content_fields(content, data)
        self._touch(content, user)
        return self._post_definition(post)

    def delete_post(self, post_id: int, user: User) -> dict[str, Any]:
        post = self.posts.get(post_id)
        if post is None or self.contents[post.content].state != STATE_PUBLISHED:
            raise _error(404, "Content record not found!")
        content = self.contents[post.content]
        if not self._can_edit(content, user):
            raise _error(403, "You are not allowed to delete this content!")
        content.state = STATE_DELETED
        self._touch(content, user)
        return {"code": 200, "message": "Successfully deleted!"}

    # calendar ----------------------------------------------------------------------------
    def find_entries(self, container: int, user: User, route: str, params: dict[str, str]) -> dict[str, Any]:
        self._container(container)
        entries = [e for e in self.entries.values() if self.contents[e.content].container == container
                   and self._readable(self.contents[e.content], user)]
        entries.sort(key=lambda e: (self.contents[e.content].created_at, e.id), reverse=True)
        return self._paginate(route, params, entries, self._entry_definition)

    def view_entry(self, entry_id: int, user: User) -> dict[str, Any]:
        entry = self.entries.get(entry_id)
        if entry is None or self.contents[entry.content].state != STATE_PUBLISHED:
            raise _error(404, "Requested content not found!")
        if not self._readable(self.contents[entry.content], user):
            raise _error(403, "You cannot view this content!")
        return self._entry_definition(entry)

    def create_entry(self, container: int, user: User, body: dict[str, Any]) -> dict[str, Any]:
        space = self._container(container)
        role = space.members.get(user.id)
        if not (user.admin or role in space.calendar_creators):
            raise _error(403, "You are not allowed to create calendar entry!")
        entry = Entry(0, 0, time_zone=self.timezone)
        errors = self._load_entry(entry, body, new=True)
        stamp = self._stamp()
        entry.id = self._next("entry")
        content = Content(self._next("content"), str(uuid.uuid4()), CALENDAR_ENTRY, entry.id, container, user.id,
                          user.id, stamp, stamp)
        if errors:
            self._ids["entry"] -= 1
            self._ids["content"] -= 1
            raise errors
        content.visibility = self._visibility(body, 0)
        entry.content = content.id
        self.contents[content.id] = content
        self.entries[entry.id] = entry
        return self._entry_definition(entry)

    def update_entry(self, entry_id: int, user: User, body: dict[str, Any]) -> dict[str, Any]:
        entry = self.entries.get(entry_id)
        if entry is None or self.contents[entry.content].state != STATE_PUBLISHED:
            raise _error(404, "Calendar entry not found!")
        content = self.contents[entry.content]
        if not self._can_edit(content, user):
            raise _error(403, "You are not allowed to update this calendar entry!")
        draft = Entry(**entry.__dict__)
        errors = self._load_entry(draft, body, new=False)
        if errors:
            raise errors
        entry.__dict__.update(draft.__dict__)
        content.visibility = self._visibility(body, content.visibility)
        self._touch(content, user)
        return self._entry_definition(entry)

    def delete_entry(self, entry_id: int, user: User) -> dict[str, Any]:
        entry = self.entries.get(entry_id)
        if entry is None or self.contents[entry.content].state != STATE_PUBLISHED:
            raise _error(404, "Content record not found!")
        content = self.contents[entry.content]
        if not self._can_edit(content, user):
            raise _error(403, "You are not allowed to delete this content!")
        content.state = STATE_DELETED
        self._touch(content, user)
        return {"code": 200, "message": "Successfully deleted!"}

    @staticmethod
    def _visibility(body: dict[str, Any], default: int) -> int:
        form = body.get("CalendarEntryForm")
        if isinstance(form, dict) and "is_public" in form:
            return 1 if str(form["is_public"]) in ("1", "true", "True") else 0
        return default

    def _load_entry(self, entry: Entry, body: dict[str, Any], *, new: bool) -> _HttpError | None:
        """``CalendarEntryForm::load`` then ``save``: the form's dates read in ``timeZone`` and
        stored in the server's zone; a 422 with the form's or the entry's errors."""
        fields = body.get("CalendarEntry")
        form = body.get("CalendarEntryForm")
        if not isinstance(fields, dict):
            raise _yii(500, "Internal Server Error", "An internal server error occurred.")
        form = form if isinstance(form, dict) else {}
        zone_name = str(form.get("timeZone") or entry.time_zone)
        if zone_name not in ZONES:
            raise _yii(500, "Internal Server Error", "An internal server error occurred.")
        entry.time_zone = zone_name
        # The form starts from the entry's own dates (an update may leave some out).
        old_start, old_end = self._form_dates(entry) if not new else (("", ""), ("", ""))
        for name in ("title", "description", "location", "color", "participant_info"):
            if name in fields:
                value = fields[name]
                entry.__dict__[name] = value.strip() if isinstance(value, str) and name != "color" else value
        for name in ("all_day", "participation_mode", "allow_decline", "allow_maybe", "max_participants"):
            if name in fields and fields[name] not in (None, ""):
                entry.__dict__[name] = int(fields[name])
        start_date = str(form.get("start_date", old_start[0]) or "")
        end_date = str(form.get("end_date", old_end[0]) or "")
        start_time = str(form.get("start_time", old_start[1]) or "")
        end_time = str(form.get("end_time", old_end[1]) or "")
        form_errors: dict[str, list[str]] = {}
        if not start_date:
            form_errors["start_date"] = ["Start Date cannot be blank."]
        if not end_date:
            form_errors["end_date"] = ["End Date cannot be blank."]
        zone = ZoneInfo("UTC") if entry.all_day else ZoneInfo(zone_name)
        start = self._parse(start_date, "" if entry.all_day else start_time, zone)
        end = self._parse(end_date, "" if entry.all_day else end_time, zone)
        if start_date and start is None:
            form_errors.setdefault("start_date", []).append("Invalid date or time format!")
        if end_date and end is None:
            form_errors.setdefault("end_date", []).append("Invalid date or time format!")
        if start is not None and end is not None:
            valid = start <= end if entry.all_day else start < end
            if not valid:
                form_errors.setdefault("end_date", []).append("End time must be after start time!")
        if form_errors:
            return _error(422, "Validation failed", entryForm=form_errors, calendarEntry=[])
        assert start is not None and end is not None
        entry_errors: dict[str, list[str]] = {}
        if not entry.title:
            entry_errors["title"] = ["Title cannot be blank."]
        elif len(entry.title) > 200:
            entry_errors["title"] = ["Title should contain at most 200 characters."]
        if entry.location is not None and len(entry.location) > 1000:
            entry_errors["location"] = ["Location should contain at most 1,000 characters."]
        if len(entry.color or "") > 7:
            entry_errors["color"] = ["Color should contain at most 7 characters."]
        if entry_errors:
            return _error(422, "Validation failed", entryForm=[], calendarEntry=entry_errors)
        if entry.all_day:
            entry.start_datetime = start.strftime("%Y-%m-%d 00:00:00")
            entry.end_datetime = (end + timedelta(days=1)).strftime("%Y-%m-%d 00:00:00")
        else:
            system = ZoneInfo(self.timezone)
            entry.start_datetime = start.astimezone(system).strftime(DB)
            entry.end_datetime = end.astimezone(system).strftime(DB)
        return None

    def _form_dates(self, entry: Entry) -> tuple[tuple[str, str], tuple[str, str]]:
        """``setFormDatesFromModel``: the stored dates as the form shows them, in the entry's zone."""
        if entry.all_day:
            utc = ZoneInfo("UTC")
            start = datetime.strptime(entry.start_datetime, DB).replace(tzinfo=utc)
            end = datetime.strptime(entry.end_datetime, DB).replace(tzinfo=utc) - timedelta(days=1)
            return (start.strftime("%Y-%m-%d"), ""), (end.strftime("%Y-%m-%d"), "")
        system, own = ZoneInfo(self.timezone), ZoneInfo(entry.time_zone)
        start = datetime.strptime(entry.start_datetime, DB).replace(tzinfo=system).astimezone(own)
        end = datetime.strptime(entry.end_datetime, DB).replace(tzinfo=system).astimezone(own)
        return ((start.strftime("%Y-%m-%d"), start.strftime("%H:%M")),
                (end.strftime("%Y-%m-%d"), end.strftime("%H:%M")))

    @staticmethod
    def _parse(day: str, clock: str, zone: ZoneInfo) -> datetime | None:
        """``CalendarUtils::parseDateTimeString``: a ``Y-m-d`` date (a date with a time is a 500 in
        the module), plus ``HH:mm`` or ``h:mm AM``; any other time silently reads as midnight."""
        if not day:
            return None
        if not _DB_DATE.match(day):
            if re.match(r"^\d{4}-\d{2}-\d{2} ", day):
                raise _yii(500, "Internal Server Error", "An internal server error occurred.")
            return None
        try:
            moment = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=zone)
        except ValueError:
            return None
        match = _TIME.match(clock) if clock else None
        if match:
            hour, minute = int(match.group(1)), int(match.group(2))
            meridiem = (match.group(3) or "").upper()
            if meridiem == "PM" and hour < 12:
                hour += 12
            elif meridiem == "AM" and hour == 12:
                hour = 0
            if hour < 24 and minute < 60:
                moment = moment.replace(hour=hour, minute=minute)
        return moment
