"""The HumHub REST API (``/api/v1/``, module ``humhub/rest`` 0.11) as the connector uses it.

One ``httpx`` client (the hub's counted, retrying one) and three ways to log in:

- ``bearer``: an access token an administrator issued, sent as ``Authorization: Bearer``;
- ``basic``: the user name and password on every request (the user must be enabled for the API);
- ``jwt``: ``POST auth/login`` exchanges them for a token, kept in memory only (a secret never
  goes to the state store) and renewed when its ``expired_at`` has passed or a request is
  refused with 401.

Answers are mapped onto the hub's errors with what the person must do: 401 names the way of
logging in, 403 the right the account lacks, a 422 lists the refused fields one by one, a 404 on
a calendar route that the module does not route says the calendar module is off; 429 and 5xx
are retried by the client (idempotent verbs) and else raised as :class:`TransientError`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from connectors.http import describe_transport_error, request_error, retry_after_seconds
from connectors.humhub.messages import say
from sync.errors import AuthError, PermanentError
from sync.i18n import log_texts

log = logging.getLogger(__name__)
LOG_TEXTS = log_texts({
    "%s: the HumHub login token expired, logging in again":
        "%s : le jeton de connexion HumHub a expiré, nouvelle connexion",
})

#: Renew a JWT this long before the expiry HumHub announced (clocks differ a little).
JWT_MARGIN = 30.0
#: The most HumHub returns per page (``handlePagination`` caps ``limit`` at 100).
PAGE = 100


class HumHubAPI:
    """Requests to one HumHub network, authenticated, with errors the hub can act on."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        *,
        auth: str,
        token: str | None,
        username: str | None,
        password: str | None,
        connector: str,
        lang: str,
        timeout: float = 30.0,
    ) -> None:
        self.http = http
        self.site = url.rstrip("/")
        self.base = f"{self.site}/api/v1/"
        self.auth = auth
        self._token = token
        self._username = username
        self._password = password
        self.connector = connector
        self.lang = lang
        self.timeout = timeout
        self._jwt: str | None = None
        self._jwt_expires: float = 0.0

    # authentication ------------------------------------------------------------------------
    async def _login(self) -> None:
        """``POST auth/login``: a JWT for the user name and password."""
        url = self.base + "auth/login"
        body = {"username": self._username or "", "password": self._password or ""}
        try:
            response = await self.http.post(url, json=body, timeout=self.timeout)
        except httpx.TransportError as exc:
            raise describe_transport_error(exc, self.connector, lang=self.lang) from None
        data = _json(response)
        message = str(data.get("message", "")) if isinstance(data, Mapping) else ""
        if response.status_code == 404:
            raise AuthError(say("auth.jwt_off", self.lang, url=self.site), connector=self.connector)
        if response.status_code in (400, 401):
            key = "auth.not_enabled" if response.status_code == 401 else "auth.login_refused"
            raise AuthError(say(key, self.lang, user=self._username, url=self.site, detail=message),
                            connector=self.connector)
        if response.status_code >= 400 or not isinstance(data, Mapping) or not data.get("auth_token"):
            self._raise(response, "log in", None)
        self._jwt = str(data["auth_token"])
        expires = data.get("expired_at") or 0
        self._jwt_expires = float(expires) if isinstance(expires, int | float) else 0.0

    async def _headers(self) -> tuple[dict[str, str], httpx.Auth | None]:
        if self.auth == "basic":
            return {}, httpx.BasicAuth(self._username or "", self._password or "")
        if self.auth == "jwt":
            if self._jwt is None or (self._jwt_expires and time.time() >= self._jwt_expires - JWT_MARGIN):
                if self._jwt is not None:
                    log.info("%s: the HumHub login token expired, logging in again", self.connector)
                await self._login()
            return {"Authorization": f"Bearer {self._jwt}"}, None
        return {"Authorization": f"Bearer {self._token or ''}"}, None

    # requests ------------------------------------------------------------------------------
    async def call(
        self,
        method: str,
        route: str,
        what: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        right: str | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """One request to ``/api/v1/<route>``; the parsed JSON answer (None for a missing object
        when ``missing_ok``). ``right`` is the message key of the right a 403 means is lacking."""
        for attempt in (1, 2):
            headers, auth = await self._headers()
            try:
                response = await self.http.request(
                    method, self.base + route, params=params, json=body, headers=headers,
                    auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT, timeout=self.timeout,
                )
            except httpx.TransportError as exc:
                raise describe_transport_error(exc, self.connector, lang=self.lang, what=what) from None
            if response.status_code == 401 and self.auth == "jwt" and attempt == 1:
                self._jwt = None  # expired or revoked early: one new login, then the same request
                continue
            break
        if missing_ok and response.status_code == 404 and not _routing_404(response):
            return None
        if response.status_code >= 400:
            self._raise(response, what, right)
        data = _json(response)
        if data is None:
            raise PermanentError(say("not_json", self.lang, url=self.base + route), connector=self.connector)
        return data

    def _raise(self, response: httpx.Response, what: str, right: str | None) -> None:
        data = _json(response)
        message = str(data.get("message", "")) if isinstance(data, Mapping) else ""
        status = response.status_code
        request = response.request
        if status == 401:
            raise AuthError(
                say(f"auth.refused_{self.auth}", self.lang, url=self.site, user=self._username or "",
                    detail=message),
                connector=self.connector,
            )
        if status == 403:
            lacking = say(right or "right.unknown", self.lang)
            raise AuthError(
                say("auth.forbidden", self.lang, what=what, right=lacking, detail=message),
                connector=self.connector,
            )
        detail = message
        if isinstance(data, Mapping):
            fields = _field_errors(data)
            if fields:
                detail = f"{message}: {fields}" if message else fields
        if status == 404 and _routing_404(response) and "/calendar/" in request.url.path:
            raise PermanentError(say("calendar.off", self.lang, url=self.site), connector=self.connector)
        error = request_error(
            status, request.method, request.url, connector=self.connector, lang=self.lang, what=what,
            detail=detail, retry_after=retry_after_seconds(response.headers),
        )
        raise error

    async def status(
        self, method: str, route: str, what: str, *, body: Mapping[str, Any] | None = None, right: str | None = None
    ) -> int:
        """The status of a request expected to be refused (a rights probe): 401, 403 and 5xx raise
        as usual, any other status is returned."""
        headers, auth = await self._headers()
        try:
            response = await self.http.request(
                method, self.base + route, json=body, headers=headers,
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT, timeout=self.timeout,
            )
        except httpx.TransportError as exc:
            raise describe_transport_error(exc, self.connector, lang=self.lang, what=what) from None
        if response.status_code in (401, 403) or response.status_code >= 500 or _routing_404(response):
            self._raise(response, what, right)
        return response.status_code

    async def pages(self, route: str, what: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every result of a paginated listing (``total``/``page``/``pages``/``results``)."""
        results: list[dict[str, Any]] = []
        page = 1
        while True:
            data = await self.call("GET", route, what, params={**(params or {}), "page": page, "limit": PAGE})
            results += list(data.get("results") or [])
            if page >= int(data.get("pages") or 0):
                return results
            page += 1


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _routing_404(response: httpx.Response) -> bool:
    """Yii's own 404 (no route for this path or verb), not the module's "… not found!"."""
    data = _json(response)
    return isinstance(data, Mapping) and data.get("name") == "Not Found" and data.get("code") == 0


def _field_errors(data: Mapping[str, Any]) -> str:
    """``field: error`` for each refused field of a 400/422 (``post``, ``entryForm``, ``calendarEntry``)."""
    shown: list[str] = []
    for part in ("entryForm", "calendarEntry", "post"):
        errors = data.get(part)
        if isinstance(errors, Mapping):
            for name, problems in errors.items():
                texts = problems if isinstance(problems, list) else [problems]
                shown.append(f"{name}: {' '.join(str(t) for t in texts)}")
    return "; ".join(shown)

