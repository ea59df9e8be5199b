"""One CalDAV calendar collection (blocking calls), used by :mod:`connectors.caldav` from worker
threads (``asyncio.to_thread``), one call at a time.

The requests every sync sends (the sync-collection REPORT, PUT, DELETE, calendar-multiget) go
through :mod:`connectors.davhttp`, the standard library's HTTP client, which spares a sync the
``caldav`` library's import (about 0.17 s) and its per-request cost. The rest (the calendar's
properties, a server without sync-tokens' ctag and listing), and everything when the
environment names a proxy, goes through the ``caldav`` library. Both count every request the
server answers (the library's niquests session is hooked). Sync reports never fall back to a
full listing (the library's ``disable_fallback``; its ``fake-`` tokens are rejected); an expired
token, a server without sync-tokens and an outage are told apart (:class:`TokenExpired`,
:class:`SyncUnsupported`, the error itself). Writes are conditional and their statuses mapped
to the hub's error tree.

Every call goes through :meth:`CalendarStore.call`, which notes the request in flight so that a
failure names the method and URL the server was sent, and raises :class:`CalendarMissing` when
the calendar collection itself is not there.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree

from config.redaction import redact_url
from connectors.caldav_probe import sync_body
from connectors.davhttp import Answer, DavHttp, proxied
from connectors.gate import wait_turn_blocking
from connectors.net import DEFAULT_LANGUAGE, network_error, request_error, retry_after_seconds, told
from sync.errors import AuthError, ConnectorError, NotFound, TransientError
from sync.i18n import Catalogue

T = TypeVar("T")

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
XML = {"Content-Type": 'application/xml; charset="utf-8"', "Depth": "1"}
#: How many pages of a truncated sync-collection answer (RFC 6578 section 3.6) are followed.
SYNC_PAGES = 100
MULTIGET_BODY = ('<?xml version="1.0" encoding="utf-8"?>\n'
                 '<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
                 "<D:prop><D:getetag/><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>")

MESSAGES = Catalogue({
    "library.auth": {
        "fr": "{method} {url} : identifiants refusés ou droit manquant",
        "en": "{method} {url}: credentials refused or right missing",
    },
    "library.not_found": {"fr": "{method} {url} : introuvable", "en": "{method} {url}: not found"},
    "library.unexpected": {
        "fr": "{method} {url} : réponse inattendue du serveur ({name})",
        "en": "{method} {url}: unexpected answer from the server ({name})",
    },
    "not_xml": {
        "fr": "{method} {url} : la réponse du serveur n'est pas du XML",
        "en": "{method} {url}: the server's answer is not XML",
    },
})


class Refused(Exception):
    """A REPORT the server refused, told by :func:`map_error` after what was being done (as the
    library's ``DAVError`` is)."""

    def __init__(self, answer: Answer, method: str) -> None:
        super().__init__(f"{method} {answer.status}")
        self.status = answer.status
        self.method = method
        self.url = answer.url
        self.retry_after = retry_after_seconds(answer.headers)


class NotXml(Exception):
    """A multistatus answer that is not XML (or not a multistatus)."""

    def __init__(self, answer: Answer, method: str) -> None:
        super().__init__(f"{method}: not XML")
        self.method = method
        self.url = answer.url


class SyncUnsupported(Exception):
    """The server has no usable RFC 6578 sync-collection on this calendar."""


class TokenExpired(Exception):
    """The server no longer knows the sync-token: list everything again."""


class CalendarMissing(NotFound):
    """The calendar collection itself is not on the server (a 404 or 410 on its URL).

    The connector tells the person how to create it (:meth:`connectors.caldav.CalendarConnector.missing_calendar`).
    """

    def __init__(self, message: str, *, connector: str | None, url: str, status: int | None) -> None:
        self.url = url
        self.status = status
        super().__init__(message, connector=connector)


@dataclass
class Listing:
    """What changed: href -> etag for changed/new members, hrefs deleted, the new position."""

    changed: dict[str, str | None] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    token: str | None = None
    full: bool = False


def _path(url: Any) -> str:
    """An href or URL reduced to its unquoted path: the one spelling of a remote id."""
    return unquote(urlsplit(str(url)).path)


class CalendarStore:
    """One calendar collection through ``caldav``. Blocking: call it from a worker thread."""

    MULTIGET_CHUNK = 500

    def __init__(
        self,
        url: str,
        username: str | None,
        password: str | None,
        *,
        verify: bool | str,
        timeout: float,
        on_response: Callable[[str, int], None],
        connector: str | None = None,
        lang: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self.path = _path(self.url)
        self.connector = connector
        self.lang = lang
        #: (method, URL) of the request in flight, for the error if it fails.
        self.request: tuple[str, str] | None = None
        self._username = username
        self._password = password
        self._verify = verify
        self._timeout = timeout
        self._on_response = on_response
        self._lock = threading.Lock()
        self._client: Any = None
        self._calendar: Any = None
        self._http: DavHttp | None = None

    def __repr__(self) -> str:  # never show the password
        return f"CalendarStore({self.url!r}, user={self._username!r})"

    def _open(self) -> Any:
        if self._calendar is None:
            from caldav.davclient import DAVClient

            client = DAVClient(
                url=self.url,
                username=self._username,
                password=self._password,
                auth_type="basic" if self._username else None,
                ssl_verify_cert=self._verify,
                timeout=self._timeout,  # type: ignore[arg-type]  # requests takes seconds as a float
                enable_rfc6764=False,
            )

            def count(response: Any, *args: Any, **kwargs: Any) -> Any:
                self._on_response(response.request.method or "?", int(response.status_code or 0))
                return response

            def note(request: Any, *args: Any, **kwargs: Any) -> Any:
                self.request = (str(request.method or "?"), str(request.url))
                wait_turn_blocking(request.url, self.connector)  # a host's rate limit, in hosting mode
                return request

            client.session.hooks.setdefault("pre_request", []).append(note)
            client.session.hooks.setdefault("response", []).append(count)
            self._client = client
            self._calendar = client.calendar(url=self.url)  # type: ignore[no-untyped-call]
        return self._calendar

    def _lean(self) -> DavHttp | None:
        """The standard library's client for the requests every sync sends; None when the
        environment names a proxy (the library honours it, that client does not)."""
        if self._http is None and not proxied():
            self._http = DavHttp(self._username, self._password, verify=self._verify, timeout=self._timeout,
                                 connector=self.connector, on_request=self._note, on_response=self._on_response)
        return self._http

    def _note(self, method: str, url: str) -> None:
        self.request = (method, url)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            if self._http is not None:
                self._http.close()
            self._client = self._calendar = self._http = None

    def call(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` alone on the store; what the server or the libraries raise comes out as
        the hub's error, naming the request that failed (:func:`map_error`). Anything else is a
        bug and propagates as it is."""
        with self._lock:
            self.request = None
            try:
                return fn(*args)
            except (ConnectorError, Refused, NotXml, OSError, http.client.HTTPException) as exc:
                raise self._error(exc, what) from None
            except Exception as exc:
                # The library's own errors, when it was used (importing them costs its import).
                if self._client is None or not isinstance(exc, remote_errors()):
                    raise
                raise self._error(exc, what) from None

    def _error(self, exc: BaseException, what: str) -> ConnectorError:
        method, url = self.request or ("PROPFIND", self.url)
        error = map_error(exc, self.connector or "", what, lang=self.lang, method=method, url=url)
        if isinstance(error, NotFound) and _path(url).rstrip("/") == self.path.rstrip("/"):
            status = getattr(exc, "status", None)
            return CalendarMissing(
                str(error.args[0]), connector=error.connector, url=self.url, status=status if status else 404
            )
        return error

    # reads --------------------------------------------------------------------------------
    def properties(self) -> dict[str, Any]:
        from caldav.elements import dav

        cal = self._open()
        response = cal._query_properties(
            [dav.DisplayName(), dav.ResourceType(), dav.CurrentUserPrivilegeSet(), GetCtag()],
            depth=0,
        )
        if response.status >= 400:  # the library raises first; never read an error as properties
            raise request_error(response.status, "PROPFIND", self.url, connector=self.connector, lang=self.lang)
        raw = response.find_objects_and_props()
        props: dict[str, Any] = next(iter(raw.values()), {}) if raw else {}
        names = {el.tag for value in props.values() if value is not None for el in value.iter()}
        privileges = sorted(
            t.split("}")[-1]
            for t in names
            if t.split("}")[-1] in ("read", "write", "write-content", "all", "bind", "unbind")
        )
        display = props.get(dav.DisplayName.tag)
        return {
            "displayname": (display.text if display is not None else None) or self.path,
            "calendar": "{urn:ietf:params:xml:ns:caldav}calendar" in names,
            "privileges": privileges,
        }

    def sync(self, token: str | None) -> Listing:
        """RFC 6578 sync-collection since ``token`` (everything when None)."""
        lean = self._lean()
        if lean is not None:
            return self._sync_lean(lean, token)
        from caldav.elements import dav
        from caldav.lib import error

        cal = self._open()
        try:
            result = cal.get_objects_by_sync_token(token, load_objects=False, disable_fallback=True)
        except error.RateLimitError:
            raise
        except error.DAVError as exc:
            status = exc.status
            if dav.ValidSyncToken.tag in exc.preconditions or (token and status in (403, 412)):
                raise TokenExpired() from None
            if status is None and isinstance(exc, error.ReportError):
                # Raised before any request: the library knows this server has no sync-tokens.
                raise SyncUnsupported("the library knows this server has no sync-tokens") from None
            if status is None or status in (401, 404, 408, 429) or status >= 500:
                raise  # down, gone or refused: not a sign that sync-tokens are unsupported
            raise SyncUnsupported(str(status)) from None
        new_token = str(result.sync_token) if result.sync_token else None
        if not new_token or new_token.startswith("fake-"):
            raise SyncUnsupported("the library fell back to a full listing")
        deleted = {_path(u) for u in result.deleted_urls}
        listing = Listing(token=new_token, full=token is None)
        for obj in result.objects:
            href = _path(obj.url)
            if href in deleted or href == self.path:
                continue
            listing.changed[href] = obj.props.get(dav.GetEtag.tag)
        listing.deleted = deleted
        return listing

    def _sync_lean(self, lean: DavHttp, token: str | None) -> Listing:
        """:meth:`sync` as the library does it with its default features: pages of a truncated
        answer followed with each new token; a member with a 404 status and no ETag removed,
        any other changed (a member on several pages: the last page wins)."""
        changed: dict[str, str | None] = {}
        deleted: set[str] = set()
        current = token
        for _ in range(SYNC_PAGES):
            answer = lean.request("REPORT", self.url, sync_body(current or ""), XML)
            if answer.status >= 400:
                raise self._sync_refused(answer, token)
            if answer.status != 207:
                raise SyncUnsupported(f"REPORT answered {answer.status}")
            root = self._multistatus(answer, "REPORT")
            truncated = False
            for member in root.findall(f"{DAV}response"):
                hrefs = [_path((h.text or "").strip()) for h in member.findall(f"{DAV}href")]
                status = _status(member.findtext(f"{DAV}status"))
                if status == 507 and hrefs and hrefs[0].rstrip("/") == self.path.rstrip("/"):
                    truncated = True
                    continue
                etag = _etag(member)
                for href in hrefs:
                    if href.rstrip("/") == self.path.rstrip("/"):
                        continue
                    if status == 404 and etag is None:
                        deleted.add(href)
                        changed.pop(href, None)
                    else:
                        changed[href] = etag
                        deleted.discard(href)
            answered = (root.findtext(f"{DAV}sync-token") or "").strip() or None
            again = truncated and answered is not None and answered != current
            current = answered
            if not again:
                break
        if not current:
            raise SyncUnsupported("no sync-token in the answer")
        return Listing(changed=changed, deleted=deleted, token=current, full=token is None)

    def _sync_refused(self, answer: Answer, token: str | None) -> Exception:
        """What a refused sync-collection means, as the library's reading of it: a token the
        server no longer knows, a server down or refusing (the error), or no sync-tokens."""
        status = answer.status
        try:
            expired = ElementTree.fromstring(answer.body).find(f".//{DAV}valid-sync-token") is not None
        except ElementTree.ParseError:
            expired = False
        if expired or (token and status in (403, 412)):
            return TokenExpired()
        if status in (401, 404, 408, 429) or status >= 500:
            return Refused(answer, "REPORT")
        return SyncUnsupported(str(status))

    def _multistatus(self, answer: Answer, method: str) -> ElementTree.Element:
        try:
            root = ElementTree.fromstring(answer.body)
        except ElementTree.ParseError:
            root = None
        if root is None or root.tag != f"{DAV}multistatus":
            raise NotXml(answer, method)
        return root

    def ctag(self) -> str | None:
        cal = self._open()
        value = cal.get_property(GetCtag())
        return str(value) if value else None

    def etags(self) -> dict[str, str | None]:
        """Every member's etag (depth-1 PROPFIND): the ctag path's listing."""
        from caldav.elements import dav

        response = self._open()._query_properties([dav.GetEtag()], depth=1)
        found = response.expand_simple_props([dav.GetEtag()])
        return {
            _path(href): props.get(dav.GetEtag.tag)
            for href, props in found.items()
            if _path(href).rstrip("/") != self.path.rstrip("/")
        }

    def multiget(self, hrefs: Sequence[str]) -> list[tuple[str, str, str | None]]:
        """(href, iCalendar data, etag) of the given members, a multiget per chunk."""
        lean = self._lean()
        if lean is not None:
            return self._multiget_lean(lean, hrefs)
        from caldav.elements import dav
        from caldav.lib.url import URL

        cal = self._open()
        out: list[tuple[str, str, str | None]] = []
        for i in range(0, len(hrefs), self.MULTIGET_CHUNK):
            urls = [URL.objectify(cal.url.join(quote(h))) for h in hrefs[i : i + self.MULTIGET_CHUNK]]
            for href, data, tags in cal._multiget(urls):
                if data:
                    out.append((_path(href), str(data), tags.get(dav.GetEtag.tag)))
        return out

    def _multiget_lean(self, lean: DavHttp, hrefs: Sequence[str]) -> list[tuple[str, str, str | None]]:
        out: list[tuple[str, str, str | None]] = []
        for i in range(0, len(hrefs), self.MULTIGET_CHUNK):
            listed = "".join(f"<D:href>{_escape(quote(h))}</D:href>" for h in hrefs[i : i + self.MULTIGET_CHUNK])
            answer = lean.request("REPORT", self.url, MULTIGET_BODY.format(hrefs=listed).encode(), XML)
            if answer.status >= 400:
                raise Refused(answer, "REPORT")
            for member in self._multistatus(answer, "REPORT").findall(f"{DAV}response"):
                data = member.findtext(f"{DAV}propstat/{DAV}prop/{CALDAV}calendar-data")
                href = member.findtext(f"{DAV}href")
                if data and href:
                    out.append((_path(href.strip()), data, _etag(member)))
        return out

    # writes -------------------------------------------------------------------------------
    def put(self, href: str, body: str, *, if_match: str | None, create: bool) -> str | None:
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if create:
            headers["If-None-Match"] = "*"
        else:
            headers["If-Match"] = if_match or "*"
        url = self._url(href)
        lean = self._lean()
        if lean is not None:
            answer = lean.request("PUT", url, body.encode(), headers)
            self._raise_for_status(answer, "PUT", url)
            return answer.headers.get("etag") or None
        self._open()
        response = self._client.put(url, body, headers)
        self._raise_for_status(response, "PUT", url)
        etag = response.headers.get("ETag")
        return str(etag) if etag else None

    def delete(self, href: str, if_match: str | None) -> None:
        headers = {"If-Match": if_match} if if_match else {}
        url = self._url(href)
        lean = self._lean()
        response: Any
        if lean is not None:
            response = lean.request("DELETE", url, None, headers)
        else:
            self._open()
            response = self._client.delete(url, headers)
        if response.status in (404, 410):
            return  # already gone: deleting is idempotent
        self._raise_for_status(response, "DELETE", url)

    def _url(self, href: str) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}{quote(href)}"

    def _raise_for_status(self, response: Any, method: str, url: str) -> None:
        """A conditional write's answer (an :class:`Answer` or a caldav ``DAVResponse``) through
        the shared table."""
        status = int(response.status)
        if status >= 400:
            after = retry_after_seconds(response.headers)
            raise request_error(status, method, url, connector=self.connector, lang=self.lang, retry_after=after)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _status(line: str | None) -> int | None:
    """The code of a multistatus ``status`` line (``HTTP/1.1 404 Not Found``), or None."""
    parts = (line or "").split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _etag(member: ElementTree.Element) -> str | None:
    """A member's ETag from a propstat that is not an error."""
    for propstat in member.findall(f"{DAV}propstat"):
        etag = propstat.findtext(f"{DAV}prop/{DAV}getetag")
        if etag and etag.strip() and (_status(propstat.findtext(f"{DAV}status")) or 200) < 300:
            return etag.strip()
    return None


def GetCtag() -> Any:
    """``CS:getctag``, which caldav has no element for."""
    from caldav.elements.base import ValuedBaseElement

    class _GetCtag(ValuedBaseElement):
        tag = "{http://calendarserver.org/ns/}getctag"

    return _GetCtag()


def remote_errors() -> tuple[type[BaseException], ...]:
    """What the server or the libraries raise for a failed exchange: the errors
    :func:`map_error` maps. Anything else (a ``TypeError``, a ``KeyError``) is a bug and is left
    to propagate with its traceback."""
    from caldav.lib import error
    from caldav.lib.http_sync import requests  # niquests, or requests without it
    from lxml import etree  # type: ignore[import-untyped]

    return (ConnectorError, error.DAVError, requests.exceptions.RequestException, etree.XMLSyntaxError)


def map_error(
    exc: BaseException,
    connector: str,
    what: str,
    *,
    lang: str = DEFAULT_LANGUAGE,
    method: str = "?",
    url: str = "?",
) -> ConnectorError:
    """A caldav/niquests failure as the hub's error, naming the request (``method``, ``url``)
    and what came of it, never with credentials in it.

    Statuses come from the library's ``DAVError.status``, never from its message, and go
    through the shared table (:func:`connectors.http.request_error`).
    """
    if isinstance(exc, ConnectorError):
        exc.connector = exc.connector or connector
        return exc
    say = MESSAGES.say
    if isinstance(exc, Refused):
        return request_error(exc.status, exc.method, exc.url, connector=connector, lang=lang, what=what,
                             retry_after=exc.retry_after)
    if isinstance(exc, NotXml):
        message = say("not_xml", lang, method=exc.method, url=redact_url(exc.url))
        return TransientError(told(message, lang, what), connector=connector)
    if isinstance(exc, (OSError, http.client.HTTPException)):  # niquests' errors are OSErrors too
        return network_error(exc, url, connector=connector, lang=lang, what=what)
    from caldav.lib import error
    from lxml import etree

    where = {"method": method, "url": redact_url(url)}
    if isinstance(exc, error.DAVError):
        status = exc.status
        if status is not None:
            after = exc.retry_after_seconds if isinstance(exc, error.RateLimitError) else None
            return request_error(status, method, url, connector=connector, lang=lang, what=what, retry_after=after)
        # Raised by the library without an answer to show for it.
        if isinstance(exc, error.AuthorizationError):
            return AuthError(told(say("library.auth", lang, **where), lang, what), connector=connector)
        if isinstance(exc, error.NotFoundError):
            return NotFound(told(say("library.not_found", lang, **where), lang, what), connector=connector)
        message = say("library.unexpected", lang, name=type(exc).__name__, **where)
        return TransientError(told(message, lang, what), connector=connector)
    if isinstance(exc, etree.XMLSyntaxError):
        return TransientError(told(say("not_xml", lang, **where), lang, what), connector=connector)
    return network_error(exc, url, connector=connector, lang=lang, what=what)
