"""A real Radicale for the benchmark, started by the test suite's own code
(``tests/caldav/conftest.py``), behind a counting proxy."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import httpx

from bench.measure import CountingProxy
from tests.caldav.conftest import PASSWORD, USER, radicale_at

QUERY = (
    '<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    '<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>'
    '</C:calendar-query>'
)

SYNC_REPORT = (
    '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/>'
    '<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>'
)


@dataclass
class Radicale:
    root: Path
    port: int
    proxy: CountingProxy

    @property
    def user(self) -> str:
        return USER

    @property
    def password(self) -> str:
        return PASSWORD

    def calendar(self, slug: str | None = None) -> str:
        """A new empty calendar; its URL through the proxy."""
        slug = slug or f"cal-{uuid.uuid4().hex[:10]}"
        url = f"http://127.0.0.1:{self.port}/{USER}/{slug}/"
        answer = httpx.request("MKCALENDAR", url, auth=(USER, PASSWORD), timeout=60)
        answer.raise_for_status()
        return f"{self.proxy.url}{USER}/{slug}/"

    def folder(self, calendar_url: str) -> Path:
        """Where Radicale keeps that calendar's items (one file per event, as uploaded)."""
        slug = calendar_url.rstrip("/").rsplit("/", 1)[-1]
        return self.root / "collections" / "collection-root" / USER / slug

    def served(self, calendar_url: str) -> dict[str, str]:
        """Every event of the calendar as the server serves it (its own serialisation, which is
        not always the bytes it keeps): object name -> text, in one calendar-query REPORT."""
        slug = calendar_url.rstrip("/").rsplit("/", 1)[-1]
        answer = httpx.request(
            "REPORT", f"http://127.0.0.1:{self.port}/{USER}/{slug}/", auth=(USER, PASSWORD), timeout=600,
            headers={"Depth": "1", "Content-Type": "application/xml"}, content=QUERY)
        answer.raise_for_status()
        found: dict[str, str] = {}
        for response in ElementTree.fromstring(answer.content).iter("{DAV:}response"):
            href = response.findtext("{DAV:}href")
            data = response.findtext(".//{urn:ietf:params:xml:ns:caldav}calendar-data")
            if href and data:
                found[unquote(href.rstrip("/").rsplit("/", 1)[-1])] = data
        return found

    def sync_report(self, calendar_url: str) -> None:
        """One sync-collection REPORT on the calendar, untimed, as a phone or desktop app that
        syncs with reports sends (the hub's own pulls do too). Radicale then keeps a sync history
        of the calendar that it scans on every later write, so a calendar any such client uses
        costs each write that scan whatever tool writes; the benchmark gives both tools'
        calendars the same history, so neither is timed on a server state the other never sees."""
        slug = calendar_url.rstrip("/").rsplit("/", 1)[-1]
        answer = httpx.request(
            "REPORT", f"http://127.0.0.1:{self.port}/{USER}/{slug}/", auth=(USER, PASSWORD), timeout=600,
            headers={"Depth": "1", "Content-Type": "application/xml"}, content=SYNC_REPORT)
        answer.raise_for_status()

    def drop(self, calendar_url: str) -> None:
        slug = calendar_url.rstrip("/").rsplit("/", 1)[-1]
        with contextlib.suppress(httpx.HTTPError):
            httpx.delete(f"http://127.0.0.1:{self.port}/{USER}/{slug}/", auth=(USER, PASSWORD), timeout=120)


@contextlib.contextmanager
def radicale(root: Path) -> Iterator[Radicale]:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    with radicale_at(root) as port, CountingProxy(port).running() as proxy:
        yield Radicale(root, port, proxy)
