"""What ``hub status`` prints, from plain facts of the settings and a read of the state.

The lines depend on few settings (:class:`StatusFacts`: the language, the state database, the
programme file, the Framadate sections), held here as plain data: the command line builds them
from validated settings, and :mod:`hub.quickstart` keeps them between commands so that a later
``hub status`` answers before pydantic and click are loaded. Both print :func:`status_output`,
so the two ways cannot say different things. The Framadate sign-ups are read from the state
(not through :mod:`hub.poll`, which loads the Framadate client and the meeting code).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hub.messages import MESSAGES, say
from hub.review import batch_json, event_zone, say_when
from sync.errors import HubError
from sync.i18n import Catalogue
from sync.state_reader import ReadState


@dataclass(frozen=True)
class StatusFacts:
    """What ``hub status`` reads of the settings."""

    language: str
    database_url: str
    #: The programme file, absolute; None without one.
    programme: str | None
    max_programme_bytes: int
    #: The Framadate sections' names (their sign-ups may pass a session's limit).
    polls: tuple[str, ...]

    @classmethod
    def of(cls, settings: Any) -> StatusFacts:
        """The facts of validated settings (:class:`config.settings.Settings`)."""
        hub = settings.hub
        programme = str(settings.resolve(hub.programme)) if hub.programme else None
        # By type name: a status need not import the Framadate settings' class.
        polls = tuple(s.name for s in settings.connectors if s.config.type == "framadate")
        return cls(hub.language, settings.database_url, programme, hub.max_programme_bytes, polls)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "polls": list(self.polls)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatusFacts:
        """The facts :meth:`to_json` gave; ``KeyError``/``TypeError`` on anything else."""
        programme = data["programme"]
        return cls(str(data["language"]), str(data["database_url"]), None if programme is None else str(programme),
                   int(data["max_programme_bytes"]), tuple(str(name) for name in data["polls"]))


def status_output(facts: StatusFacts, store: ReadState, as_json: bool) -> list[str]:
    """The lines ``hub status`` prints (one JSON document with ``as_json``), not yet redacted:
    the caller prints them through the secrets' redactor, like everything a command prints."""
    lang = facts.language
    zone = event_zone(store)
    last = store.get_meta("last_report") or {"connectors": {}, "changes": [], "conflicts": []}
    in_doubt = store.outbox_entries(states=("in_doubt",))
    batches = store.held_batches()
    extra: dict[str, Any] = {
        "last_sync": last.get("at"),
        "outbox": store.outbox_counts(),
        "in_doubt": [{"connector": e.connector, "target": e.target, "op": e.op, "error": e.error} for e in in_doubt],
        "held": store.open_breakers(),
        "open_conflicts": len(store.open_conflicts()),
        "review": [batch_json(b) for b in batches],
        "facilitation": signup_lines(facts, store),
    }
    if as_json:
        return [json.dumps({"connectors": last["connectors"], "changes": last["changes"],
                            "conflicts": last["conflicts"], "status": extra}, ensure_ascii=False)]
    when = say_when(extra["last_sync"], zone, lang) if extra["last_sync"] else say("never", lang)
    lines = [say("status.last", lang, at=when)]
    for name, figures in last["connectors"].items():
        lines.append(f"  {name}: {_figures(figures, 'col.', lang)}")
    for name, states in extra["outbox"].items():
        lines.append(say("status.outbox", lang, name=name, states=_figures(states, "state.", lang)))
    for entry in extra["in_doubt"]:
        lines.append(say("status.in_doubt", lang, connector=entry["connector"], target=entry["target"]))
    for name, reason in extra["held"].items():
        lines.append(say("status.held", lang, name=name, reason=reason))
    if batches:
        from sync.review import HeldSummary

        for batch in batches:
            sessions = HeldSummary.from_json(batch.summary).sessions
            lines.append(say("status.review", lang, batch=batch.id, connector=batch.connector, sessions=sessions))
    return [*lines, *extra["facilitation"]]


def _figures(figures: Mapping[str, Any], prefix: str, lang: str) -> str:
    """``créés 3, inchangés 19``: each figure under its word when the catalogue has one."""
    return ", ".join(f"{say(prefix + k, lang) if prefix + k in MESSAGES else k} {v}" for k, v in figures.items())


# --- the sign-up polls: the sessions whose sign-ups pass their limit ----------------------------

TEXTS = Catalogue({
    "split.status": {
        "fr": "{connector} : « {title} » compte {count} inscrit·es (limite {limit}) : dédoublement proposé",
        "en": "{connector}: “{title}” has {count} sign-ups (limit {limit}): split proposed",
    },
})


def signup_lines(facts: StatusFacts, store: ReadState) -> list[str]:
    """What ``hub status`` adds: the sessions whose sign-ups pass their limit (split proposed)."""
    lines = []
    for name in facts.polls:
        ids = store.load_connector_state(name, "polls").get("ids", [])
        for poll_id in ids:
            record = store.load_connector_state(name, f"poll:{poll_id}")
            for session, count in (record.get("flags") or {}).items():
                option: dict[str, Any] = next((o for o in record["options"] if o.get("session") == session), {})
                lines.append(TEXTS.say("split.status", facts.language, connector=name,
                                       title=option.get("label", session), count=count,
                                       limit=_limit(facts, store, session)))
    return lines


def _limit(facts: StatusFacts, store: ReadState, session: str) -> str:
    meta = store.get_meta("programme") or {}
    rules = (meta.get("event") or {}).get("rules") or {}
    kind = (store.load_sessions().get(session) or {}).get("kind")
    if not rules and facts.programme:
        from sync.programme_reader import load_programme

        try:
            programme = load_programme(Path(facts.programme), max_bytes=facts.max_programme_bytes)
        except HubError:
            return "?"
        rules = dict(programme.event.rules)
        kind = programme.sessions[session].kind if session in programme.sessions else kind
    value = rules.get("split_workshop_above" if kind == "workshop" else "split_plenary_above")
    return str(value) if value is not None else "?"
