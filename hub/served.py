"""The running daemon as its web front sees it: one protocol the web app and the organisers'
page are written against."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from config.settings import Settings
from sync.report import Report
from sync.state import StateStore


class Daemon(Protocol):
    """What the web front needs of the running daemon (:class:`hub.daemon.Daemon`): described
    here, apart, so the daemon builds the app, and the app and its pages (:mod:`hub.web`,
    :mod:`hub.admin`) never import the daemon or each other back."""

    settings: Settings
    store: StateStore
    token: str | None
    address: tuple[str, int]
    metrics: Any
    last_success: dict[str, float]
    receivers: dict[str, list[Any]]

    @property
    def busy(self) -> bool: ...
    def readiness(self) -> tuple[bool, dict[str, Any]]: ...
    def request_sync(self, reason: str) -> None: ...
    def public_dir(self) -> Path | None: ...
    async def sync_now(self, reason: str = "asked", *, revert: int | None = None) -> Report: ...
    def next_probes(self) -> dict[str, float]: ...
