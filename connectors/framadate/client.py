"""Framadate's creation forms and CSV export, driven with httpx as a browser would.

Framadate 1.1 has no API (see ``docs/framadate.md``). A poll is made in three form steps bound to
a PHP session cookie: ``create_poll.php`` (title, author, e-mail) answers 302 to the choices step,
``create_date_poll.php`` or ``create_classic_poll.php`` takes the days and times (or the choices)
and shows a confirmation page, whose ``confirmation`` answers 302 with the **admin link** as
``Location``. Each creation starts from an empty cookie jar, so a session left over from another
creation cannot mix its form in.

The admin link is a secret (anyone holding it may edit or delete the poll and its votes): it is
returned to the caller for the state store, never put in an error or a log line; a filter on the
``httpx`` loggers masks every admin id this process has seen, for ``--debug`` runs.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from config.redaction import MASK
from connectors.framadate.messages import say
from connectors.framadate.pages import Page, read_page
from connectors.http import network_error, raise_for_response, request_error
from sync.errors import AuthError, ConfigError, HubError, InputError, NotFound, PermanentError

#: Ids Framadate generates: ``a-zA-Z1-9``; a poll id is 16 of them, its admin id 8 more.
GENERATED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ123456789"
ADMIN_ID = re.compile(r"^[a-zA-Z0-9]{24}$")
POLL_ID = re.compile(r"^[a-zA-Z0-9-]{1,64}$")
#: The date format each language's parser reads (``locale/*.json`` ``Date.datetime_parseformat``).
PARSE_FORMAT = {"en": "%Y-%m-%d", "fr": "%d/%m/%Y"}
#: Step-1 fields whose refusal is the caller's input to correct.
KNOWN_FIELDS = frozenset({"title", "name", "description"})


#: An admin id where admin links carry one (a ``Location`` header is logged before it is read).
ADMIN_IN_TEXT = re.compile(r"[A-Za-z0-9]{24}(?=/admin)|(?<=adminstuds\.php\?poll=)[A-Za-z0-9]{24}"
                           r"|(?<=admin=)[A-Za-z0-9]{24}")


class AdminLinks(logging.Filter):
    """Masks the admin ids this process knows in the HTTP libraries' log records."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = ADMIN_IN_TEXT.sub(MASK, text)
        for admin_id in self.ids:
            masked = masked.replace(admin_id, MASK)
        if masked != text:
            record.msg, record.args = masked, None
        return True


ADMIN_LINKS = AdminLinks()
#: Where httpx and httpcore log URLs and headers (a logger's filter does not reach its children).
HTTP_LOGGERS = ("httpx", "httpcore", "httpcore.http11", "httpcore.http2", "httpcore.connection",
                "httpcore.proxy", "httpcore.socks")
for _name in HTTP_LOGGERS:
    logging.getLogger(_name).addFilter(ADMIN_LINKS)


def remember_admin_id(admin_id: str) -> None:
    """From now on, mask ``admin_id`` wherever the HTTP libraries log a URL."""
    ADMIN_LINKS.ids.add(admin_id)


@dataclass(frozen=True)
class Created:
    """A poll just made: its ids and both links (``admin_url`` is a secret)."""

    poll_id: str
    admin_id: str
    public_url: str
    admin_url: str


def admin_id_from(location: str) -> str | None:
    """The admin id in an admin link, clean (``<base><id>/admin``) or not (``adminstuds.php?poll=``)."""
    parts = urlsplit(location)
    found = parse_qs(parts.query).get("poll")
    if parts.path.endswith("adminstuds.php") and found:
        candidate = found[0]
    else:
        segments = [s for s in parts.path.split("/") if s]
        candidate = segments[-2] if len(segments) >= 2 and segments[-1] == "admin" else ""
    return candidate if ADMIN_ID.match(candidate) else None


