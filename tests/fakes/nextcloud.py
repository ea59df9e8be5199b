"""A fake Nextcloud that fronts REAL CalDAV and WebDAV servers under Nextcloud's paths.

Only what no real server here provides is faked: Nextcloud's URL layout, its login (Basic auth
with an app password, session cookies), the OCS endpoints ``hub check`` and nc-py-api need, and
the ownCloud properties of its file listings. Calendar and file traffic is forwarded to a real
Radicale and a real WsgiDAV, so conditional writes, etags, sync-tokens and 412s are theirs.

- ``/remote.php/dav/calendars/<user>/...`` -> the CalDAV server's ``/<user>/...``;
- ``/remote.php/dav/files/<user>/...`` -> the WebDAV server's ``/...``; PROPFIND answers gain
  ``oc:id``, ``oc:fileid``, ``oc:permissions`` (``RGDNVCK`` folders, ``RGDNVW`` files, or what
  the test set) when asked for, PUT and MKCOL answers ``OC-FileId`` / ``OC-Etag`` headers;
- multistatus bodies come back with Sabre's prefixes (``d:``, ``oc:``, ``nc:``, ``cal:``, ``cs:``)
  and hrefs under ``/remote.php/dav/...`` (nc-py-api reads ``d:href`` literally);
- ``GET /ocs/v{1,2}.php/cloud/capabilities`` and ``/cloud/user``: the OCS envelope (v1: HTTP 200,
  statuscode 100; v2: HTTP = statuscode), 412 "CSRF check failed" without ``OCS-APIRequest``,
  401 (OCS 997) for bad credentials;
- Login Flow v2 (``ClientFlowLoginV2Controller``): ``POST /index.php/login/v2`` starts a flow
  (``{"poll": {"token", "endpoint"}, "login"}``); ``POST /index.php/login/v2/poll`` with
  ``token`` answers 404 ``[]`` until :meth:`FakeNextcloud.grant` (the person approved in their
  browser), then once ``{"server", "loginName", "appPassword"}``, then 404 again;
- ``GET /ocs/v2.php/apps/spreed/api/v4/room``: the Talk conversations in ``talk_rooms``;
- a session cookie is set on every authenticated answer, and a request carrying it is served as
  that session's user whatever its Basic header says (Nextcloud does this: one client per
  account).

Test-side API (thread-safe)::

    with FakeNextcloud(caldav, webdav, user="hub", app_password="...").running() as nc:  # nc.url
        nc.fail("/remote.php/dav/files/", status=503, times=1, retry_after=2)
        nc.permissions["Assemblée/Programme"] = "RGDNV"    # read-only share
        nc.requests                                      # (method, path) seen, in order
        nc.grant()                  # the person approved the last login flow in their browser
        nc.talk_rooms.append({"token": "abcd1234", "displayName": "Assemblée", "type": 2})
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.etree import ElementTree

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import serve

PREFIXES = {
    "DAV:": "d",
    "http://sabredav.org/ns": "s",
    "http://owncloud.org/ns": "oc",
    "http://nextcloud.org/ns": "nc",
    "urn:ietf:params:xml:ns:caldav": "cal",
    "http://calendarserver.org/ns/": "cs",
    "http://apple.com/ns/ical/": "x1",
}
OC = "{http://owncloud.org/ns}"
DAV = "{DAV:}"
FORWARDED = (
    "content-type",
    "depth",
    "if-match",
    "if-none-match",
    "destination",
    "overwrite",
    "accept",
)
RETURNED = ("content-type", "etag", "dav", "retry-after", "last-modified")


@dataclass
class Upstream:
    """A real server behind the fake: its base URL, credentials, CA."""

    url: str
    username: str
    password: str
    verify: bool | str = True


@dataclass
class _Failure:
    prefix: str
    status: int
    times: int
    retry_after: float | None


def _serialize(root: ElementTree.Element) -> bytes:
    """XML with Sabre's prefixes (ElementTree would invent ns0:, ns1:...)."""
    prefixes: dict[str, str] = {}
    for el in root.iter():
        for tag in (el.tag, *el.attrib):
            if tag.startswith("{"):
                uri = tag[1:].split("}", 1)[0]
                prefixes.setdefault(uri, PREFIXES.get(uri) or f"x{len(prefixes) + 2}")

    def name(tag: str) -> str:
        if tag.startswith("{"):
            uri, local = tag[1:].split("}", 1)
            return f"{prefixes[uri]}:{local}"
        return tag

    def render(el: ElementTree.Element, extra: str = "") -> str:
        attrs = extra + "".join(f' {name(k)}="{_escape(v)}"' for k, v in el.attrib.items())
        inner = _escape(el.text or "") + "".join(render(c) + _escape(c.tail or "") for c in el)
        tag = name(el.tag)
        return f"<{tag}{attrs}>{inner}</{tag}>" if inner else f"<{tag}{attrs}/>"

    declarations = "".join(f' xmlns:{p}="{u}"' for u, p in prefixes.items())
    return f'<?xml version="1.0" encoding="utf-8"?>\n{render(root, declarations)}'.encode()


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _file_id(path: str) -> int:
    return int(hashlib.sha256(path.encode()).hexdigest()[:8], 16)


