"""The REST API (``/wp-json/wp/v2``) with an application password: the main path.

Reads use ``context=edit`` so the raw title and content come back as stored (the rendered forms
are rewritten by filters). The incremental probe is ``GET /pages?include=<id>&modified_after=``
with every status: an unchanged page answers an empty list, one request. Sites without pretty
permalinks are reached through ``/?rest_route=``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors.http import describe_transport_error, raise_for_response
from connectors.wordpress.api import LOOKUP_STATUSES, Account, Page, SiteAPI, http_date
from connectors.wordpress.messages import say
from sync.errors import AuthError, ConnectorError, PermanentError

_STATUSES = ",".join(LOOKUP_STATUSES)


def _page(data: Mapping[str, Any], seen: str = "") -> Page:
    def raw(name: str) -> str:
        value = data.get(name)
        if isinstance(value, Mapping):
            return str(value.get("raw", value.get("rendered", "")))
        return str(value or "")

    return Page(
        id=str(data["id"]),
        slug=str(data.get("slug", "")),
        status=str(data.get("status", "")),
        title=raw("title"),
        content=raw("content"),
        modified=str(data.get("modified_gmt", ""))[:19],
        seen=seen,
    )


class RestAPI(SiteAPI):
    name = "REST"

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        username: str,
        password: str,
        *,
        connector: str,
        lang: str,
        pretty: bool = True,
    ) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self.auth = httpx.BasicAuth(username, password)
        self.connector = connector
        self.lang = lang
        self.pretty = pretty
        #: The server's clock at its last answer (see :class:`Page`).
        self.seen = ""

    def _endpoint(self, route: str) -> tuple[str, dict[str, str]]:
        if self.pretty:
            return f"{self.url}/wp-json/wp/v2{route}", {}
        return f"{self.url}/", {"rest_route": f"/wp/v2{route}"}

    async def _call(
        self,
        method: str,
        route: str,
        what: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        url, base_params = self._endpoint(route)
        try:
            response = await self.http.request(
                method,
                url,
                params={**base_params, **(params or {})},
                json=body,
                auth=self.auth,
            )
        except httpx.TransportError as exc:
            raise describe_transport_error(exc, self.connector) from None
        self.seen = http_date(response.headers.get("date"))
        if missing_ok and response.status_code in (404, 410):
            return None
        if response.status_code >= 400:
            self._raise(response, what)
        try:
            return response.json()
        except json.JSONDecodeError:
            raise PermanentError(
                f"{what}: {method} {route} did not answer JSON (is this a WordPress site?)",
                connector=self.connector,
            ) from None

    def _raise(self, response: httpx.Response, what: str) -> None:
        code, params = "", {}
        try:
            payload = response.json()
            if isinstance(payload, Mapping):
                code = str(payload.get("code", ""))
                data = payload.get("data")
                if isinstance(data, Mapping) and isinstance(data.get("params"), Mapping):
                    params = data["params"]
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
        if code == "rest_invalid_param" and "status" in params:
            # Only anonymous requests are refused non-public statuses: WordPress ignored the
            # credentials (a wrong application password is treated as no login at all).
            refused = say("auth.refused", self.lang, url=self.url)
            raise AuthError(f"{refused} ({code})", connector=self.connector)
        if response.status_code == 401:
            # A wrong user or application password, or a server that drops the Authorization
            # header (WordPress then sees an anonymous request: rest_not_logged_in).
            refused = say("auth.refused", self.lang, url=self.url)
            raise AuthError(f"{refused} ({code or 401})", connector=self.connector)
        try:
            raise_for_response(response, self.connector, what)
        except ConnectorError as exc:
            if code:
                exc.args = (f"{exc.args[0]} ({code})",)
            raise

    async def account(self) -> Account:
        data = await self._call("GET", "/users/me", "who am I", params={"context": "edit"})
        caps = data.get("capabilities") or {}
        return Account(
            username=str(data.get("username") or data.get("slug") or ""),
            capabilities=frozenset(name for name, granted in caps.items() if granted),
            roles=tuple(data.get("roles") or ()),
        )

    async def page_by_id(self, page_id: str) -> Page | None:
        data = await self._call(
            "GET",
            f"/pages/{page_id}",
            "read the programme page",
            params={"context": "edit"},
            missing_ok=True,
        )
        return _page(data, self.seen) if data else None

    async def _pages(self, params: Mapping[str, str], what: str) -> list[Page]:
        query = {"context": "edit", "status": _STATUSES, "per_page": "10", **params}
        data = await self._call("GET", "/pages", what, params=query)
        return [_page(item, self.seen) for item in data]

    async def page_by_slug(self, slug: str) -> Page | None:
        pages = await self._pages({"slug": slug}, "look up the programme page")
        live = [p for p in pages if p.status != "trash"]
        return min(live, key=lambda p: int(p.id)) if live else None

    async def page_if_modified(
        self, page_id: str, since: str, *, inclusive: bool = False
    ) -> Page | None:
        after = datetime.fromisoformat(since).replace(tzinfo=UTC)
        if inclusive:
            after -= timedelta(seconds=1)
        pages = await self._pages(
            {"include": page_id, "modified_after": after.isoformat()}, "probe the programme page"
        )
        return pages[0] if pages else None

    async def save_page(self, page_id: str | None, slug: str, title: str, content: str) -> Page:
        body = {"slug": slug, "title": title, "content": content, "status": "publish"}
        route = "/pages" if page_id is None else f"/pages/{page_id}"
        data = await self._call("POST", route, "write the programme page", body=body)
        return _page(data, self.seen)

    async def find_post(self, slug: str, marker: str) -> str | None:
        query = {
            "context": "edit",
            "status": _STATUSES,
            "slug": f"{slug},{slug}__trashed",
            "per_page": "10",
        }
        data = await self._call("GET", "/posts", "look up a news post", params=query)
        return str(data[0]["id"]) if data else None

    async def create_post(self, slug: str, title: str, content: str, status: str) -> Page:
        body = {"slug": slug, "title": title, "content": content, "status": status}
        data = await self._call("POST", "/posts", "publish a news post", body=body)
        return _page(data)
