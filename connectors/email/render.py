"""An announcement as an e-mail: a subject that says what changed, a plain-text part and an HTML
part with each session's time, venue and address, and links to the programme and its ICS.

The message is built with the standard library's :class:`email.message.EmailMessage` (headers
with accents are RFC 2047-encoded by it, both parts are quoted-printable UTF-8, so the message
is 7-bit clean for any server). Its ``Message-ID`` is given, not drawn: the same announcement
always has the same one, which is how a person finds it in the list's archive, and how a list
server that remembers Message-IDs can drop a copy.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from connectors.email.config import EmailConfig
from connectors.email.messages import say
from sync.announce import Change, classify, render_change
from sync.i18n import say as say_change
from sync.i18n import say_date, say_moment, say_span, say_time
from sync.model import Venue


@dataclass(frozen=True, slots=True)
class Letter:
    """What one message says, before it becomes MIME."""

    subject: str
    heading: str
    changes: tuple[Change, ...]
    venues: Mapping[str, Venue]


def one_line(text: str) -> str:
    """Text fit for a header: no line breaks, spaces collapsed."""
    return " ".join(str(text).split())


def subject_of(changes: Sequence[Change], venues: Mapping[str, Venue], lang: str, *, correction: bool = False) -> str:
    """« Programme : Culture juridique déplacé à 15 h »; « Programme : 3 changements » for a batch."""
    what = say("what.many", lang, n=len(changes)) if len(changes) != 1 else _what(changes[0], venues, lang)
    return one_line(say("subject.correction" if correction else "subject", lang, what=what))


def _what(change: Change, venues: Mapping[str, Venue], lang: str) -> str:
    record = change.after or change.before or {}
    title = one_line(record.get("title") or change.session)
    if change.kind == "added":
        return say("what.added", lang, title=title)
    if change.kind == "removed":
        return say("what.removed", lang, title=title)
    if change.kind == "cancelled":
        return say("what.cancelled", lang, title=title)
    assert change.before is not None and change.after is not None
    if change.kind == "renamed":
        return say("what.renamed", lang, old=one_line(change.before["title"]), new=title)
    if change.kind in ("moved", "retimed"):
        venue = _venue_name(change.after.get("venue"), venues, lang)
        before, after = _start(change.before), _start(change.after)
        if before == after and "end" in change.fields:
            end = datetime.fromisoformat(change.after["end"])
            return say("what.ends", lang, title=title, end=say_time(end, lang))
        new = say_time(after, lang) if before.date() == after.date() else say_moment(after, lang)
        if change.kind == "retimed":
            return say("what.retimed", lang, title=title, new=new)
        if "start" in change.fields:
            return say("what.moved", lang, title=title, new=new, venue=venue)
        return say("what.moved_venue", lang, title=title, venue=venue)
    if "status" in change.fields and change.before.get("status") == "cancelled":
        return say("what.reinstated", lang, title=title)
    return say("what.edited", lang, title=title)


def _start(record: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(record["start"])


def _venue_name(venue_id: Any, venues: Mapping[str, Venue], lang: str) -> str:
    if not venue_id:
        return say_change("venue.unknown", lang)
    venue = venues.get(str(venue_id))
    return one_line(venue.name if venue else venue_id)


def details(change: Change, venues: Mapping[str, Venue], lang: str) -> tuple[str, str] | None:
    """When and where the session now is (None for a session that left the programme: its
    line already says when it was)."""
    if change.kind in ("removed", "cancelled") or change.after is None:
        return None
    record = change.after
    when = say_span(_start(record), datetime.fromisoformat(record["end"]), lang)
    venue = venues.get(str(record.get("venue") or ""))
    if venue is None:
        where = _venue_name(record.get("venue"), venues, lang)
    else:
        where = ", ".join(part for part in (venue.name, venue.address) if part)
    return when, where


def coalesce(changes: Iterable[Change]) -> list[Change]:
    """A day's changes as one change per session, from what people were told before the first
    to what holds after the last: 14 h → 15 h → 16 h reads 14 h → 16 h, and A → B → A says
    nothing. Kept in programme order."""
    first: dict[str, Mapping[str, Any] | None] = {}
    last: dict[str, Mapping[str, Any] | None] = {}
    for change in changes:
        if change.session not in first:
            first[change.session] = change.before
        last[change.session] = change.after
    merged = [c for key in first if (c := classify(first[key], last[key])) is not None]
    return sorted(merged, key=lambda c: (str((c.after or c.before or {}).get("start", "")), c.session))


def batch_letter(
    changes: Sequence[Change], venues: Mapping[str, Venue], lang: str, *, correction: bool = False
) -> Letter:
    heading = say_change("changes.correction" if correction else "changes.title", lang)
    return Letter(subject_of(changes, venues, lang, correction=correction), heading, tuple(changes), venues)


def digest_letter(changes: Sequence[Change], venues: Mapping[str, Venue], lang: str, day: date) -> Letter:
    spoken = say_date(day, lang)
    subject = one_line(say("subject", lang, what=say("what.digest", lang, day=spoken)))
    return Letter(subject, say("body.digest", lang, day=spoken), tuple(changes), venues)


def plain_text(letter: Letter, config: EmailConfig, lang: str) -> str:
    lines = [letter.heading, ""]
    for change in letter.changes:
        lines.append(f"• {render_change(change, letter.venues, lang, 'text')}")
        found = details(change, letter.venues, lang)
        if found:
            lines.append(f"  {say('body.when', lang, when=found[0])}")
            lines.append(f"  {say('body.where', lang, where=found[1])}")
        lines.append("")
    for key, url in _links(config):
        lines.append(f"{say(key, lang)} : {url}" if lang == "fr" else f"{say(key, lang)}: {url}")
    if config.programme_url or config.ics_url:
        lines.append("")
    lines += ["-- ", say("body.footer", lang)]
    return "\n".join(lines) + "\n"


def html_text(letter: Letter, config: EmailConfig, lang: str) -> str:
    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    items = []
    for change in letter.changes:
        line = render_change(change, letter.venues, lang, "html")  # user text escaped there
        found = details(change, letter.venues, lang)
        extra = ""
        if found:
            extra = (f"<br>{esc(say('body.when', lang, when=found[0]))}"
                     f"<br>{esc(say('body.where', lang, where=found[1]))}")
        items.append(f"<li><strong>{line}</strong>{extra}</li>")
    links = "".join(
        f'<li><a href="{html.escape(url, quote=True)}">{esc(say(key, lang))}</a></li>' for key, url in _links(config)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
        f"<title>{esc(letter.subject)}</title></head>\n<body>\n"
        f"<h1>{esc(letter.heading)}</h1>\n<ul>\n" + "\n".join(items) + "\n</ul>\n"
        + (f"<ul>{links}</ul>\n" if links else "")
        + f"<p><small>{esc(say('body.footer', lang))}</small></p>\n</body>\n</html>\n"
    )


def _links(config: EmailConfig) -> list[tuple[str, str]]:
    found = []
    if config.programme_url:
        found.append(("body.programme", config.programme_url))
    if config.ics_url:
        found.append(("body.ics", config.ics_url))
    return found


def build(letter: Letter, config: EmailConfig, lang: str, recipient: str, message_id: str,
          now: datetime | None = None) -> EmailMessage:
    """The MIME message: multipart/alternative, plain text first (what mail readers fall back to)."""
    message = EmailMessage()
    message["From"] = config.from_header
    message["To"] = recipient
    message["Subject"] = letter.subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id
    if config.reply_to:
        message["Reply-To"] = config.reply_to
    if config.list_id:
        message["List-Id"] = f"<{config.list_id}>"
    message.set_content(plain_text(letter, config, lang), cte="quoted-printable")
    message.add_alternative(html_text(letter, config, lang), subtype="html", cte="quoted-printable")
    message["Content-Language"] = lang  # after the parts: setting content clears Content-* headers
    return message
