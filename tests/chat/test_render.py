"""Chat rendering: user text is inert in Telegram HTML, and splits never break a message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.chat_render import render_day, sessions_by_day, split_message, visible_length
from sync.announce import Announcement, classify
from tests.chat.support import reference_programme
from tests.fakes.telegram_html import ParseError, parse_html

CASES = json.loads(Path(__file__).with_name("telegram-formatting-cases.json").read_text("utf-8"))
#: Every input Telegram was shown, HTML and MarkdownV2: hostile titles for our own escaping.
TITLES = sorted({c["input"] for c in CASES if c["input"].strip()})


@pytest.mark.parametrize("title", TITLES)
def test_any_title_reads_back_verbatim_in_the_programme_and_the_news(title: str) -> None:
    programme = reference_programme()
    session = programme.sessions["atelier-culture-juridique"]
    changed = session.with_fields({"title": title})
    programme = programme.with_sessions([*programme.sessions.values(), changed])
    day = changed.start.date()
    board = render_day(programme, day, sessions_by_day(programme)[day], "fr", "html")
    text, _entities = parse_html(board)
    assert title in text
    news = Announcement((classify(session.to_record(), changed.to_record()),), programme.venues)  # type: ignore[arg-type]
    text, _entities = parse_html(news.render("en", "html"))
    assert title in text


def test_every_fixture_verdict_is_reproduced_by_the_fake() -> None:
    """Keeps the fake honest: the parser rejects exactly what Telegram rejected."""
    for case in (c for c in CASES if c["mode"] == "html"):
        if "error" in case:
            with pytest.raises(ParseError):
                parse_html(case["input"])
        else:
            assert parse_html(case["input"])[0] == case["text"]


words = st.text(alphabet=st.sampled_from(list("ab é<&>\"'🏟")), min_size=1, max_size=12)
lines = st.lists(st.tuples(st.sampled_from(["", "b", "i", "s"]), words), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(lines=lines, limit=st.integers(min_value=8, max_value=120))
def test_html_splits_parse_alone_and_lose_nothing(lines: list[tuple[str, str]], limit: int) -> None:
    html_lines = []
    for tag, word in lines:
        escaped = word.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        html_lines.append(f"<{tag}>{escaped}</{tag}>" if tag else escaped)
    source = "\n".join(html_lines)
    parts = split_message(source, limit, "html")
    whole = parse_html(source)[0]
    shown = [parse_html(p)[0] for p in parts]  # each part is valid Telegram HTML on its own
    assert all(visible_length(p, "html") <= limit for p in parts)
    assert "".join(shown).replace("\n", "").replace(" ", "") == whole.replace("\n", "").replace(
        " ", ""
    )
