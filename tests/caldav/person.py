"""A person editing the calendar in their own app: the ``caldav`` library, not the hub's code."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlparse

import caldav
import icalendar

from tests.caldav.conftest import CalDAVServer


class Person:
    def __init__(self, server: CalDAVServer, calendar_url: str) -> None:
        self.server = server
        self.calendar_url = calendar_url

    @contextmanager
    def calendar(self) -> Iterator[Any]:
        client = caldav.DAVClient(
            url=self.calendar_url,
            username=self.server.username,
            password=self.server.password,
            ssl_verify_cert=self.server.verify,
        )
        with client:
            yield client.calendar(url=self.calendar_url)

    def event(self, key: str) -> icalendar.Event:
        """The stored VEVENT of a session, as the person's app reads it."""
        with self.calendar() as cal:
            obj = cal.event_by_url(f"{self.calendar_url}{key}.ics")
            obj.load()
            return obj.icalendar_component

    def edit(self, key: str, **changes: Any) -> None:
        """Edit one event the way calendar apps do (they also bump SEQUENCE, LAST-MODIFIED)."""
        with self.calendar() as cal:
            obj = cal.event_by_url(f"{self.calendar_url}{key}.ics")
            obj.load()
            with obj.edit_icalendar_component() as comp:
                for name, value in changes.items():
                    comp.pop(name, None)
                    comp.add(name, value)
                comp.pop("last-modified", None)
                comp.add("last-modified", datetime.now().astimezone())
            obj.save()

    def move(self, key: str, hours: int) -> None:
        event = self.event(key)
        self.edit(
            key,
            dtstart=event.decoded("dtstart") + timedelta(hours=hours),
            dtend=event.decoded("dtend") + timedelta(hours=hours),
        )

    def delete(self, key: str) -> None:
        with self.calendar() as cal:
            cal.event_by_url(f"{self.calendar_url}{key}.ics").delete()

    def delete_all(self) -> int:
        with self.calendar() as cal:
            events = list(cal.get_events())
            for event in events:
                event.delete()
            return len(events)

    def add_raw(self, ics: str) -> str:
        """Store an iCalendar object exactly as written (an app, a script, an import); its path."""
        with self.calendar() as cal:
            event = cal.save_event(ics)
            return unquote(urlparse(str(event.url)).path)

    def add_own_event(self, summary: str, start: datetime) -> str:
        """An event created by hand in the app: no X-HUB-ID."""
        with self.calendar() as cal:
            event = cal.add_event(
                uid=str(uuid.uuid4()),
                summary=summary,
                dtstart=start,
                dtend=start + timedelta(hours=1),
            )
            return str(event.url)
