"""What ``hub status`` says of the sign-up polls: the sessions whose sign-ups pass their limit.

Apart from :mod:`hub.poll` (the poll commands, which load the Framadate client and the meeting
code) so that ``hub status`` reads the configuration and the state store and nothing more.
"""

from __future__ import annotations

from typing import Any

from config.settings import Settings
from sync.errors import HubError
from sync.i18n import Catalogue
from sync.state_reader import ReadState

TEXTS = Catalogue({
    "split.status": {
        "fr": "{connector} : « {title} » compte {count} inscrit·es (limite {limit}) : dédoublement proposé",
        "en": "{connector}: “{title}” has {count} sign-ups (limit {limit}): split proposed",
    },
})


def status_lines(settings: Settings, store: ReadState, lang: str) -> list[str]:
    """What ``hub status`` adds: the sessions whose sign-ups pass their limit (split proposed)."""
    lines = []
    for section in settings.connectors:
        if section.config.type != "framadate":  # by name: a status need not import its settings class
            continue
        ids = store.load_connector_state(section.name, "polls").get("ids", [])
        for poll_id in ids:
            record = store.load_connector_state(section.name, f"poll:{poll_id}")
            for session, count in (record.get("flags") or {}).items():
                option: dict[str, Any] = next((o for o in record["options"] if o.get("session") == session), {})
                lines.append(TEXTS.say("split.status", lang, connector=section.name,
                                       title=option.get("label", session), count=count,
                                       limit=_limit(settings, store, session)))
    return lines


def _limit(settings: Settings, store: ReadState, session: str) -> str:
    meta = store.get_meta("programme") or {}
    rules = (meta.get("event") or {}).get("rules") or {}
    kind = (store.load_sessions().get(session) or {}).get("kind")
    if not rules and settings.hub.programme:
        from sync.programme_reader import load_programme

        try:
            programme = load_programme(settings.resolve(settings.hub.programme),
                                       max_bytes=settings.hub.max_programme_bytes)
        except HubError:
            return "?"
        rules = dict(programme.event.rules)
        kind = programme.sessions[session].kind if session in programme.sessions else kind
    value = rules.get("split_workshop_above" if kind == "workshop" else "split_plenary_above")
    return str(value) if value is not None else "?"
