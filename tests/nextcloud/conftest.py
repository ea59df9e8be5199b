"""A fake Nextcloud in front of a real Radicale (calendars) and a real WsgiDAV (files)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.caldav.conftest import CalDAVServer, WebDAVServer, radicale, wsgidav
from tests.fakes.nextcloud import FakeNextcloud, Upstream

__all__ = ["radicale", "wsgidav"]

APP_PASSWORD = "Xk2pQ-app-password-for-tests"


@dataclass
class NextcloudSetup:
    fake: FakeNextcloud
    calendar: str  # URL segment
    radicale: CalDAVServer
    webdav: WebDAVServer

    @property
    def url(self) -> str:
        return self.fake.url

    def upstream_calendar_url(self) -> str:
        return f"{self.radicale.base_url.rstrip('/')}/{self.radicale.username}/{self.calendar}/"


@pytest.fixture
def nextcloud(radicale: CalDAVServer, wsgidav: WebDAVServer) -> Iterator[NextcloudSetup]:
    """A fresh calendar behind a fake Nextcloud for user ``hub``."""
    calendar = radicale.new_calendar().rstrip("/").rsplit("/", 1)[1]
    fake = FakeNextcloud(
        caldav=Upstream(radicale.base_url, radicale.username, radicale.password),
        webdav=Upstream(wsgidav.base_url, wsgidav.username, wsgidav.password),
        user=radicale.username,
        app_password=APP_PASSWORD,
    )
    with fake.running():
        yield NextcloudSetup(fake, calendar, radicale, wsgidav)
