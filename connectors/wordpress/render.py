"""The programme page and the news posts as HTML, and the mark that detects hand edits.

Everything that comes from the programme (titles, hosts, descriptions, venue names, addresses,
links) goes through :func:`esc`: a title containing ``<script>`` shows as text, and one
containing ``[audio src=...]`` is not expanded by WordPress (its brackets are ``&#91;``/``&#93;``). The page
body is one "Custom HTML" block, so WordPress neither adds paragraphs to it (``wpautop`` is
skipped for block content) nor splits it when a person opens it in the editor.

The first line of the block is a comment carrying a hash of the title and the rest of the body.
The hub never reads the page back into the programme; it only needs to know whether a person
changed it since the hub wrote it, and the hash says so without keeping a copy anywhere.

What the page shows of the event (the title in the page title, the subtitle, each day's theme,
the venues' notes) is in elements of their own, so :mod:`connectors.wordpress.parse` reads it back
with each session, like the session's own fields.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from datetime import date
from itertools import groupby
from urllib.parse import urlsplit

from connectors.wordpress.messages import say
from sync.i18n import say_date, say_time
from sync.model import Programme, Session, Venue

BLOCK_OPEN = "<!-- wp:html -->"
BLOCK_CLOSE = "<!-- /wp:html -->"
MARK = re.compile(r"<!-- commons-hub:programme sha256=([0-9a-f]{64}) -->\n?")
ANNOUNCEMENT_MARK = "<!-- commons-hub:announcement {id} -->"


#: Square brackets as character references: WordPress expands ``[audio src=...]`` and any other
#: shortcode wherever it sees one, and has no escape for them but these (a browser shows ``[``
#: and ``]``, an HTML parser reads them back as such, the shortcode parser never sees a bracket).
#: ``[[audio]]`` would only work for registered shortcodes and reads back doubled.
_NO_SHORTCODES = str.maketrans({"[": "&#91;", "]": "&#93;"})
_NEWS_TEXT = str.maketrans({"[": "&#91;", "]": "&#93;", '"': "&quot;"})


def no_shortcodes(markup: str) -> str:
    """HTML with every square bracket written as a character reference: no shortcode runs.

    Only for markup the hub built, whose text is already escaped (markup itself has no brackets).
    """
    return markup.translate(_NO_SHORTCODES)


def esc(text: object) -> str:
    """Text made inert in HTML content and in quoted attributes, shortcodes included."""
    return no_shortcodes(html.escape(str(text), quote=True))


def _normalise(text: str) -> str:
    """What WordPress may change without anyone editing: line endings, trailing spaces."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def page_hash(title: str, content: str) -> str:
    """The hash over the title and the page body without its mark."""
    body = MARK.sub("", content)
    data = _normalise(html.unescape(title)) + "\n\x00\n" + _normalise(body)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def is_hub_page(title: str, content: str) -> bool:
    """True when the page is exactly what the hub last wrote (its mark matches its text)."""
    found = MARK.search(content)
    return found is not None and found.group(1) == page_hash(title, content)


def page_title(programme: Programme, lang: str, configured: str | None = None) -> str:
    """The page title as sent to WordPress (escaped: themes print titles without escaping)."""
    if configured:
        return esc(configured)
    return esc(f"{_title_prefix(lang)}{programme.event.title}")


def _title_prefix(lang: str) -> str:
    return f"{say('page.title', lang)} – "


def shown_event_title(title: str, lang: str) -> str:
    """The event title a page title shows (the inverse of :func:`page_title`); a title changed
    by hand reads back whole."""
    shown = html.unescape(title)
    prefix = _title_prefix(lang)
    return shown[len(prefix):] if shown.startswith(prefix) else shown


