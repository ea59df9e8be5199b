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

from connectors.http import error_for_status
from sync.errors import AuthError, ConnectorError, PermanentError, TransientError


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


def map_error(exc: BaseException, connector: str, what: str) -> ConnectorError:
    """An nc-py-api or niquests failure as the hub's error, with no URL credentials in it."""
    from nc_py_api import NextcloudException

    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, NextcloudException):
        status = int(exc.status_code or 0)
        status = {997: 401, 998: 404}.get(status, status)  # OCS codes for "not logged in", "not found"
        if status in (401, 403):
            return AuthError(f"{what}: credentials refused or right missing ({status})", connector=connector)
        return error_for_status(status, f"{what}: answered {status}", connector=connector)
    if isinstance(exc, json.JSONDecodeError):
        return PermanentError(f"{what}: the answer is not Nextcloud's (is this a Nextcloud server?)",
                              connector=connector)
    return TransientError(
        f"{what}: cannot reach the server ({type(exc).__name__})", connector=connector
    )


async def account(nc: Any, connector: str) -> Account:
    try:
        version = await nc.srv_version
        user = await nc.user
    except remote_errors() as exc:
        raise map_error(exc, connector, "Nextcloud account") from None
    return Account(str(version.get("string") or version.get("major")), str(user))


async def _node(nc: Any, path: str, connector: str) -> Any:
    from nc_py_api import NextcloudException

    try:
        return await nc.files.by_path(path)
    except NextcloudException as exc:
        if int(getattr(exc, "status_code", 0) or 0) == 404:
            return None
        raise map_error(exc, connector, "shared folder") from None
    except remote_errors() as exc:
        raise map_error(exc, connector, "shared folder") from None


async def folder_rights(nc: Any, path: str, connector: str) -> FolderRights:
    """Permissions of ``path`` or, when it does not exist yet, of the nearest existing parent."""
    node = await _node(nc, path, connector)
    if node is not None:
        return FolderRights(True, str(node.info.permissions))
    parts = [p for p in path.strip("/").split("/") if p]
    while parts:
        parts.pop()
        node = await _node(nc, "/".join(parts), connector)
        if node is not None:
            return FolderRights(False, str(node.info.permissions))
    return FolderRights(False, "")


async def close(nc: Any) -> None:
    session = nc._session
    for adapter in (session.adapter, session.adapter_dav):
        await adapter.close()
