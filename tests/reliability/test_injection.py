"""Injection: the payloads of :mod:`tests.reliability.injection_corpus` in titles, descriptions,
venues, hosts and questions reach the chats, the bots' answers, the ICS and the HTML export as
the text they are, never as markup, a link or an extra property.

Each format is read back the way its reader reads it: Telegram's HTML parse mode (the fake's
parser, built from the Bot API server's rules), CommonMark for Talk (markdown-it), Python's
HTML parser for the page, icalendar for the ICS.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import icalendar
import pytest
import yaml
from markdown_it import MarkdownIt

from bots.answering import answer
from connectors.chat_render import render_day
from connectors.exports import session_uid
from sync.announce import announcement_for, classify
from sync.model import Programme
from sync.programme_reader import parse_programme_yaml
from tests.fakes.telegram_html import parse_html
from tests.helpers import hub_json
from tests.reliability.injection_corpus import PAYLOADS

START = datetime.fromisoformat("2021-11-13T09:00")
#: The entity types the hub's own templates use in Telegram HTML (bold titles, struck-through
#: cancelled sessions): anything else in a message came from a payload.
OWN_ENTITIES = {"bold", "strikethrough"}


def payload_programme() -> Programme:
    """One session and one venue per payload: the payload as title, description, venue name,
    venue address and host."""
    venues = [{"id": f"lieu-{i}", "name": p, "address": p} for i, p in enumerate(PAYLOADS)]
    sessions = [
        {
            "id": f"seance-{i}",
            "title": p,
            "start": (START + timedelta(minutes=10 * i)).isoformat(timespec="minutes"),
            "end": (START + timedelta(minutes=10 * i + 5)).isoformat(timespec="minutes"),
            "venue": f"lieu-{i}",
            "hosts": [p],
            "description": p,
            "status": "cancelled" if i % 5 == 0 else "scheduled",
        }
        for i, p in enumerate(PAYLOADS)
    ]
    data = {"event": {"id": "injection", "title": "Injection", "timezone": "Europe/Paris"},
            "days": [{"date": "2021-11-13", "theme": "Thème"}], "venues": venues, "sessions": sessions}
    return parse_programme_yaml(yaml.safe_dump(data, allow_unicode=True), "programme.yaml")


PROGRAMME = payload_programme()


def test_every_payload_is_a_valid_title() -> None:
    titles = {s.title for s in PROGRAMME.sessions.values()}
    assert titles == {p.strip() for p in PAYLOADS}


# Telegram (HTML parse mode) ---------------------------------------------------------------


def telegram_reads(message: str) -> tuple[str, list[dict[str, Any]]]:
    text, entities = parse_html(message)  # raises as Telegram refuses the message
    strange = [e for e in entities if e["type"] not in OWN_ENTITIES]
    assert not strange, f"entities from a payload: {strange}"
    return text, entities


def test_announcements_in_telegram_html() -> None:
    changes = [c for s in PROGRAMME.sorted_sessions() if (c := classify(None, s.to_record())) is not None]
    announcement = announcement_for(changes, PROGRAMME.venues)
    assert announcement is not None
    for lang in ("fr", "en"):
        text, _ = telegram_reads(announcement.render(lang, "html"))
        for payload in PAYLOADS:
            assert " ".join(payload.split()) in " ".join(text.split()), payload


def test_day_board_in_telegram_html() -> None:
    sessions = PROGRAMME.sorted_sessions()
    text, _ = telegram_reads(render_day(PROGRAMME, START.date(), sessions, "fr", "html"))
    for payload in PAYLOADS:
        assert " ".join(payload.split()) in " ".join(text.split()), payload


# Talk (Markdown) --------------------------------------------------------------------------

MARKDOWN = MarkdownIt("commonmark")
#: What the hub's own Markdown templates produce: anything else came from a payload.
OWN_MARKDOWN = {"paragraph_open", "paragraph_close", "inline", "text", "strong_open", "strong_close",
                "s_open", "s_close", "bullet_list_open", "bullet_list_close", "list_item_open",
                "list_item_close", "softbreak"}


def markdown_reads(message: str) -> str:
    tokens = MARKDOWN.enable("strikethrough").parse(message)
    flat = [t for token in tokens for t in [token, *(token.children or [])]]
    strange = sorted({t.type for t in flat} - OWN_MARKDOWN)
    assert not strange, f"Markdown from a payload: {strange}"
    return "".join(t.content for t in flat if t.type == "text")


def test_announcements_in_talk_markdown() -> None:
    changes = [c for s in PROGRAMME.sorted_sessions() if (c := classify(None, s.to_record())) is not None]
    announcement = announcement_for(changes, PROGRAMME.venues)
    assert announcement is not None
    text = markdown_reads(announcement.render("fr", "markdown"))
    for payload in PAYLOADS:
        assert "".join(payload.split()) in "".join(text.split()), payload


def test_day_board_in_talk_markdown() -> None:
    text = markdown_reads(render_day(PROGRAMME, START.date(), PROGRAMME.sorted_sessions(), "fr", "markdown"))
    for payload in PAYLOADS:
        assert "".join(payload.split()) in "".join(text.split()), payload


# bot answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_bot_answers_to_payload_questions(payload: str) -> None:
    """A question naming a payload session (the answer repeats its title, venue, hosts) or
    carrying a payload the bot repeats (an unknown name)."""
    for question in (f"/ou {payload}", f"/quand {payload}", f"/cherche {payload}", payload):
        reply = answer(PROGRAMME, question, at=START.replace(tzinfo=PROGRAMME.tz), lang="fr")
        telegram_reads(reply.render("html"))
        markdown_reads(reply.render("markdown"))


# exports: the HTML page and the ICS -------------------------------------------------------


#: The elements of the page's own template (connectors/exports.py): any other came from a payload.
TEMPLATE_TAGS = {"html", "head", "meta", "title", "style", "link", "body", "header", "main", "footer", "section",
                 "h1", "h2", "h3", "p", "ol", "li", "time", "a", "strong", "em", "del", "span"}


class Page(HTMLParser):
    """Every element, attribute and text of a page, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``hub sync`` of the payload programme to a files sink."""
    folder = tmp_path_factory.mktemp("injection")
    sessions = [{**s.to_record(), "start": s.start.strftime("%Y-%m-%dT%H:%M"),
                 "end": s.end.strftime("%Y-%m-%dT%H:%M")} for s in PROGRAMME.sorted_sessions()]
    for record in sessions:
        for name in ("capacity", "links", "track", "format", "kind"):
            record.pop(name, None)
    data = {"event": {"id": "injection", "title": "Injection", "timezone": "Europe/Paris"},
            "days": [{"date": "2021-11-13", "theme": "Thème"}],
            "venues": [{"id": v.id, "name": v.name, "address": v.address} for v in PROGRAMME.venues.values()],
            "sessions": sessions}
    (folder / "programme.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (folder / "hub.toml").write_text('[hub]\nprogramme = "programme.yaml"\ndatabase = "sqlite:///hub.db"\n'
                                     '[connectors.exports]\ntype = "files"\npath = "public"\n', encoding="utf-8")
    report = hub_json("sync", "--config", str(folder / "hub.toml"))
    assert report["connectors"]["exports"]["failed"] == 0
    return folder / "public"


def test_html_export(exports: Path) -> None:
    page = Page()
    page.feed((exports / "index.html").read_text(encoding="utf-8"))
    tags = {tag for tag, _ in page.tags}
    assert tags <= TEMPLATE_TAGS, f"elements from a payload: {tags - TEMPLATE_TAGS}"
    assert sum(tag == "h1" for tag, _ in page.tags) == 1
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src"):
                assert value is not None and not value.lower().lstrip().startswith(("javascript:", "data:")), value
                assert "evil" not in value, value
    text = " ".join("".join(page.text).split())
    for payload in PAYLOADS:
        assert " ".join(payload.split()) in text, payload


def lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_ics_export(exports: Path) -> None:
    calendar = icalendar.Calendar.from_ical((exports / "programme.ics").read_text(encoding="utf-8"))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(PAYLOADS)
    expected = {"UID", "DTSTAMP", "SEQUENCE", "SUMMARY", "DTSTART", "DTEND", "LOCATION", "DESCRIPTION",
                "STATUS", "URL", "CATEGORIES", "X-HUB-ID", "X-HUB-HOST", "X-HUB-VENUE", "ORGANIZER",
                "CREATED", "LAST-MODIFIED", "X-HUB-HASH", "CONTACT", "ATTENDEE"}
    by_uid = {session_uid(PROGRAMME.event.id, s.id): s for s in PROGRAMME.sessions.values()}
    for event in events:
        assert set(event.keys()) <= expected, set(event.keys()) - expected
        assert not event.subcomponents
        session = by_uid[str(event["UID"])]
        # iCalendar TEXT has one escape for a line break (\\n): CR LF and CR come back as LF
        assert str(event["SUMMARY"]) == lf(session.title)
        assert str(event["DESCRIPTION"]) == lf(session.description)
        assert str(event["LOCATION"]).startswith(lf(PROGRAMME.venues[str(session.venue)].name))
    assert "X-EVIL" not in json.dumps([list(e.keys()) for e in events])


# WordPress (what the hub stores as post_content) ------------------------------------------


WORDPRESS_TAGS = {"br", "section", "h2", "h3", "p", "ol", "ul", "li", "time", "a", "strong", "em", "del", "span", "div"}
#: WordPress's shortcode syntax as its parser finds it: [name ...] or [/name].
SHORTCODE = re.compile(r"\[/?[A-Za-z][\w-]*[\s\]/]")


def wordpress_reads(content: str) -> Page:
    """post_content as WordPress shows it: no shortcode may remain for do_shortcode, and the HTML
    holds only the hub's own elements, no event handler and no script URL."""
    assert not SHORTCODE.search(content), SHORTCODE.search(content)
    page = Page()
    page.feed(content)
    tags = {tag for tag, _ in page.tags}
    assert tags <= WORDPRESS_TAGS, f"elements from a payload: {tags - WORDPRESS_TAGS}"
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src"):
                assert value is not None and not value.lower().lstrip().startswith(("javascript:", "data:")), value
    return page


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_wordpress_page(lang: str) -> None:
    from connectors.wordpress.render import render_page

    page = wordpress_reads(render_page(PROGRAMME, lang, "Programme"))
    text = " ".join("".join(page.text).split())
    for payload in PAYLOADS:
        assert " ".join(payload.split()) in text, payload


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_wordpress_news(lang: str) -> None:
    from connectors.wordpress.render import render_news

    changes = [c for s in PROGRAMME.sorted_sessions() if (c := classify(None, s.to_record())) is not None]
    announcement = announcement_for(changes, PROGRAMME.venues)
    assert announcement is not None
    page = wordpress_reads(render_news(announcement.lines(lang, "html"), "announcement-1"))
    text = " ".join("".join(page.text).split())
    for payload in PAYLOADS:
        assert " ".join(payload.split()) in text, payload