@dataclass
class FakeNextcloud:
    caldav: Upstream
    webdav: Upstream
    user: str = "hub"
    app_password: str = "nextcloud-app-password"
    version: str = "27.1.10"
    permissions: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""
    talk_rooms: list[dict[str, Any]] = field(default_factory=list)
    #: Login Flow v2: poll token -> granted (None while the person has not approved).
    logins: dict[str, bool] = field(default_factory=dict)
    _failures: list[_Failure] = field(default_factory=list)
    _sessions: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # test-side API -----------------------------------------------------------------------
    def fail(
        self, prefix: str, status: int, times: int = 1, retry_after: float | None = None
    ) -> None:
        with self._lock:
            self._failures.append(_Failure(prefix, status, times, retry_after))

    def grant(self) -> None:
        """The person logged in and granted access on the last flow's page."""
        with self._lock:
            assert self.logins, "no login flow was started"
            self.logins[list(self.logins)[-1]] = True

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeNextcloud]:
        with serve(self.app()) as url:
            self.url = url
            yield self

    # server ------------------------------------------------------------------------------
    def app(self) -> Starlette:
        methods = [
            "GET",
            "PUT",
            "DELETE",
            "PROPFIND",
            "PROPPATCH",
            "REPORT",
            "MKCOL",
            "MKCALENDAR",
            "OPTIONS",
            "HEAD",
            "MOVE",
            "COPY",
            "POST",
        ]
        return Starlette(
            routes=[
                Route("/status.php", self.status),
                Route("/index.php/login/v2", self.login_start, methods=["POST"]),
                Route("/index.php/login/v2/poll", self.login_poll, methods=["POST"]),
                Route("/index.php/login/v2/flow/{token}", self.login_page, methods=["GET"]),
                Route("/ocs/v2.php/apps/spreed/api/v4/room", self.rooms, methods=["GET"]),
                Route("/ocs/v{version:int}.php/cloud/{what}", self.ocs, methods=["GET"]),
                Route(
                    "/remote.php/dav/calendars/{user}/{path:path}", self.calendars, methods=methods
                ),
                Route("/remote.php/dav/files/{user}/{path:path}", self.files, methods=methods),
            ]
        )

    def _login(self, request: Request) -> tuple[str | None, str | None]:
        """(user, new session cookie) of a request; user None when refused."""
        cookie = request.cookies.get("nc_session_id")
        with self._lock:
            if cookie and cookie in self._sessions:
                return self._sessions[cookie], None
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return None, None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None, None
        if user != self.user or password != self.app_password:
            return None, None
        token = secrets.token_hex(12)
        with self._lock:
            self._sessions[token] = user
        return user, token

    def _injected(self, method: str, path: str) -> Response | None:
        with self._lock:
            self.requests.append((method, path))
            for failure in self._failures:
                if failure.times > 0 and path.startswith(failure.prefix):
                    failure.times -= 1
                    headers = (
                        {"Retry-After": str(int(failure.retry_after))}
                        if failure.retry_after
                        else {}
                    )
                    return Response(status_code=failure.status, headers=headers)
        return None

    @staticmethod
    def _unauthorized(ocs: bool = False) -> Response:
        headers = {"WWW-Authenticate": 'Basic realm="Nextcloud", charset="UTF-8"'}
        if ocs:
            body = {
                "ocs": {
                    "meta": {
                        "status": "failure",
                        "statuscode": 997,
                        "message": "Current user is not logged in",
                    },
                    "data": [],
                }
            }
            return JSONResponse(body, status_code=401, headers=headers)
        return Response(status_code=401, headers=headers)

    async def status(self, request: Request) -> Response:
        return JSONResponse(
            {
                "installed": True,
                "maintenance": False,
                "version": self.version + ".0",
                "versionstring": self.version,
                "productname": "Nextcloud",
            }
        )

    async def login_start(self, request: Request) -> Response:
        poll = secrets.token_urlsafe(96)[:128]
        login = secrets.token_urlsafe(96)[:128]
        with self._lock:
            self.requests.append((request.method, request.url.path))
            self.logins[poll] = False
        return JSONResponse({
            "poll": {"token": poll, "endpoint": f"{self.url}/index.php/login/v2/poll"},
            "login": f"{self.url}/index.php/login/v2/flow/{login}",
        })

    async def login_poll(self, request: Request) -> Response:
        # Nextcloud reads ``token`` from the form body, a JSON body or the query string.
        body = (await request.body()).decode("utf-8", "replace")
        if body.lstrip().startswith("{"):
            token = str(json.loads(body).get("token", ""))
        else:
            token = (parse_qs(body).get("token") or [request.query_params.get("token", "")])[0]
        with self._lock:
            self.requests.append((request.method, request.url.path))
            if not self.logins.get(token):
                return JSONResponse([], status_code=404)
            del self.logins[token]  # the credentials are given once
        return JSONResponse({"server": self.url, "loginName": self.user, "appPassword": self.app_password})

    async def login_page(self, request: Request) -> Response:
        return Response("<html><body>Connect to your account</body></html>", media_type="text/html")

    async def rooms(self, request: Request) -> Response:
        failed = self._injected(request.method, request.url.path)
        if failed is not None:
            return failed
        if request.headers.get("ocs-apirequest", "").lower() != "true":
            return JSONResponse({"message": "CSRF check failed"}, status_code=412)
        user, _ = self._login(request)
        if user is None:
            return self._unauthorized(ocs=True)
        meta = {"status": "ok", "statuscode": 200, "message": "OK"}
        with self._lock:
            rooms = [{"participantType": 3, "readOnly": 0, "name": r.get("displayName", ""), **r}
                     for r in self.talk_rooms]
        return JSONResponse({"ocs": {"meta": meta, "data": rooms}})

    async def ocs(self, request: Request) -> Response:
        version = int(request.path_params["version"])
        failed = self._injected(request.method, request.url.path)
        if failed is not None:
            return failed
        if request.headers.get("ocs-apirequest", "").lower() != "true":
            return JSONResponse({"message": "CSRF check failed"}, status_code=412)
        user, cookie = self._login(request)
        if user is None:
            return self._unauthorized(ocs=True)
        what = request.path_params["what"]
        if what == "capabilities":
            major, minor, micro = (int(p) for p in self.version.split("."))
            data: Any = {
                "version": {
                    "major": major,
                    "minor": minor,
                    "micro": micro,
                    "string": self.version,
                    "edition": "",
                    "extendedSupport": False,
                },
                "capabilities": {
                    "core": {"webdav-root": "remote.php/webdav"},
                    "dav": {"chunking": "1.0"},
                    "files": {"versioning": True},
                },
            }
        elif what == "user":
            data = {
                "id": user,
                "enabled": True,
                "displayname": user.capitalize(),
                "email": None,
                "language": "fr",
                "locale": "fr_FR",
            }
        else:
            data = []
            body = {
                "ocs": {
                    "meta": {
                        "status": "failure",
                        "statuscode": 998 if version == 1 else 404,
                        "message": "Invalid query",
                    },
                    "data": data,
                }
            }
            return JSONResponse(body, status_code=200 if version == 1 else 404)
        meta = {
            "status": "ok",
            "statuscode": 100 if version == 1 else 200,
            "message": "OK",
            "totalitems": "",
            "itemsperpage": "",
        }
        response = JSONResponse({"ocs": {"meta": meta, "data": data}})
        if cookie:
            response.set_cookie("nc_session_id", cookie, httponly=True)
        return response

    async def calendars(self, request: Request) -> Response:
        up = urlsplit(self.caldav.url)
        upstream_prefix = f"{up.path.rstrip('/')}/{quote(self.caldav.username)}/"
        return await self._forward(request, self.caldav, upstream_prefix, "calendars", files=False)

    async def files(self, request: Request) -> Response:
        up = urlsplit(self.webdav.url)
        return await self._forward(
            request, self.webdav, up.path.rstrip("/") + "/", "files", files=True
        )

    async def _forward(
        self, request: Request, upstream: Upstream, upstream_prefix: str, kind: str, files: bool
    ) -> Response:
        failed = self._injected(request.method, request.url.path)
        if failed is not None:
            return failed
        user, cookie = self._login(request)
        if user is None:
            return self._unauthorized()
        if request.path_params["user"] != user:
            return Response(status_code=404)  # another user's space: Nextcloud says not found
        ours = f"/remote.php/dav/{kind}/{quote(user)}/"
        rest = request.url.path[len(ours) :] if request.url.path.startswith(ours) else ""
        target = f"{urlsplit(upstream.url).scheme}://{urlsplit(upstream.url).netloc}{upstream_prefix}{rest}"
        body = await request.body()
        if body and request.method in ("REPORT", "PROPFIND", "PROPPATCH"):
            # hrefs in the request (calendar-multiget) name Nextcloud paths: translate them.
            body = body.replace(ours.encode(), upstream_prefix.encode())
            body = body.replace(quote(unquote(ours)).encode(), upstream_prefix.encode())
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED}
        async with httpx.AsyncClient(verify=upstream.verify, timeout=30) as client:
            answer = await client.request(
                request.method,
                target,
                content=body,
                headers=headers,
                auth=(upstream.username, upstream.password),
            )
        out_headers = {k: v for k, v in answer.headers.items() if k.lower() in RETURNED}
        content = answer.content
        if answer.status_code == 207 and content:
            content = self._rewrite(content, upstream_prefix, ours, files, body, request.method)
        if files and request.method in ("PUT", "MKCOL") and answer.status_code in (200, 201, 204):
            out_headers["OC-FileId"] = f"{_file_id(unquote(rest)):08d}ocfake"
            if "etag" in answer.headers:
                out_headers["OC-Etag"] = answer.headers["etag"]
        response = Response(content, status_code=answer.status_code, headers=out_headers)
        if cookie:
            response.set_cookie("nc_session_id", cookie, httponly=True)
        return response

    def _rewrite(
        self,
        content: bytes,
        upstream_prefix: str,
        ours: str,
        files: bool,
        request_body: bytes,
        method: str,
    ) -> bytes:
        root = ElementTree.fromstring(content)
        for href in root.iter(f"{DAV}href"):
            path = urlsplit((href.text or "").strip()).path
            if path.startswith(upstream_prefix):
                href.text = ours + path[len(upstream_prefix) :]
            elif path.startswith("/") and not files:
                href.text = path  # principal and other server paths stay as they are
        if files and method == "PROPFIND":
            self._add_oc_properties(root, ours, request_body)
        return _serialize(root)

    def _add_oc_properties(self, root: ElementTree.Element, ours: str, request_body: bytes) -> None:
        wanted = {"id", "fileid", "permissions", "size"}
        if request_body.strip():
            with contextlib.suppress(ElementTree.ParseError):
                asked = {
                    el.tag
                    for el in ElementTree.fromstring(request_body).iter()
                    if el.tag.startswith(OC)
                }
                if not any(
                    el.tag == f"{DAV}allprop" for el in ElementTree.fromstring(request_body).iter()
                ):
                    wanted = {tag[len(OC) :] for tag in asked} & wanted
        for response in root.iter(f"{DAV}response"):
            path = unquote(urlsplit(response.findtext(f"{DAV}href") or "").path)
            relative = (
                path[len(unquote(ours)) :].strip("/") if path.startswith(unquote(ours)) else path
            )
            is_folder = any(el.tag == f"{DAV}collection" for el in response.iter())
            values = {
                "id": f"{_file_id(relative):08d}ocfake",
                "fileid": str(_file_id(relative)),
                "permissions": self.permissions.get(relative, "RGDNVCK" if is_folder else "RGDNVW"),
                "size": next(
                    (el.text or "0" for el in response.iter(f"{DAV}getcontentlength")), "0"
                ),
            }
            for propstat in response.findall(f"{DAV}propstat"):
                prop = propstat.find(f"{DAV}prop")
                for el in list(prop if prop is not None else []):
                    if el.tag.startswith(OC) and el.tag[len(OC) :] in wanted and prop is not None:
                        prop.remove(el)
            if not wanted:
                continue
            ok = ElementTree.SubElement(response, f"{DAV}propstat")
            prop = ElementTree.SubElement(ok, f"{DAV}prop")
            for key in sorted(wanted):
                ElementTree.SubElement(prop, f"{OC}{key}").text = values[key]
            ElementTree.SubElement(ok, f"{DAV}status").text = "HTTP/1.1 200 OK"
