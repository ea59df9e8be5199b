"""A folder of a Nextcloud account over WebDAV, where the exports are published in place.

Files are replaced with ``PUT`` on the same path (never deleted and re-created), so a public
share link on the folder or on a file keeps pointing at the current programme. Each write is
conditional on what the folder listing said a moment before (``If-Match`` the file's etag, or
``If-None-Match: *`` for a new file): a 412 means somebody else replaced the file meanwhile and
surfaces as :class:`PreconditionFailed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree

import httpx

from connectors.http import describe_transport_error, raise_for_response
from sync.errors import NotFound

DAV = "{DAV:}"
OC = "{http://owncloud.org/ns}"
PROPFIND_BODY = (
    '<?xml version="1.0"?>'
    '<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">'
    "<d:prop><d:getetag/><d:resourcetype/><oc:permissions/></d:prop>"
    "</d:propfind>"
)
CONTENT_TYPES = {
    ".ics": "text/calendar; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


class SharedFolder:
    """``/remote.php/dav/files/<user>/<folder>/`` through the connector's counting client."""

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, user: str, folder: str, connector: str
    ) -> None:
        self.http = http
        self.connector = connector
        self.segments = [s for s in folder.strip("/").split("/") if s]
        self.root = f"{base_url.rstrip('/')}/remote.php/dav/files/{quote(user)}/"
        self.url = self.root + "".join(quote(s) + "/" for s in self.segments)

    async def _send(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            return await self.http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise describe_transport_error(exc, self.connector) from None

    async def listing(self, url: str | None = None) -> dict[str, tuple[str | None, str]] | None:
        """name -> (etag, permissions) of the folder's members and of the folder itself (key
        ""); None when the folder does not exist."""
        url = url or self.url
        response = await self._send(
            "PROPFIND",
            url,
            content=PROPFIND_BODY,
            headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
        )
        if response.status_code == 404:
            return None
        raise_for_response(response, self.connector, "shared folder")
        base = unquote(urlsplit(url).path).rstrip("/")
        out: dict[str, tuple[str | None, str]] = {}
        for item in ElementTree.fromstring(response.content).iter(f"{DAV}response"):
            href = unquote(urlsplit(item.findtext(f"{DAV}href", "")).path).rstrip("/")
            name = (
                href[len(base) :].strip("/") if href.startswith(base) else href.rsplit("/", 1)[-1]
            )
            etag: str | None = None
            permissions = ""
            for propstat in item.iter(f"{DAV}propstat"):
                if "200" not in (propstat.findtext(f"{DAV}status") or ""):
                    continue
                etag = propstat.findtext(f".//{DAV}getetag") or etag
                permissions = propstat.findtext(f".//{OC}permissions") or permissions
            out[name] = (etag, permissions)
        return out

    async def make(self) -> None:
        """Create the folder and its missing parents (MKCOL, 405 = already there)."""
        url = self.root
        for segment in self.segments:
            url += quote(segment) + "/"
            response = await self._send("MKCOL", url)
            if response.status_code not in (201, 405):
                raise_for_response(response, self.connector, "create the shared folder")

    async def publish(self, files: Mapping[str, bytes]) -> list[str]:
        """Write each file in place; returns their new etags (or "" when not given)."""
        present = await self.listing()
        if present is None:
            await self.make()
            present = {}
        etags: list[str] = []
        for name, content in files.items():
            headers = {
                "Content-Type": CONTENT_TYPES.get(
                    name[name.rfind(".") :], "application/octet-stream"
                )
            }
            etag = present.get(name, (None, ""))[0]
            if name in present and etag:
                headers["If-Match"] = etag
            elif name not in present:
                headers["If-None-Match"] = "*"
            response = await self._send(
                "PUT", self.url + quote(name), content=content, headers=headers
            )
            if response.status_code == 404:
                raise NotFound(f"PUT {name}: the shared folder vanished", connector=self.connector)
            raise_for_response(response, self.connector, f"publish {name}")
            etags.append(response.headers.get("ETag", ""))
        return etags
