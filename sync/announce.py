"""Change lists and the human announcements made from them.

A change list is computed between two *versions* of the programme (the last published one and
the current one), never from the edits in between: so A→B→C reads "A→C" and A→B→A says nothing
(coalescing falls out of the diff). Each change has one ``kind`` a person would use:

``added`` / ``removed`` (the session appears or leaves the programme), ``cancelled`` (status
becomes cancelled), ``moved`` (the venue changes, with or without the time), ``retimed``
(start or end changes), ``renamed`` (the title changes), ``edited`` (anything else, including a
cancelled session put back).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sync.i18n import join_words, say, say_moment, say_span, say_time
from sync.model import SESSION_FIELDS, Venue, canonical_json

ChangeKind = Literal["moved", "retimed", "renamed", "cancelled", "added", "removed", "edited"]
Format = Literal["text", "html", "markdown"]


@dataclass(frozen=True, slots=True)
class Change:
    """One session's change between two versions; ``fields`` maps a field to (old, new)."""

    session: str
    kind: ChangeKind
    fields: Mapping[str, tuple[Any, Any]]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "kind": self.kind,
            "fields": {name: [old, new] for name, (old, new) in self.fields.items()},
        }


def classify(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> Change | None:
    """The change from ``before`` to ``after`` (records; None = absent), or None if equal."""
    if before is None and after is None:
        return None
    if before is None:
        assert after is not None
        return Change(after["id"], "added", {}, None, after)
    if after is None:
        return Change(before["id"], "removed", {}, before, None)
    fields = {
        name: (before.get(name), after.get(name))
        for name in SESSION_FIELDS
        if before.get(name) != after.get(name)
    }
    if not fields:
        return None
    kind: ChangeKind
    if "status" in fields and after.get("status") == "cancelled":
        kind = "cancelled"
    elif "status" in fields and before.get("status") == "cancelled":
        kind = "edited"
    elif "venue" in fields:
        kind = "moved"
    elif "start" in fields or "end" in fields:
        kind = "retimed"
    elif "title" in fields:
        kind = "renamed"
    else:
        kind = "edited"
    return Change(after["id"], kind, fields, before, after)


def diff_versions(
    before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
) -> list[Change]:
    """Every change from one version (id -> record) to another, in programme order."""
    changes = [
        change
        for key in set(before) | set(after)
        if (change := classify(before.get(key), after.get(key))) is not None
    ]
    return sorted(changes, key=_order)


def _order(change: Change) -> tuple[str, str]:
    record = change.after or change.before or {}
    return (str(record.get("start", "")), change.session)


@dataclass(frozen=True, slots=True)
class Announcement:
    """A published batch of changes, the unit chat channels and news posts send once."""

    changes: tuple[Change, ...]
    venues: Mapping[str, Venue] = field(default_factory=dict)
    created_at: datetime | None = None
    #: It undoes earlier changes (``hub revert``): titled as a correction.
    correction: bool = False
    #: Which sending this is (the outbox entry's idempotency key, "" when unknown): the same
    #: changes published again later (14 h -> 15 h, back, and again) are another occurrence
    #: with the same ``id``. Not part of ``id``.
    occurrence: str = ""

    @property
    def id(self) -> str:
        """Content-derived id: the same batch always has the same id (the duplicate guard)."""
        body = canonical_json([c.to_json() for c in self.changes])
        return hashlib.sha256(body.encode()).hexdigest()[:24]

    def lines(self, lang: str, fmt: Format = "text") -> list[str]:
        return [render_change(change, self.venues, lang, fmt) for change in self.changes]

    def render(self, lang: str, fmt: Format = "text") -> str:
        """The whole message: a title, then one line per change."""
        title = say("changes.correction" if self.correction else "changes.title", lang)
        lines = self.lines(lang, fmt)
        if fmt == "html":
            return f"<b>{title}</b>\n" + "\n".join(f"• {line}" for line in lines)
        if fmt == "markdown":
            return f"**{title}**\n\n" + "\n".join(f"- {line}" for line in lines)
        return f"{title}\n" + "\n".join(f"• {line}" for line in lines)


#: Markdown's special characters, and ``&``: CommonMark decodes entity references, so a title
#: typed as ``&lt;b&gt;`` would show as ``<b>`` unless its ``&`` is escaped too.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<&])")


def escape(text: str, fmt: Format) -> str:
    """Make user-supplied text inert in the target format."""
    if fmt == "html":
        return html.escape(text, quote=False)
    if fmt == "markdown":
        return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return text


def _venue_label(venue_id: Any, venues: Mapping[str, Venue], lang: str) -> str:
    if not venue_id:
        return say("venue.unknown", lang)
    venue = venues.get(str(venue_id))
    return venue.name if venue else str(venue_id)


def _when(record: Mapping[str, Any], lang: str) -> str:
    return say_moment(datetime.fromisoformat(record["start"]), lang)


def _time_pair(old: Mapping[str, Any], new: Mapping[str, Any], lang: str) -> tuple[str, str]:
    """'14 h' → '15 h' when the day stays; full dates when the day changes."""
    before = datetime.fromisoformat(old["start"])
    after = datetime.fromisoformat(new["start"])
    if before.date() == after.date():
        if before == after:
            # only the end moved: say the whole span
            return (
                say_span(before, datetime.fromisoformat(old["end"]), lang),
                say_span(after, datetime.fromisoformat(new["end"]), lang),
            )
        return say_time(before, lang), say_time(after, lang)
    return say_moment(before, lang), say_moment(after, lang)


def render_change(change: Change, venues: Mapping[str, Venue], lang: str, fmt: Format = "text") -> str:
    """One line a person reads, e.g. 'Culture juridique : déplacé de 14 h à 15 h, Les 8 Pillards'."""
    record = change.after or change.before or {}
    title = escape(str(record.get("title", change.session)), fmt)

    def esc(text: str) -> str:
        return escape(text, fmt)

    if change.kind == "added":
        return say(
            "change.added",
            lang,
            title=title,
            when=esc(say_span(datetime.fromisoformat(record["start"]), datetime.fromisoformat(record["end"]), lang)),
            venue=esc(_venue_label(record.get("venue"), venues, lang)),
        )
    if change.kind == "removed":
        return say("change.removed", lang, title=title, when=esc(_when(record, lang)))
    if change.kind == "cancelled":
        return say("change.cancelled", lang, title=title, when=esc(_when(record, lang)))
    assert change.before is not None and change.after is not None
    if change.kind == "moved":
        venue = esc(_venue_label(change.after.get("venue"), venues, lang))
        if "start" in change.fields or "end" in change.fields:
            old, new = _time_pair(change.before, change.after, lang)
            return say("change.moved", lang, title=title, old=esc(old), new=esc(new), venue=venue)
        return say("change.moved_venue", lang, title=title, venue=venue)
    if change.kind == "retimed":
        old, new = _time_pair(change.before, change.after, lang)
        return say("change.retimed", lang, title=title, old=esc(old), new=esc(new))
    if change.kind == "renamed":
        return say(
            "change.renamed",
            lang,
            old=escape(str(change.before["title"]), fmt),
            new=escape(str(change.after["title"]), fmt),
        )
    if "status" in change.fields and change.before.get("status") == "cancelled":
        return say("change.reinstated", lang, title=title, when=esc(_when(record, lang)))
    names = [say(f"field.{name}", lang) for name in change.fields]
    return say("change.edited", lang, title=title, fields=join_words(names, lang))


def announcement_for(changes: Iterable[Change], venues: Mapping[str, Venue]) -> Announcement | None:
    """An announcement for a batch, or None when there is nothing to say."""
    batch = tuple(changes)
    return Announcement(batch, venues) if batch else None
