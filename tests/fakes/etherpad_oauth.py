"""A fake Etherpad 2.x HTTP API with its OAuth2 client-credentials login, on loopback.

Etherpad 2.x is not published on npm (it builds from its source tree with pnpm), so this fake
reproduces what a client sees of it (Etherpad 2.5: doc/api/http_api.md and the sources
``APIHandler.ts``, ``OAuth2Provider.ts``, ``openapi.ts``, ``Pad.ts``):

- ``GET /api`` -> ``{"currentVersion": "1.3.0"}``; ``/api/<version>/<function>`` by GET or POST,
  query and form fields merged (the form wins);
- ``authenticationMethod``: ``"sso"`` (2.x default) wants ``Authorization: Bearer <token>``
  from ``POST /oidc/token`` (``grant_type=client_credentials``; the client authenticates the way
  it is registered, HTTP Basic by default as in oidc-provider); ``"apikey"`` takes ``apikey``,
  ``api_key`` or the raw ``Authorization`` value;
- the signing key is made anew at each (re)start, so tokens die with a restart;
- answers ``{code, message, data}``: 0 ok; 1 bad parameters (HTTP 200); 2 internal error (500);
  3 no such version/function (404); 4 no or wrong key/token (401);
- pad text always ends with a newline; ``createPad`` text goes before the pad's own newline,
  ``appendText`` before the final one; ``\\r\\n``, tabs and no-break spaces are cleaned;
  ``getText`` at a revision gives a plain string (2.x).

Test hooks: ``fail(function, status, times, retry_after)`` makes the next calls fail (500 with
code 2, 200 with code 1, or a proxy's 429 page), ``restart()`` invalidates every token,
``token_requests`` and ``calls`` count what clients did.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote_plus

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import serve

VERSIONS = (
    "1",
    "1.1",
    "1.2",
    "1.2.1",
    "1.2.7",
    "1.2.8",
    "1.2.9",
    "1.2.10",
    "1.2.11",
    "1.2.12",
    "1.2.13",
    "1.2.14",
    "1.2.15",
    "1.3.0",
)
LATEST = "1.3.0"


@dataclass
class Client:
    secret: str
    auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    grant_types: tuple[str, ...] = ("client_credentials",)


@dataclass
class Failure:
    status: int
    times: int
    retry_after: float | None = None


@dataclass
class FakeEtherpad:
    """State of the fake server (thread-safe: the server runs in its own thread)."""

    mode: Literal["sso", "apikey"] = "sso"
    api_key: str = ""
    clients: dict[str, Client] = field(default_factory=dict)
    token_ttl: int = 3600
    pads: dict[str, list[str]] = field(default_factory=dict)  # pad -> text at each revision
    token_requests: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (key, expiry)
    _key: str = field(default_factory=lambda: secrets.token_hex(8))
    _failures: dict[str, Failure] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # hooks for tests ---------------------------------------------------------------------
    def restart(self) -> None:
        """A server restart: a new signing key, so every token issued before is refused."""
        with self._lock:
            self._key = secrets.token_hex(8)

    def fail(
        self, function: str, status: int, times: int = 1, retry_after: float | None = None
    ) -> None:
        with self._lock:
            self._failures[function] = Failure(status, times, retry_after)

    def text(self, pad: str) -> str:
        with self._lock:
            return self.pads[pad][-1]

    # OAuth2 ------------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        form = await _form(request)
        with self._lock:
            self.token_requests += 1
        if form.get("grant_type") not in (
            "client_credentials",
            "authorization_code",
            "refresh_token",
        ):
            return _oauth_error(400, "unsupported_grant_type", "unsupported grant_type requested")
        client_id, secret, method = _client_auth(request, form)
        client = self.clients.get(client_id or "")
        if client is None or secret != client.secret:
            return _oauth_error(401, "invalid_client", "client authentication failed")
        if method != client.auth_method:
            return _oauth_error(
                401,
                "invalid_client",
                "the provided authentication mechanism "
                "does not match the registered client authentication method",
            )
        if form["grant_type"] not in client.grant_types:
            return _oauth_error(
                400, "unauthorized_client", "requested grant type is not allowed for this client"
            )
        header = _b64({"alg": "RS256", "typ": "at+jwt", "kid": self._key})
        payload = _b64(
            {
                "sub": client_id,
                "client_id": client_id,
                "iat": int(time.time()),
                "exp": int(time.time()) + self.token_ttl,
            }
        )
        token = f"{header}.{payload}.{secrets.token_urlsafe(32)}"
        with self._lock:
            self._tokens[token] = (self._key, time.monotonic() + self.token_ttl)
        return JSONResponse(
            {
                "access_token": token,
                "expires_in": self.token_ttl,
                "token_type": "Bearer",
                "scope": form.get("scope", ""),
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    # API ---------------------------------------------------------------------------------
    async def current_version(self, request: Request) -> Response:
        return JSONResponse({"currentVersion": LATEST})

    async def api(self, request: Request) -> Response:
        version = request.path_params["version"]
        function = request.path_params["function"]
        fields: dict[str, str] = dict(request.query_params)
        if request.method == "POST":
            fields.update(await _form(request))
        if version not in VERSIONS:
            return _answer(404, 3, "no such api version")
        handler = getattr(self, f"_{function}", None)
        if handler is None:
            return _answer(404, 3, "no such function")
        refused = self._authenticate(request, fields)
        if refused is not None:
            return _answer(401, 4, refused)
        with self._lock:
            self.calls[function] += 1
            failure = self._failures.get(function)
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    del self._failures[function]
        if failure is not None:
            if failure.status == 429:
                headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after else {}
                return PlainTextResponse("Too many requests", status_code=429, headers=headers)
            if failure.status == 200:  # an apierror, e.g. what a plugin refusing the text says
                return _answer(200, 1, "text refused")
            return _answer(failure.status, 2, "internal error")
        try:
            with self._lock:
                data = handler(fields)
        except _ApiError as exc:
            return _answer(200, 1, str(exc))
        return _answer(200, 0, "ok", data)

    def _authenticate(self, request: Request, fields: dict[str, str]) -> str | None:
        authorization = request.headers.get("authorization", "")
        if self.mode == "apikey":
            given = fields.get("apikey") or fields.get("api_key") or authorization
            return None if given and given == self.api_key.strip() else "no or wrong API Key"
        if not authorization:
            return "no or wrong API Key"
        token = authorization.replace("Bearer ", "", 1)
        with self._lock:
            issued = self._tokens.get(token)
            valid = issued is not None and issued[0] == self._key and time.monotonic() < issued[1]
        return None if valid else "no or wrong OAuth token"

    # the functions the hub uses ----------------------------------------------------------
    def _pad(self, fields: dict[str, str]) -> list[str]:
        pad = fields.get("padID", "")
        if pad not in self.pads:
            raise _ApiError("padID does not exist")
        return self.pads[pad]

    def _checkToken(self, fields: dict[str, str]) -> None:
        return None

    def _createPad(self, fields: dict[str, str]) -> None:
        pad = fields.get("padID", "")
        if "$" in pad:
            raise _ApiError("createPad can't create group pads")
        if any(c in pad for c in "/?&#"):
            raise _ApiError("malformed padID: Remove special characters")
        if not pad or len(pad) > 50:
            raise _ApiError("padID did not match requirements")
        if pad in self.pads:
            raise _ApiError("padID does already exist")
        text = fields.get("text")
        if text is not None and len(text) > 100_000:
            raise _ApiError("text must be less than 100k chars")
        initial = _clean(text) if text is not None else "Welcome to Etherpad!\n\n"
        self.pads[pad] = [initial + "\n"]

    def _getRevisionsCount(self, fields: dict[str, str]) -> dict[str, int]:
        return {"revisions": len(self._pad(fields)) - 1}

    def _getText(self, fields: dict[str, str]) -> dict[str, str]:
        revisions = self._pad(fields)
        if "rev" in fields:
            rev = int(fields["rev"])
            if rev >= len(revisions):
                raise _ApiError("rev is higher than the head revision of the pad")
            return {"text": revisions[rev]}
        return {"text": revisions[-1]}

    def _setText(self, fields: dict[str, str]) -> None:
        revisions = self._pad(fields)
        if "text" not in fields:
            raise _ApiError("text is not a string")
        text = _clean(fields["text"])
        revisions.append(text if text.endswith("\n") else text + "\n")

    def _appendText(self, fields: dict[str, str]) -> None:
        revisions = self._pad(fields)
        if "text" not in fields:
            raise _ApiError("text is not a string")
        old = revisions[-1]
        revisions.append(old[:-1] + _clean(fields["text"]) + "\n")

    def _deletePad(self, fields: dict[str, str]) -> None:
        self._pad(fields)
        del self.pads[fields["padID"]]

    def _listAllPads(self, fields: dict[str, str]) -> dict[str, list[str]]:
        return {"padIDs": sorted(self.pads)}

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api", self.current_version, methods=["GET"]),
                Route("/api/{version}/{function}", self.api, methods=["GET", "POST"]),
                Route("/oidc/token", self.token, methods=["POST"]),
            ]
        )


class _ApiError(Exception):
    """Etherpad's ``apierror``: code 1, HTTP 200."""


async def _form(request: Request) -> dict[str, str]:
    """Form fields of a POST (url-encoded or JSON, as Etherpad accepts both)."""
    body = (await request.body()).decode()
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        data = json.loads(body or "{}")
        return {str(k): str(v) for k, v in data.items()}
    return dict(parse_qsl(body, keep_blank_values=True))


def _answer(status: int, code: int, message: str, data: Any = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": data}, status_code=status)


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _client_auth(request: Request, form: dict[str, Any]) -> tuple[str | None, str | None, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            pair = base64.b64decode(header[6:]).decode()
        except ValueError:
            return None, None, "client_secret_basic"
        client_id, _, secret = pair.partition(":")
        return unquote_plus(client_id), unquote_plus(secret), "client_secret_basic"
    return form.get("client_id"), form.get("client_secret"), "client_secret_post"


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _clean(text: str) -> str:
    return (
        text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " " * 8).replace("\xa0", " ")
    )


@contextmanager
def running(fake: FakeEtherpad) -> Iterator[str]:
    """Serve ``fake`` on a free loopback port; yields its base URL."""
    with serve(fake.app()) as url:
        yield url
