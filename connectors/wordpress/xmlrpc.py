"""The XML-RPC API (``/xmlrpc.php``) through python-wordpress-xmlrpc, for sites without REST.

python-wordpress-xmlrpc 2.3 (2014, unmaintained) needs two adjustments, both local to this
module; nothing is patched globally:

* its ``XmlrpcMethod.process_result`` tests results against ``collections.Iterable``, which
  Python 3.10 removed, so every call returning a *list* (``wp.getPosts``...) raises
  ``AttributeError``. The list methods used here are subclasses whose ``process_result``
  handles lists with ``collections.abc`` and defers to the library for everything else;
* its ``Client`` asks ``mt.supportedMethods`` in its constructor, a round trip on every run.
  :class:`_Client` skips it and declares the core ``wp.*`` methods used here (WordPress >= 3.4);
  ``check`` still asks the server for its method list and proves each one is there.

The blocking library runs in a worker thread; its transport counts every HTTP request in the
hub's request counter and honours the connector's timeout.
"""

from __future__ import annotations

import asyncio
import collections.abc
import http.client
import xmlrpc.client
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from xml.parsers.expat import ExpatError

from wordpress_xmlrpc import Client, WordPressPage, WordPressPost
from wordpress_xmlrpc.exceptions import InvalidCredentialsError, XmlrpcDisabledError
from wordpress_xmlrpc.methods import posts, users

from connectors.http import error_for_status, retry_after_seconds
from connectors.wordpress.api import LOOKUP_STATUSES, Account, Page, SiteAPI, http_date
from connectors.wordpress.messages import say
from sync.errors import AuthError, NotFound, PermanentError, TransientError

T = TypeVar("T")
_PAGE_FIELDS = ["post_name", "post_status", "post_title", "post_content", "post_modified_gmt"]
_SCAN = 100  # posts per wp.getPosts call when looking for a slug


class _ListResult:
    """``process_result`` for list answers without ``collections.Iterable`` (gone in 3.10)."""

    results_class: Any

    def process_result(self, raw_result: Any) -> Any:
        if (
            self.results_class
            and isinstance(raw_result, collections.abc.Sequence)
            and not (isinstance(raw_result, str | bytes))
        ):
            return [self.results_class(item) for item in raw_result]
        return super().process_result(raw_result)  # type: ignore[misc]


class GetPosts(_ListResult, posts.GetPosts):  # type: ignore[misc]
    """``wp.getPosts`` that works on Python >= 3.10."""


#: The methods this module calls (the constructor's server probe is skipped, see above).
USED_METHODS = frozenset(
    {"wp.getPost", "wp.getPosts", "wp.newPost", "wp.editPost", "wp.getProfile"}
)


class _Counting:
    """Counts each HTTP request and applies a timeout (mixed into the stdlib transports)."""

    _count: Callable[[], None]
    _timeout: float
    #: The server's clock at its last answer (see :class:`Page`).
    seen: str = ""

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection = super().make_connection(host)  # type: ignore[misc]
        conn.timeout = self._timeout
        return conn

    def request(self, host: Any, handler: Any, request_body: Any, verbose: bool = False) -> Any:
        self._count()
        return super().request(host, handler, request_body, verbose)  # type: ignore[misc]

    def parse_response(self, response: http.client.HTTPResponse) -> Any:
        self.seen = http_date(response.getheader("date"))
        return super().parse_response(response)  # type: ignore[misc]


class _CountingTransport(_Counting, xmlrpc.client.Transport):
    pass


class _CountingSafeTransport(_Counting, xmlrpc.client.SafeTransport):  # type: ignore[misc]
    pass


def _transport(count: Callable[[], None], timeout: float, secure: bool) -> _Counting:
    transport: _Counting = _CountingSafeTransport() if secure else _CountingTransport()
    transport._count = count
    transport._timeout = timeout
    return transport


class _Client(Client):  # type: ignore[misc]
    """The library's client without the method-list round trip in its constructor."""

    def __init__(self, url: str, username: str, password: str, transport: Any) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.blog_id = 0
        self.server = xmlrpc.client.ServerProxy(url, allow_none=True, transport=transport)
        self.supported_methods = USED_METHODS


