"""Finding and making calendars from a CalDAV server's address, for ``hub init``.

A person knows their server's address and their login, not the URL of a calendar collection.
RFC 4791/6764 say how to get from one to the other: the ``/.well-known/caldav`` redirect, the
``current-user-principal``, its ``calendar-home-set``, then the calendars in that home. The
``caldav`` library does each step; this module tries the address as given, then its well-known
path, and turns what goes wrong into the hub's errors (:func:`connectors.calstore.map_error`),
naming the request and never the password.

Blocking, like :mod:`connectors.calstore`: call it from a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from connectors.calstore import map_error, remote_errors
from connectors.net import DEFAULT_LANGUAGE
from sync.errors import ConnectorError


@dataclass(frozen=True)
class FoundCalendar:
    """One calendar collection: its address and the name people see."""

    url: str
    name: str

    @property
    def slug(self) -> str:
        """The collection's last path segment (``assemblee`` in ``.../hub/assemblee/``)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CalendarHome:
    """Where a account's calendars live, and those already there."""

    home: str
    calendars: tuple[FoundCalendar, ...]


def _client(url: str, username: str | None, password: str | None, verify: bool | str, timeout: float) -> Any:
    from caldav.davclient import DAVClient

    return DAVClient(
        url=url, username=username, password=password, auth_type="basic" if username else None,
        ssl_verify_cert=verify, timeout=timeout,  # type: ignore[arg-type]
        enable_rfc6764=False,
    )


def _listing(client: Any) -> CalendarHome:
    """Principal, home set, then the home's calendars in one depth-1 PROPFIND (names included)."""
    principal = client.principal()
    home = principal.calendar_home_set
    found = [FoundCalendar(str(c.url), str(c.name or str(c.url).rstrip("/").rsplit("/", 1)[-1]))
             for c in home.calendars()]
    return CalendarHome(str(home.url), tuple(sorted(found, key=lambda c: c.name.lower())))


def _unanswered(exc: BaseException) -> bool:
    """The request got no answer (refused connection, timeout, name not found)."""
    from caldav.lib.http_sync import requests

    return isinstance(exc, requests.exceptions.RequestException)


def find_calendars(
    url: str, username: str | None, password: str | None, *, verify: bool | str = True, timeout: float = 30.0,
    lang: str = DEFAULT_LANGUAGE,
) -> CalendarHome:
    """The account's calendar home and calendars, from the server's address (or any address on
    it: the principal, the home, the well-known path). Raises :class:`AuthError` for refused
    credentials, :class:`NotFound` when nothing there speaks CalDAV, a transient error when the
    server cannot be reached."""
    tried: list[ConnectorError] = []
    for candidate in (url, urljoin(url.rstrip("/") + "/", "/.well-known/caldav")):
        client = _client(candidate, username, password, verify, timeout)
        try:
            return _listing(client)
        except remote_errors() as exc:
            error = map_error(exc, "", "CalDAV", lang=lang, method="PROPFIND", url=candidate)
            status = getattr(exc, "status", None)
            if status == 401:  # the login is refused: the well-known path would say the same
                raise error from None
            tried.append(error)
            if _unanswered(exc):
                break  # no answer at all: the server is not reachable
        finally:
            client.close()
    raise tried[0]


def make_calendar(
    home: str, slug: str, name: str, username: str | None, password: str | None, *, verify: bool | str = True,
    timeout: float = 30.0, lang: str = DEFAULT_LANGUAGE,
) -> FoundCalendar:
    """Create the calendar ``slug`` (shown as ``name``) in the account's ``home`` (MKCALENDAR)."""
    client = _client(home, username, password, verify, timeout)
    try:
        from caldav.collection import CalendarSet

        calendar: Any = CalendarSet(client, url=home).make_calendar(name=name, cal_id=slug)
        return FoundCalendar(str(calendar.url), name)
    except remote_errors() as exc:
        raise map_error(exc, "", "MKCALENDAR", lang=lang, method="MKCALENDAR",
                        url=urljoin(home, slug + "/")) from None
    finally:
        client.close()
