"""Signed-in organisers: session cookies and the CSRF token of their forms.

A session is a random id in an HttpOnly, SameSite=Strict cookie (Secure when the page is reached
over TLS, directly or behind a proxy that says ``X-Forwarded-Proto: https``). The state store
keeps only the id's SHA-256, who it belongs to and until when, so the store holds nothing a
cookie can be rebuilt from, and a restarted daemon keeps its organisers signed in. Each form
carries a CSRF token derived from the session id (its HMAC-SHA-256 under a fixed label): a
form posted from elsewhere, without the page, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sync.state import StateStore

#: The state store's meta key for the open sessions.
SESSIONS = "admin.sessions"
COOKIE = "hub_admin"
#: How long a sign-in lasts (seconds).
LIFETIME = 12 * 3600.0


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def csrf_token(session_id: str) -> str:
    """The CSRF token of a session's forms."""
    return hmac.new(session_id.encode("utf-8"), b"commons-hub admin csrf", hashlib.sha256).hexdigest()


def over_tls(request: Request) -> bool:
    """The organiser reached the page over TLS (directly, or through a proxy that says so)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


@dataclass(frozen=True)
class Session:
    """One signed-in organiser."""

    id: str
    who: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.id)

    def form_ok(self, given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.csrf.encode())


@dataclass(frozen=True)
class Sessions:
    """Open sessions, kept hashed in the state store."""

    store: StateStore
    clock: Callable[[], float] = time.time
    lifetime: float = LIFETIME

    def open(self, who: str) -> Session:
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with self.store.transaction() as conn:
            found = self._live(self.store.get_meta(SESSIONS, {}, conn=conn), now)
            found[_hash(session_id)] = {"who": who, "expires": now + self.lifetime}
            self.store.set_meta(conn, SESSIONS, found)
        return Session(session_id, who)

    def find(self, request: Request) -> Session | None:
        session_id = request.cookies.get(COOKIE, "")
        if not session_id:
            return None
        entry = self._live(self.store.get_meta(SESSIONS, {}), self.clock()).get(_hash(session_id))
        return None if entry is None else Session(session_id, str(entry["who"]))

    def close(self, session: Session) -> None:
        with self.store.transaction() as conn:
            found = self._live(self.store.get_meta(SESSIONS, {}, conn=conn), self.clock())
            found.pop(_hash(session.id), None)
            self.store.set_meta(conn, SESSIONS, found)

    def set_cookie(self, response: Response, session: Session, request: Request) -> None:
        response.set_cookie(COOKIE, session.id, max_age=int(self.lifetime), path="/admin", httponly=True,
                            samesite="strict", secure=over_tls(request))

    @staticmethod
    def clear_cookie(response: Response, request: Request) -> None:
        response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="strict", secure=over_tls(request))

    @staticmethod
    def _live(found: Any, now: float) -> dict[str, Any]:
        if not isinstance(found, dict):
            return {}
        return {h: e for h, e in found.items() if isinstance(e, dict) and float(e.get("expires", 0)) > now}