def _gmt(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    return str(value or "")[:19]


def _page(post: Any, post_id: str | None = None, seen: str = "") -> Page:
    return Page(
        id=str(getattr(post, "id", None) or post_id or ""),
        slug=str(getattr(post, "slug", "") or ""),
        status=str(getattr(post, "post_status", "") or ""),
        title=str(getattr(post, "title", "") or ""),
        content=str(getattr(post, "content", "") or ""),
        modified=_gmt(getattr(post, "date_modified", None)),
        seen=seen,
    )


class XmlRpcAPI(SiteAPI):
    name = "XML-RPC"

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        connector: str,
        lang: str,
        count: Callable[[], None],
        timeout: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.endpoint = f"{self.url}/xmlrpc.php"
        self.connector = connector
        self.lang = lang
        self.transport = _transport(count, timeout, self.endpoint.startswith("https:"))
        self.client = _Client(self.endpoint, username, password, self.transport)

    async def _run(self, what: str, call: Callable[[], T], *, missing_ok: bool = False) -> T | None:
        try:
            return await asyncio.to_thread(call)
        except InvalidCredentialsError:
            refused = say("auth.refused", self.lang, url=self.url)
            raise AuthError(refused, connector=self.connector) from None
        except XmlrpcDisabledError:
            disabled = say("xmlrpc.disabled", self.lang, url=self.url)
            raise AuthError(disabled, connector=self.connector) from None
        except xmlrpc.client.Fault as fault:
            # WordPress borrows HTTP numbers for its faults (401/403 rights, 404 no such post,
            # 500 refused): a definite answer, so never "try again later".
            code = fault.faultCode
            if code == 404 and missing_ok:
                return None
            message = say("xmlrpc.fault", self.lang, what=what, endpoint=self.endpoint, code=code,
                          reason=fault.faultString)
            raise error_for_status(code, message, connector=self.connector, transient=False) from None
        except xmlrpc.client.ProtocolError as exc:
            # An HTTP error on xmlrpc.php itself: a 404 means no endpoint, not a missing page.
            message = say("xmlrpc.status", self.lang, what=what, endpoint=self.endpoint, status=exc.errcode)
            headers = {str(k).lower(): str(v) for k, v in dict(exc.headers or {}).items()}
            raise error_for_status(
                exc.errcode,
                message,
                connector=self.connector,
                retry_after=retry_after_seconds(headers),
                conditional=False,
            ) from None
        except (xmlrpc.client.ResponseError, ExpatError):
            raise PermanentError(
                say("xmlrpc.not_xmlrpc", self.lang, what=what, endpoint=self.endpoint), connector=self.connector
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise TransientError(
                say("xmlrpc.unreachable", self.lang, what=what, endpoint=self.endpoint, reason=type(exc).__name__),
                connector=self.connector,
            ) from None

    async def supported_methods(self) -> frozenset[str]:
        """The server's own method list (``check`` proves the methods used are there)."""
        result = await self._run("list methods", self.client.server.mt.supportedMethods)
        return (
            frozenset(str(name) for name in result or ())
            if isinstance(result, list)
            else frozenset()
        )

    async def account(self) -> Account:
        user = await self._run("who am I", lambda: self.client.call(users.GetProfile()))
        return Account(
            username=str(getattr(user, "username", "") or ""),
            capabilities=None,
            roles=tuple(getattr(user, "roles", None) or ()),
        )

    async def _get(self, page_id: str, fields: list[str], what: str) -> Page | None:
        post = await self._run(
            what, lambda: self.client.call(posts.GetPost(int(page_id), fields)), missing_ok=True
        )
        return _page(post, page_id, self.transport.seen) if post is not None else None

    async def page_by_id(self, page_id: str) -> Page | None:
        return await self._get(page_id, _PAGE_FIELDS, "read the programme page")

    async def page_by_slug(self, slug: str) -> Page | None:
        statuses = [s for s in LOOKUP_STATUSES if s != "trash"]
        offset = 0
        while True:
            query = {
                "post_type": "page",
                "post_status": statuses,
                "number": _SCAN,
                "offset": offset,
                "orderby": "ID",
                "order": "ASC",
            }
            batch = await self._run(
                "look up the programme page",
                lambda q=query: self.client.call(GetPosts(q, ["post_name"])),  # type: ignore[misc]
            )
            for post in batch or []:
                if getattr(post, "slug", None) == slug:
                    return await self.page_by_id(str(post.id))
            if not batch or len(batch) < _SCAN:
                return None
            offset += _SCAN

    async def page_if_modified(
        self, page_id: str, since: str, *, inclusive: bool = False
    ) -> Page | None:
        if inclusive:
            # The page must be read anyway: one call with every field.
            page = await self.page_by_id(page_id)
            return page if page is not None and page.modified >= since else None
        probe = await self._get(page_id, ["post_modified_gmt"], "probe the programme page")
        if probe is None or probe.modified <= since:
            return None
        return await self.page_by_id(page_id)

    async def save_page(self, page_id: str | None, slug: str, title: str, content: str) -> Page:
        page = WordPressPage()
        page.title = title
        page.content = content
        page.slug = slug
        page.post_status = "publish"
        if page_id is None:
            new_id = await self._run(
                "create the programme page", lambda: self.client.call(posts.NewPost(page))
            )
            page_id = str(new_id)
        else:
            await self._run(
                "write the programme page",
                lambda: self.client.call(posts.EditPost(int(page_id), page)),
            )
        stored = await self.page_by_id(page_id)
        if stored is None:
            raise NotFound(f"the programme page #{page_id} vanished", connector=self.connector)
        return stored

    async def find_post(self, slug: str, marker: str) -> str | None:
        # wp.getPosts cannot filter by slug; its search does match the mark in the content.
        query = {
            "post_type": "post",
            "post_status": list(LOOKUP_STATUSES),
            "s": marker,
            "number": 20,
        }
        found = await self._run(
            "look up a news post", lambda: self.client.call(GetPosts(query, ["post_name"]))
        )
        for post in found or []:
            if getattr(post, "slug", None) in (slug, f"{slug}__trashed"):
                return str(post.id)
        return None

    async def create_post(self, slug: str, title: str, content: str, status: str) -> Page:
        post = WordPressPost()
        post.title = title
        post.content = content
        post.slug = slug
        post.post_status = status
        new_id = await self._run(
            "publish a news post", lambda: self.client.call(posts.NewPost(post))
        )
        return Page(
            id=str(new_id), slug=slug, status=status, title=title, content=content, modified=""
        )
