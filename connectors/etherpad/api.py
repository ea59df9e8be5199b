"""Etherpad's HTTP API (``/api/<version>/<function>``), authenticated, with errors mapped.

Two ways in:

- an API key (Etherpad 1.x, and 2.x with ``authenticationMethod: "apikey"``), sent as the
  ``apikey`` form field of a POST: Etherpad 1.8 reads the key only from the query or the body,
  and a query string ends up in access logs and client logs;
- OAuth2 client credentials (Etherpad 2.x default, ``sso``): a token from ``/oidc/token``
  (client authenticated with HTTP Basic, oidc-provider's default, or in the form), sent as
  ``Authorization: Bearer``. Etherpad makes a new signing key at each start, so a token may
  die early: a refused token is renewed once.

Every call is a POST (all functions accept it since 1.8, and texts exceed what a GET can carry).
The shared transport does not repeat POSTs, so the read-only functions are retried here on
transient failures. The answer envelope ``{code, message, data}`` maps to the error tree:
code 1 (bad parameters) is a permanent error except "padID does not exist" (``NotFound``),
2 (internal error) transient, 3 (no such function or version) permanent, 4 (key or token
refused) an authentication error. Messages name the function, never a credential.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any
from urllib.parse import quote_plus

import httpx

from connectors.http import (
    describe_transport_error,
    error_for_status,
    raise_for_response,
    retry_after_seconds,
)
from sync.errors import AuthError, ConnectorError, NotFound, PermanentError, TransientError

#: Functions that only read: safe to send twice.
READ_ONLY = frozenset(
    {
        "checkToken",
        "getText",
        "getHTML",
        "getRevisionsCount",
        "getLastEdited",
        "listAllPads",
        "getReadOnlyID",
        "padUsersCount",
        "getRevisionChangeset",
        "getAttributePool",
    }
)
READ_ATTEMPTS = 3
#: The statuses of a token endpoint that refuse the credentials: every 4xx but "try later".
TOKEN_REFUSALS = frozenset(range(400, 500)) - {408, 429}
#: The HTTP status Etherpad (>= 1.8) gives each error code of its envelope: an older one, or a
#: proxy, may answer 200 whatever the code.
CODE_STATUS = {1: 400, 2: 500, 3: 404, 4: 401}


class Credentials:
    """How requests prove who sends them."""

    method = "?"

    async def apply(self, api: EtherpadAPI, form: dict[str, str], headers: dict[str, str]) -> None:
        raise NotImplementedError

    def refused(self) -> bool:
        """Forget what was refused; True if asking again may succeed."""
        return False


class ApiKey(Credentials):
    method = "API key"

    def __init__(self, key: str) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "ApiKey(***)"

    async def apply(self, api: EtherpadAPI, form: dict[str, str], headers: dict[str, str]) -> None:
        form["apikey"] = self._key


class ClientCredentials(Credentials):
    """OAuth2 client-credentials grant, token kept until shortly before it expires."""

    method = "OAuth2"

    def __init__(
        self,
        token_url: str,
        client_id: str,
        secret: str,
        *,
        basic: bool = True,
        scope: str | None = None,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = secret
        self.basic = basic
        self.scope = scope
        self._token: str | None = None
        self._expires = 0.0

    def __repr__(self) -> str:
        return f"ClientCredentials({self.client_id!r}, ***)"

    async def apply(self, api: EtherpadAPI, form: dict[str, str], headers: dict[str, str]) -> None:
        if self._token is None or time.monotonic() >= self._expires:
            await self._fetch(api)
        headers["Authorization"] = f"Bearer {self._token}"

    def refused(self) -> bool:
        had = self._token is not None
        self._token = None
        return had

    async def _fetch(self, api: EtherpadAPI) -> None:
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        headers = {"Accept": "application/json"}
        if self.basic:
            # RFC 6749 2.3.1: both parts form-encoded, then Basic.
            pair = f"{quote_plus(self.client_id)}:{quote_plus(self._secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form |= {"client_id": self.client_id, "client_secret": self._secret}
        try:
            response = await api.http.post(self.token_url, data=form, headers=headers)
        except httpx.TransportError as exc:
            raise describe_transport_error(exc, api.connector) from None
        status = response.status_code
        if status >= 400:
            # Every refusal of a token request is about the credentials; a 404 too: no OAuth2
            # endpoint there (an Etherpad 1.x, a wrong token_url), so the connector stops.
            reason = _json(response).get("error", f"HTTP {status}")
            raise error_for_status(
                status,
                f"OAuth2 token endpoint answered {status} ({reason})",
                connector=api.connector,
                retry_after=retry_after_seconds(response.headers),
                auth=TOKEN_REFUSALS,
            )
        body = _json(response)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthError("OAuth2 token endpoint answered without a token", connector=api.connector)
        lifetime = float(body.get("expires_in") or 3600)
        self._token = token
        self._expires = time.monotonic() + max(lifetime - 30, lifetime / 2)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class EtherpadAPI:
    """One Etherpad server's API, for one connector (requests counted under its name)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        version: str,
        credentials: Credentials,
        connector: str,
    ) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self.version = version
        self.credentials = credentials
        self.connector = connector

    async def call(self, function: str, **params: str | int) -> Any:
        """Call ``function``; return its ``data``, or raise the mapped error."""
        attempts = READ_ATTEMPTS if function in READ_ONLY else 1
        renewed = False
        for attempt in range(1, attempts + 1):
            try:
                return await self._once(function, params)
            except AuthError:
                if renewed or not self.credentials.refused():
                    raise
                renewed = True  # a token that died with a server restart: one new token
                return await self._once(function, params)
            except TransientError as exc:
                if attempt == attempts or (exc.retry_after or 0) > 30:
                    raise
                await asyncio.sleep(exc.retry_after if exc.retry_after is not None else 0.5 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, function: str, params: dict[str, str | int]) -> Any:
        form = {name: str(value) for name, value in params.items()}
        headers: dict[str, str] = {}
        await self.credentials.apply(self, form, headers)
        try:
            response = await self.http.post(f"{self.url}/api/{self.version}/{function}", data=form, headers=headers)
        except httpx.TransportError as exc:
            raise describe_transport_error(exc, self.connector) from None
        body = _json(response)
        code = body.get("code")
        if not isinstance(code, int):
            # Not Etherpad's envelope: a proxy's page or another server. A 404 here must not
            # read as "the pad does not exist" (only code 1 says that).
            raise_for_response(response, self.connector, function, conditional=False)
            raise PermanentError(
                f"{function}: {response.request.url.copy_with(query=None)} answered {response.status_code} "
                "with no Etherpad API answer", connector=self.connector)
        if code == 0:
            return body.get("data")
        raise self._error(function, code, str(body.get("message") or ""), response)

    def _error(self, function: str, code: int, message: str, response: httpx.Response) -> ConnectorError:
        """An error envelope through the shared table, with the status Etherpad gives its code."""
        where = f"{function} ({self.url}/api/{self.version}/{function})"
        what = f"{where}: {message}" if message else where
        if code == 1 and "does not exist" in message:
            return NotFound(what, connector=self.connector)  # "padID does not exist"
        if code == 3:
            what = f"{what}: this Etherpad does not offer it in API {self.version}"
        status = response.status_code if response.status_code >= 400 else CODE_STATUS.get(code, 400)
        error = error_for_status(
            status, what, connector=self.connector, retry_after=retry_after_seconds(response.headers), conditional=False
        )
        if isinstance(error, AuthError):
            error = AuthError(f"{what} ({self.credentials.method} refused)", connector=self.connector)
        return error
