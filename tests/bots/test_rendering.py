"""Answers per channel: nothing typed by a person or written in a pad reaches a chat unescaped.

Telegram answers are checked with the Bot API's own HTML parser rules (the fake's
``parse_html``): a reply Telegram would refuse is a reply nobody reads.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bots import answer
from bots.answering import MAX_LINES
from sync.model import Programme
from tests.bots.conftest import paris
from tests.bots.test_questions import TABLE
from tests.fakes.telegram_html import parse_html

AT = paris("2021-11-13T11:00")


def test_every_table_answer_is_valid_telegram_html(programme: Programme) -> None:
    for row in TABLE:
        html = answer(programme, row.question, at=paris(row.at)).render("html")
        text, _ = parse_html(html)  # raises on anything Telegram would refuse
        assert text.strip()


def test_typed_html_is_escaped_for_telegram(programme: Programme) -> None:
    reply = answer(programme, "/ou <b>x</b> & <script>y</script>", at=AT)
    html = reply.render("html")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;y&lt;/script&gt;" in html
    assert "<script>" not in html and "<b>x</b>" not in html
    text, _ = parse_html(html)
    assert "<b>x</b> & <script>y</script>" in text  # what the person sees is what they typed


def test_typed_markdown_is_escaped_for_talk(programme: Programme) -> None:
    reply = answer(programme, "/search *gras* [lien](http://x.example) `code` _x_", at=AT)
    markdown = reply.render("markdown")
    assert r"\*gras\*" in markdown
    assert r"\[lien\]\(http://x\.example\)" in markdown
    assert r"\`code\`" in markdown and r"\_x\_" in markdown
    assert "*gras*" not in markdown.replace(r"\*", "")


def test_plain_text_keeps_what_was_typed(programme: Programme) -> None:
    reply = answer(programme, "/ou <b>x</b>", at=AT)
    assert "<b>x</b>" in reply.render("text")


def test_programme_text_is_escaped_too(programme: Programme) -> None:
    """Titles and venue names may come from a pad or a calendar anyone can edit."""
    hostile = replace(
        programme.sessions["atelier-culture-juridique"],
        title="Culture juridique <i>& *droit* [lien](javascript:x)",
    )
    edited = programme.with_sessions(hostile if s.id == hostile.id else s for s in programme.sessions.values())
    reply = answer(edited, "c'est où l'atelier culture juridique ?", at=AT)
    assert reply.session_ids == ("atelier-culture-juridique",)
    html = reply.render("html")
    assert "<b>Culture juridique &lt;i&gt;&amp; *droit* [lien](javascript:x)</b>" in html
    parse_html(html)
    markdown = reply.render("markdown")
    assert r"**Culture juridique \<i\>\& \*droit\* \[lien\]\(javascript:x\)**" in markdown
    assert "Culture juridique <i>& *droit* [lien](javascript:x)" in reply.render("text")


def test_channel_formats_differ_only_in_markup(programme: Programme) -> None:
    reply = answer(programme, "/ensuite", at=AT)
    assert reply.render("html").startswith("<b>Ensuite, 14 h</b>\n• <b>Culture juridique</b>")
    assert reply.render("markdown").startswith("**Ensuite, 14 h**\n- **Culture juridique**")
    assert reply.render("text").startswith("Ensuite, 14 h\n• Culture juridique · 14 h – 16 h 30 · Les 8 Pillards")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    question=st.text(max_size=120),
    prefix=st.sampled_from(["", "/ou ", "/quand ", "/cherche ", "/search ", "où est "]),
)
def test_any_question_gets_a_short_valid_answer(programme: Programme, question: str, prefix: str) -> None:
    reply = answer(programme, prefix + question, at=AT)
    assert len(reply.session_ids) <= MAX_LINES
    assert reply.lang in ("fr", "en")
    for fmt in ("text", "html", "markdown"):
        assert reply.render(fmt).strip()
    parse_html(reply.render("html"))
