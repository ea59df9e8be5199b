"""The CalDAV source's lean "has anything changed?" for the quick no-op check (:mod:`sync.quick`).

A full sync of a CalDAV calendar where nothing changed sends one RFC 6578 sync-collection
REPORT with the stored token and gets back no member and the same token. This module sends
that same single request with the standard library's ``http.client``, without the ``caldav``
library, ``niquests`` or ``icalendar`` (most of a no-op's cost is importing them), and answers
"unchanged" only when the full pull would have found nothing either:

- the stored cursor (the position after the hub's own writes when the last sync wrote,
  :class:`connectors.caldav.AfterWrites`, with nothing seen besides them) is in sync-token mode
  with a token, and accounts for exactly the linked events (else the full pull also lists the
  calendar);
- the server answers 207 with no member changed or removed, and the same token; or with only
  members at the versions their links hold (the hub's own updates: a batch of updates reads
  no report after it, so they show until the next full pull moves the position).

Anything else (a ctag-only server, a proxy in the environment, a redirect, an error, a token
that moved, any member in the answer) means the full sync, which reads the answer again
itself. The cursor's form is :class:`connectors.caldav.Cursor`'s; ``tests/caldav/test_quick.py``
holds the two side by side.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

from sync.quick import SourceState

#: The version of :class:`connectors.caldav.Cursor`'s encoding (the connector takes it from here).
CURSOR_VERSION = 1
#: Where the position after the hub's writes is kept (``CalendarConnector.AFTER_WRITES``).
AFTER_WRITES = "after-writes"
DAV = "{DAV:}"
BODY = (b'<?xml version="1.0" encoding="utf-8"?>\n<D:sync-collection xmlns:D="DAV:">'
        b"<D:sync-token>%s</D:sync-token><D:sync-level>1</D:sync-level>"
        b"<D:prop><D:getetag/></D:prop></D:sync-collection>")
PROXIES = ("http_proxy", "https_proxy", "all_proxy")
#: The secrets :func:`probe` asks for, by setting name.
SECRETS = ("password",)


def sync_body(token: str) -> bytes:
    """The sync-collection REPORT's body since ``token`` (empty: everything), with the ETags: the
    one the full pull sends (:class:`connectors.calstore.CalendarStore`) and this probe."""
    return BODY % token.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


def links_digest(hrefs: Iterable[str]) -> str:
    """The digest of the linked hrefs a cursor accounts for (the connector's, defined here)."""
    return hashlib.sha256("\n".join(sorted(hrefs)).encode()).hexdigest()


def start_token(cursor: str | None, after_writes: Mapping[str, Any] | None,
                linked: Mapping[str, str | None]) -> str | None:
    """The sync-token the full pull would send, when that pull would send nothing else and find
    nothing to merge in what it already knows; None when it would do more (or this module
    cannot tell). ``linked``: each linked href with the version its link holds."""
    if not cursor:
        return None
    position: Any = cursor
    seen: Mapping[str, Any] = {}
    if after_writes and after_writes.get("since") == cursor:
        # The last sync wrote: its pull starts after the writes, with what the report read
        # right after them showed besides the hub's own writes.
        position = after_writes.get("cursor")
        seen = after_writes.get("changed") or {}
        if not isinstance(position, str) or not isinstance(seen, Mapping) or after_writes.get("deleted"):
            return None
    try:
        state = json.loads(position)
    except ValueError:
        return None
    if not isinstance(state, dict) or state.get("v") != CURSOR_VERSION or state.get("mode", "sync") != "sync":
        return None
    token = state.get("token")
    if not isinstance(token, str) or not token or state.get("linked") != links_digest(set(linked)):
        return None
    foreign = state.get("foreign") or {}
    for href, etag in seen.items():
        # An event the pull would fetch: a version it does not know already.
        if etag is None or (linked.get(href) != etag and foreign.get(href) != etag):
            return None
    return token


def unchanged(url: str, token: str, username: str | None, password: str | None, *, verify: bool | str,
              timeout: float, known: Mapping[str, str | None] | None = None) -> bool:
    """True when the calendar at ``url`` reports no change since ``token``, or only events at the
    versions ``known`` (href -> etag the links hold) gives: the hub's own updates, which move no
    position (a batch of updates reads no report after it) and which the full pull would not
    fetch either. False on any other answer or error (the full sync then asks again and says
    what went wrong)."""
    if any(os.environ.get(name) or os.environ.get(name.upper()) for name in PROXIES):
        return False  # the full sync's HTTP library goes through the proxy: so must the question
    url = url if url.endswith("/") else url + "/"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    headers = {"Depth": "1", "Content-Type": 'application/xml; charset="utf-8"'}
    if username:
        pair = f"{username}:{password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    body = sync_body(token)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        import ssl

        context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
        if verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("REPORT", parts.path + (f"?{parts.query}" if parts.query else ""), body, headers)
        response = connection.getresponse()
        answer = response.read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    if response.status != 207:
        return False
    try:
        root = ElementTree.fromstring(answer)
    except ElementTree.ParseError:
        return False
    if root.tag != f"{DAV}multistatus":
        return False
    members = root.findall(f"{DAV}response")
    for member in members:
        href = unquote(urlsplit((member.findtext(f"{DAV}href") or "").strip()).path)
        etag = (member.findtext(f"{DAV}propstat/{DAV}prop/{DAV}getetag") or "").strip()
        if member.find(f"{DAV}status") is not None or not etag or (known or {}).get(href) != etag:
            return False  # removed, or a version the links do not hold
    answered = (root.findtext(f"{DAV}sync-token") or "").strip()
    return answered == token or bool(members and answered)


def facts(config: Any, settings: Any) -> dict[str, Any]:
    """:class:`sync.quick.ProbeFacts` of the ``caldav`` type: where the calendar is and how to
    reach it (its password is asked for by name, :data:`SECRETS`)."""
    return {"url": config.url, "username": config.username, "verify": config.verify,
            "timeout": config.timeout or settings.hub.timeout}


def probe(facts: Mapping[str, Any], seen: SourceState, secret: Callable[[str], str | None]) -> bool:
    """:class:`sync.quick.Probe` of the ``caldav`` type: one sync-token REPORT, as the full pull's
    first request."""
    token = start_token(seen.cursor, seen.mappings.get(AFTER_WRITES), seen.linked)
    if token is None:
        return False
    try:
        password = secret("password")
    except Exception:  # an unreadable password file: the full sync says so
        return False
    return unchanged(str(facts["url"]), token, facts["username"], password, verify=facts["verify"],
                     timeout=float(facts["timeout"]), known=seen.linked)
