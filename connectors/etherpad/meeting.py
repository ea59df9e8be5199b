"""Meeting-notes pads: a new pad from a template (agenda, participants, decisions), its URL back.

``hub pad new "Réunion de coordination 2021-10-05"`` calls :func:`new_meeting_pad`; the polls
workflow uses the URL it prints. The pad id is the title made into a slug (Etherpad ids are at
most 50 characters); a taken id gets "-2", "-3"... so an existing pad is never overwritten.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote

from config.settings import ConnectorSettings, Settings
from connectors.etherpad.config import PAD_ID_MAX, EtherpadConfig
from connectors.etherpad.connector import EtherpadConnector
from connectors.etherpad.padtext import clean_line
from sync.errors import ConfigError, InputError, PermanentError
from sync.i18n import say_date
from sync.programme_reader import slugify
from sync.protocol import Connector

TEMPLATES = {
    "fr": """{title}

Date : {when}
Lieu ou visio :
Animation :
Prise de notes :

== Participant·es ==
-

== Excusé·es ==
-

== Ordre du jour ==
1.
2.
3.

== Notes ==


== Décisions ==
-

== Actions (qui, quoi, pour quand) ==
-

== Prochaine réunion ==
""",
    "en": """{title}

Date: {when}
Place or video call:
Facilitation:
Note-taking:

== Participants ==
-

== Apologies ==
-

== Agenda ==
1.
2.
3.

== Notes ==


== Decisions ==
-

== Actions (who, what, by when) ==
-

== Next meeting ==
""",
}
ATTEMPTS = 20
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def meeting_text(title: str, lang: str, when: date | None = None) -> str:
    """The template filled in; the date comes from the title when it carries one."""
    if when is None:
        found = _ISO_DATE.search(title)
        if found:
            try:
                when = date(int(found[1]), int(found[2]), int(found[3]))
            except ValueError:
                when = None
    said = f"{say_date(when, lang)} {when.year}" if when else ""
    return TEMPLATES[lang if lang in TEMPLATES else "fr"].format(title=clean_line(title), when=said)


def pad_id_for(title: str, attempt: int = 1) -> str:
    suffix = f"-{attempt}" if attempt > 1 else ""
    return slugify(title)[: PAD_ID_MAX - len(suffix)].strip("-") + suffix


def pad_url(config: EtherpadConfig, pad_id: str) -> str:
    return f"{(config.public_url or config.url).rstrip('/')}/p/{quote(pad_id)}"


async def create_meeting_pad(
    connector: Connector[Any], title: str, *, lang: str | None = None, when: date | None = None
) -> str:
    """Create the meeting pad on ``connector``'s Etherpad; return the URL people open."""
    if not isinstance(connector, EtherpadConnector):
        raise ConfigError(f"connectors.{connector.name}: meeting pads need an etherpad connector")
    if not clean_line(title):
        raise InputError("a meeting pad needs a title")
    text = meeting_text(title, lang or connector.lang, when)
    for attempt in range(1, ATTEMPTS + 1):
        pad_id = pad_id_for(title, attempt)
        try:
            await connector.api.call("createPad", padID=pad_id, text=text[:-1])
        except PermanentError as exc:
            if "already exist" in str(exc):
                continue
            raise
        return pad_url(connector.config, pad_id)
    raise PermanentError(f"{ATTEMPTS} pads named after this title exist already", connector=connector.name)


def etherpad_section(settings: Settings, name: str | None) -> ConnectorSettings:
    """The configured Etherpad connector's section: ``name``, or the only one."""
    found = [
        c for c in settings.connectors
        if isinstance(c.config, EtherpadConfig) and (name is None or c.name == name)
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        wanted = f"'{name}' of type etherpad" if name else "of type etherpad"
        raise ConfigError(f"no connector section {wanted} in the configuration")
    raise ConfigError(f"several Etherpad connectors: choose one with --connector ({', '.join(c.name for c in found)})")