def _safe_url(url: str) -> str | None:
    """Only web links become anchors: a ``javascript:`` link stays text."""
    parts = urlsplit(url.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def _sep(lang: str) -> str:
    """French puts a space before a colon."""
    return " : " if lang == "fr" else ": "


def _venue_line(venue: Venue | None, venue_id: str | None, lang: str) -> str:
    if venue is None:
        where = esc(venue_id) if venue_id else esc(say("venue.unknown", lang))
    else:
        name = f'<span class="hub-venue-name">{esc(venue.name)}</span>'
        where = f'<a href="#lieu-{esc(venue.id)}">{name}</a>'
        if venue.address:
            where += f', <span class="hub-venue-address">{esc(venue.address)}</span>'
    return f'<p class="hub-venue">{esc(say("session.venue", lang))}{_sep(lang)}{where}</p>'


def render_session(session: Session, programme: Programme, lang: str) -> str:
    """One session as a list item; a cancelled one is struck through and says so in words.

    The item also carries, exactly, what :mod:`connectors.wordpress.parse` reads back: the
    start and end as stored, the venue id and the status as ``data-`` attributes, each host and
    link in its own element, the description's line breaks as ``<br>``.
    """
    sep = _sep(lang)
    record = session.to_record()
    start = session.start.astimezone(programme.tz)
    end = session.end.astimezone(programme.tz)
    end_text = say_time(end, lang)
    if start.date() != end.date():
        end_text = f"{say_date(end.date(), lang)}, {end_text}"
    # Spans with data- attributes rather than <time>: WordPress strips <time> and style
    # attributes from the HTML of users without the unfiltered_html right.
    when = (
        f'<span class="hub-start" data-time="{esc(record["start"])}">'
        f"{esc(say_time(start, lang))}</span>"
        f' – <span class="hub-end" data-time="{esc(record["end"])}">{esc(end_text)}</span>'
    )
    title = esc(session.title)
    head = f'<strong class="hub-time">{when}</strong> <span class="hub-title">{title}</span>'
    classes = "hub-session"
    if session.status == "cancelled":
        classes += " hub-cancelled"
        status = esc(say("session.cancelled", lang))
        head = f'<del>{head}</del> <strong class="hub-status">{status}</strong>'
    elif session.status == "tentative":
        classes += " hub-tentative"
        head += f' <em class="hub-status">({esc(say("session.tentative", lang))})</em>'
    parts = [
        f'<li id="session-{esc(session.id)}" class="{classes}" '
        f'data-venue="{esc(session.venue or "")}" data-status="{esc(session.status)}">',
        f"<p>{head}</p>",
        _venue_line(programme.venue_of(session), session.venue, lang),
    ]
    if session.hosts:
        hosts = ", ".join(f'<span class="hub-host">{esc(h)}</span>' for h in session.hosts)
        parts.append(f'<p class="hub-hosts">{esc(say("session.hosts", lang))}{sep}{hosts}</p>')
    if session.description:
        text = "<br>".join(esc(line) for line in session.description.split("\n"))
        parts.append(f'<p class="hub-description">{text}</p>')
    if session.links:
        anchors = []
        for link in session.links:
            target = _safe_url(link)
            text = f'<a href="{esc(target)}">{esc(link)}</a>' if target else esc(link)
            anchors.append(f'<span class="hub-link">{text}</span>')
        label = esc(say("session.links", lang))
        parts.append(f'<p class="hub-links">{label}{sep}{", ".join(anchors)}</p>')
    parts.append("</li>")
    return "\n".join(parts)


def _day_heading(day: date, themes: Mapping[date, str], lang: str) -> str:
    label = say_date(day, lang)
    label = label[:1].upper() + label[1:]
    theme = themes.get(day, "")
    text = esc(label) + (f' – <span class="hub-theme">{esc(theme)}</span>' if theme else "")
    return f'<h2 id="jour-{day.isoformat()}">{text}</h2>'


def render_body(programme: Programme, lang: str) -> str:
    """The programme, day by day, then the venues with their addresses."""
    tz = programme.tz
    themes = {d.date: d.theme for d in programme.days}
    sessions: Sequence[Session] = programme.sorted_sessions()
    parts = [f'<div class="commons-hub-programme" lang="{esc(lang)}">']
    if programme.event.subtitle:
        parts.append(f'<p class="hub-subtitle">{esc(programme.event.subtitle)}</p>')
    if not sessions:
        parts.append(f"<p>{esc(say('page.empty', lang))}</p>")
    for day, group in groupby(sessions, key=lambda s: s.start.astimezone(tz).date()):
        parts.append(f'<section aria-labelledby="jour-{day.isoformat()}">')
        parts.append(_day_heading(day, themes, lang))
        parts.append('<ul class="hub-sessions">')
        parts.extend(render_session(session, programme, lang) for session in group)
        parts.append("</ul>")
        parts.append("</section>")
    used = {s.venue for s in sessions if s.venue}
    venues = [v for v in programme.venues.values() if v.id in used]
    if venues:
        parts.append('<section aria-labelledby="lieux">')
        parts.append(f'<h2 id="lieux">{esc(say("venues.title", lang))}</h2>')
        parts.append('<ul class="hub-venues">')
        for venue in sorted(venues, key=lambda v: v.name):
            line = f"<strong>{esc(venue.name)}</strong>"
            if venue.address:
                line += f", {esc(venue.address)}"
            if venue.note:
                line += f' (<span class="hub-venue-note">{esc(venue.note)}</span>)'
            parts.append(f'<li id="lieu-{esc(venue.id)}">{line}</li>')
        parts.append("</ul>")
        parts.append("</section>")
    parts.append("</div>")
    return "\n".join(parts)


def render_page(programme: Programme, lang: str, title: str) -> str:
    """The whole page content, mark included, as stored in ``post_content``."""
    inner = render_body(programme, lang)
    unmarked = f"{BLOCK_OPEN}\n{inner}\n{BLOCK_CLOSE}"
    digest = page_hash(title, unmarked)
    return f"{BLOCK_OPEN}\n<!-- commons-hub:programme sha256={digest} -->\n{inner}\n{BLOCK_CLOSE}"


def render_news(lines: Sequence[str], announcement_id: str) -> str:
    """A news post: the changes as a list. ``lines`` are already escaped by the announcement as
    HTML text (no markup); their brackets are made inert here, and their straight double quotes
    references, which WordPress's typography leaves as typed (the messages' own are typographic)."""
    items = "\n".join(f"<li>{line.translate(_NEWS_TEXT)}</li>" for line in lines)
    mark = ANNOUNCEMENT_MARK.format(id=esc(announcement_id))
    return f'{BLOCK_OPEN}\n{mark}\n<ul class="hub-changes">\n{items}\n</ul>\n{BLOCK_CLOSE}'