def public_url_for(base: str, poll_id: str, admin_url: str) -> str:
    """The public link in the same style as the admin link the instance gave."""
    if "adminstuds.php" in admin_url:
        return urljoin(base, f"studs.php?poll={poll_id}")
    return urljoin(base, poll_id)


def poll_id_from(text: str) -> str:
    """A poll id from an id or a public link (clean or ``studs.php?poll=``)."""
    parts = urlsplit(text.strip())
    if parts.scheme:
        found = parse_qs(parts.query).get("poll")
        text = found[0] if found else [s for s in parts.path.split("/") if s][-1] if parts.path.strip("/") else ""
    return text.strip()


class FramadateClient:
    """One instance's forms and exports, over the connector's counted httpx client."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, *, lang: str, connector: str,
                 messages_lang: str) -> None:
        self.http = http
        self.base = base_url.rstrip("/") + "/"
        self.lang = lang  # what the instance is asked to speak (its CSV words)
        self.connector = connector
        self.said = messages_lang  # what the hub's messages are said in

    def url(self, page: str) -> str:
        return urljoin(self.base, page)

    @property
    def headers(self) -> dict[str, str]:
        return {"Accept-Language": self.lang}

    async def _send(self, method: str, page: str, *, shown: str | None = None,
                    params: dict[str, str] | None = None,
                    data: dict[str, str | list[str]] | None = None) -> httpx.Response:
        """One request; errors name ``shown`` (the URL with any admin id masked)."""
        url = self.url(page)
        try:
            response = await self.http.request(method, url, params=params, data=data, headers=self.headers,
                                               follow_redirects=False)
        except httpx.TransportError as exc:
            raise network_error(exc, shown or url, connector=self.connector, lang=self.said) from None
        if response.status_code >= 400:
            if shown is None:
                raise_for_response(response, self.connector, lang=self.said)
            raise request_error(response.status_code, method, shown, connector=self.connector, lang=self.said,
                                conditional=False)
        return response

    # creation -------------------------------------------------------------------------------
    async def form(self, kind: Literal["date", "classic"]) -> Page:
        """The step-1 form (``hub check`` reads it: is it Framadate, does it want an e-mail?)."""
        response = await self._send("GET", "create_poll.php", params={"type": kind})
        page = read_page(response.text)
        if "title" not in page.fields or "name" not in page.fields:
            raise PermanentError(say("error.unexpected", self.said, url=self.base, step=say("step.1", self.said),
                                     expected=say("expected.form", self.said)), connector=self.connector)
        return page

    def _refused(self, page: Page, step: str) -> HubError:
        url = self.base
        if page.captcha and ("captcha" in " ".join(page.refused).lower() or not page.refused):
            return PermanentError(say("error.captcha", self.said, url=url), connector=self.connector)
        if "mail" in page.refused:
            return ConfigError(say("error.mail", self.said, url=url, name=self.connector))
        if page.error:
            return PermanentError(say("error.refused", self.said, url=url, step=step, why=page.error),
                                  connector=self.connector)
        fields = [say(f"field.{f}", self.said) if f in KNOWN_FIELDS else f for f in sorted(page.refused)]
        why = "; ".join(page.alerts) or ", ".join(fields) or "?"
        if page.refused & KNOWN_FIELDS:
            return InputError(say("error.refused", self.said, url=url, step=step, why=why))
        return PermanentError(say("error.refused", self.said, url=url, step=step, why=why), connector=self.connector)

    async def create(
        self,
        kind: Literal["date", "classic"],
        *,
        title: str,
        author: str,
        email: str | None,
        description: str,
        days: list[tuple[date, list[str]]] | None = None,
        choices: list[str] | None = None,
        removal: date,
    ) -> Created:
        """Make one poll through the three steps; its ids and links."""
        self.http.cookies.clear()  # a fresh PHP session: nothing from another creation
        page = await self.form(kind)
        if page.captcha:
            raise PermanentError(say("error.captcha", self.said, url=self.base), connector=self.connector)
        if "mail" in page.fields and not email:
            raise ConfigError(say("error.mail", self.said, url=self.base, name=self.connector))
        step1: dict[str, str | list[str]] = {
            "type": kind, "title": title, "name": author, "description": description, "editable": "0",
            "gotostep2": kind,
        }
        if email:
            step1["mail"] = email
        response = await self._send("POST", "create_poll.php", data=step1)
        nxt = "create_date_poll.php" if kind == "date" else "create_classic_poll.php"
        if response.status_code != 302 or not response.headers.get("location", "").endswith(nxt):
            raise self._unexpected(response, say("step.1", self.said), "expected.redirect")
        fmt = PARSE_FORMAT.get(self.lang, "%Y-%m-%d")
        step2: dict[str, str | list[str]]
        if kind == "date":
            step2 = {"days[]": [d.strftime(fmt) for d, _times in days or []], "choixheures": "Next"}
            for i, (_day, times) in enumerate(days or []):
                # Every day needs its own field, even empty: without it the server loops until it dies.
                step2[f"horaires{i}[]"] = list(times) or [""]
        else:
            step2 = {"choices[]": list(choices or []), "fin_sondage_autre": "Next"}
        response = await self._send("POST", nxt, data=step2)
        page = read_page(response.text)
        if "enddate" not in page.fields or "confirmation" not in page.fields:
            raise self._unexpected(response, say("step.2", self.said), "expected.step3")
        # The English page pre-fills the removal date in a format its own parser rejects: always
        # send the parser's format.
        response = await self._send("POST", nxt, data={"confirmation": "confirmation",
                                                       "enddate": removal.strftime(fmt)})
        location = response.headers.get("location", "") if response.status_code in (301, 302, 303) else ""
        admin_url = urljoin(self.url(nxt), location) if location else ""
        admin_id = admin_id_from(admin_url) if admin_url else None
        if admin_id is None:
            raise self._unexpected(response, say("step.3", self.said), "expected.admin")
        remember_admin_id(admin_id)
        poll_id = admin_id[:16]
        return Created(poll_id, admin_id, public_url_for(self.base, poll_id, admin_url), admin_url)

    def _unexpected(self, response: httpx.Response, step: str, expected: str) -> HubError:
        """The instance answered a step with something else: its refusal, read from the page."""
        page = read_page(response.text) if response.status_code == 200 else Page()
        if page.refused or page.error or page.captcha or page.alerts:
            return self._refused(page, step)
        return PermanentError(say("error.unexpected", self.said, url=self.base, step=step,
                                  expected=say(expected, self.said)), connector=self.connector)

    # reading --------------------------------------------------------------------------------
    async def export(self, poll_id: str, admin_id: str | None) -> str:
        """The poll's CSV, read with the admin id (works whatever the poll hides).

        Framadate answers an unknown id with its HTML error page and HTTP 200: then the public id
        tells a deleted poll (:class:`NotFound`) from a wrong admin link (:class:`AuthError`).
        """
        if admin_id:
            shown = self.url(f"exportcsv.php?admin={MASK}")
            response = await self._send("GET", "exportcsv.php", params={"admin": admin_id}, shown=shown)
        else:
            response = await self._send("GET", "exportcsv.php", params={"poll": poll_id})
        if response.headers.get("content-type", "").startswith("text/csv"):
            return response.text
        said = read_page(response.text).error or "?"
        if admin_id:
            public = await self._send("GET", "exportcsv.php", params={"poll": poll_id})
            if public.headers.get("content-type", "").startswith("text/csv") or \
                    read_page(public.text).error != said:
                raise AuthError(say("error.admin", self.said, poll=poll_id, url=self.base, said=said),
                                connector=self.connector)
        raise NotFound(say("error.gone", self.said, poll=poll_id, url=self.base, said=said), connector=self.connector)
