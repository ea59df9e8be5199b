"""The account side of ``hub check`` through nc-py-api's async client (OCS endpoints).

nc-py-api's synchronous ``Nextcloud`` class is deprecated (removal announced for 0.31) and is
the only one with calendar support, so the hub uses ``AsyncNextcloud`` for what it does well:
the OCS calls (server capabilities and version, the logged-in user) and the folder's
permissions. The calendar goes through ``caldav``, the publishing through the hub's own counted
HTTP client (nc-py-api's upload has no conditional write). Its niquests session is hooked so
its requests are counted like every other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from config.redaction import redact_url
from connectors.net import DEFAULT_LANGUAGE, network_error, request_error, told
from sync.errors import ConnectorError, PermanentError
from sync.i18n import Catalogue

MESSAGES = Catalogue({
    "not_nextcloud": {
        "fr": "{url} : la réponse n'est pas celle de Nextcloud (est-ce bien un serveur Nextcloud ?)",
        "en": "{url}: the answer is not Nextcloud's (is this a Nextcloud server?)",
    },
})


@dataclass(frozen=True)
class Account:
    version: str
    user: str


@dataclass(frozen=True)
class FolderRights:
    exists: bool
    permissions: str  # Nextcloud letters: G read, W write, C create files, K create folders...


def client(url: str, user: str, password: str, verify: bool | str, on_response: Any) -> Any:
    """An ``AsyncNextcloud`` whose every response is counted."""
    from nc_py_api import AsyncNextcloud

    nc = AsyncNextcloud(
        nextcloud_url=url, nc_auth_user=user, nc_auth_pass=password, npa_nc_cert=verify
    )

    async def count(response: Any, *args: Any, **kwargs: Any) -> Any:
        on_response(str(response.request.method or "?"), int(response.status_code or 0))
        return response

    session = nc._session
    for adapter in (session.adapter, session.adapter_dav):
        adapter.hooks.setdefault("response", []).append(count)
    return nc


def remote_errors() -> tuple[type[BaseException], ...]:
    """What nc-py-api and niquests raise for a failed exchange (an answer that is not
    Nextcloud's JSON included): the errors :func:`map_error` maps. Anything else is a bug and
    propagates with its traceback."""
    from nc_py_api import NextcloudException
    from niquests.exceptions import RequestException

    return (ConnectorError, NextcloudException, RequestException, json.JSONDecodeError)


def _request_of(exc: BaseException) -> tuple[str, str]:
    """(method, URL) of the request that failed, from the error or its answer."""
    response = getattr(exc, "response", None)
    request = getattr(response, "request", None) or getattr(exc, "request", None)
    if request is not None:
        return str(getattr(request, "method", None) or "?"), str(getattr(request, "url", None) or "?")
    info = str(getattr(exc, "info", "") or "")  # nc-py-api's "request: GET /ocs/v1.php/..."
    method, _, url = info.removeprefix("request: ").partition(" ")
    return (method, url) if info.startswith("request: ") and url else ("?", "?")


def map_error(exc: BaseException, connector: str, what: str, lang: str = DEFAULT_LANGUAGE) -> ConnectorError:
    """An nc-py-api or niquests failure as the hub's error, naming the request and what came of
    it, with no URL credentials in it."""
    from nc_py_api import NextcloudException

    if isinstance(exc, ConnectorError):
        return exc
    method, url = _request_of(exc)
    if isinstance(exc, NextcloudException) and exc.response is None and exc.status_code == 408:
        return network_error(exc, url, connector=connector, lang=lang, what=what)  # nc-py-api's read timeout
    if isinstance(exc, NextcloudException):
        status = int(exc.status_code or 0)
        status = {996: 500, 997: 401, 998: 404}.get(status, status)  # OCS codes: error, not logged in, not found
        return request_error(status, method, url, connector=connector, lang=lang, what=what)
    if isinstance(exc, json.JSONDecodeError):
        message = MESSAGES.say("not_nextcloud", lang, url=redact_url(url))
        return PermanentError(told(message, lang, what), connector=connector)
    return network_error(exc, url, connector=connector, lang=lang, what=what)


async def account(nc: Any, connector: str, lang: str = DEFAULT_LANGUAGE) -> Account:
    try:
        version = await nc.srv_version
        user = await nc.user
    except remote_errors() as exc:
        raise map_error(exc, connector, "Nextcloud account", lang) from None
    return Account(str(version.get("string") or version.get("major")), str(user))


async def _node(nc: Any, path: str, connector: str, lang: str) -> Any:
    from nc_py_api import NextcloudException

    try:
        return await nc.files.by_path(path)
    except NextcloudException as exc:
        if int(getattr(exc, "status_code", 0) or 0) == 404:
            return None
        raise map_error(exc, connector, "shared folder", lang) from None
    except remote_errors() as exc:
        raise map_error(exc, connector, "shared folder", lang) from None


async def folder_rights(nc: Any, path: str, connector: str, lang: str = DEFAULT_LANGUAGE) -> FolderRights:
    """Permissions of ``path`` or, when it does not exist yet, of the nearest existing parent."""
    node = await _node(nc, path, connector, lang)
    if node is not None:
        return FolderRights(True, str(node.info.permissions))
    parts = [p for p in path.strip("/").split("/") if p]
    while parts:
        parts.pop()
        node = await _node(nc, "/".join(parts), connector, lang)
        if node is not None:
            return FolderRights(False, str(node.info.permissions))
    return FolderRights(False, "")


async def close(nc: Any) -> None:
    session = nc._session
    for adapter in (session.adapter, session.adapter_dav):
        await adapter.close()
