"""One-time sign-in links to the organisers' web page (``/connexion`` to the bot).

An admin of a chat asks the bot, in private, for a link; the bot answers with a link to the
daemon's ``/admin/`` page that holds a random token. Only the token's SHA-256 is kept, in the
state store (so the daemon's page accepts a link the bots of another process gave out), with
who asked and until when it is valid (10 minutes). The page redeems it once: a used, expired or
unknown token is refused, and nobody can rebuild a token from the store.

The list of links is read and written back under a row lock (``get_meta(for_update=True)``):
a link given out by one process while another redeems one cannot bring the used link back, and
two requests racing to redeem one link find it once.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.state import StateStore

#: The state store's meta key for the links given out and not yet redeemed.
LINKS = "admin.links"
#: How long a link stays valid (seconds).
LIFETIME = 600.0


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256 (hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignInLinks:
    """Gives out and redeems one-time sign-in links, kept hashed in the state store."""

    store: StateStore
    #: The address of the organisers' page, ending with a slash (``https://hub.example.org/admin/``).
    base_url: str
    clock: Callable[[], float] = time.time
    lifetime: float = LIFETIME

    def issue(self, who: str) -> str:
        """A new link for ``who`` (``telegram:4242``), valid :attr:`lifetime` seconds."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.store.transaction() as conn:
            links = self._live(self.store.get_meta(LINKS, {}, conn=conn, for_update=True), now)
            links[token_hash(token)] = {"who": who, "expires": now + self.lifetime}
            self.store.set_meta(conn, LINKS, links)
        return f"{self.base_url.rstrip('/')}/login?token={token}"

    def redeem(self, token: str) -> str | None:
        """Who the link was given to, once; None for a used, expired or unknown token."""
        if not token:
            return None
        now = self.clock()
        with self.store.transaction() as conn:
            stored = self.store.get_meta(LINKS, {}, conn=conn, for_update=True)
            links = self._live(stored, now)
            entry = links.pop(token_hash(token), None)
            if entry is not None or len(links) != len(stored):
                self.store.set_meta(conn, LINKS, links)
        return None if entry is None else str(entry["who"])

    @staticmethod
    def _live(links: Any, now: float) -> dict[str, Any]:
        if not isinstance(links, dict):
            return {}
        return {h: e for h, e in links.items() if isinstance(e, dict) and float(e.get("expires", 0)) > now}


def admin_url(listen: str, configured: str | None) -> str:
    """The organisers' page address: ``[daemon] admin_url``, else the daemon's listen address."""
    if configured:
        return configured if configured.endswith("/") else configured + "/"
    host, _, port = listen.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}/admin/"
