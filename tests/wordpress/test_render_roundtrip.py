"""The page reads back exactly what was rendered, whatever the text (no server needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.http import build_client
from connectors.wordpress import WordPressConfig, WordPressConnector
from connectors.wordpress.parse import parse_page
from connectors.wordpress.render import is_hub_page, page_title, render_page
from sync.model import Programme, Session
from sync.protocol import ConnectorContext, RequestCounter
from tests.helpers import reference_programme

PROGRAMME = reference_programme()
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=40
)


def connector() -> WordPressConnector:
    config = WordPressConfig(type="wordpress", url="http://127.0.0.1:9", username="u")
    counter = RequestCounter()
    return WordPressConnector(
        "site", config, ConnectorContext("site", build_client("site", counter), counter)
    )


CONNECTOR = connector()


def projections(programme: Programme) -> dict[str, dict[str, object]]:
    return {k: CONNECTOR.project(s, programme) for k, s in programme.sessions.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=TEXT,
    hosts=st.lists(TEXT, max_size=3),
    description=TEXT,
    links=st.lists(st.one_of(TEXT, st.just("https://example.org/?a=1&b=<2>")), max_size=2),
    status=st.sampled_from(["scheduled", "tentative", "cancelled"]),
)
def test_any_text_reads_back_exactly(
    title: str, hosts: list[str], description: str, links: list[str], status: str
) -> None:
    session = PROGRAMME.sorted_sessions()[0]
    odd = replace(
        session,
        title=title,
        hosts=tuple(hosts),
        description=description,
        links=tuple(links),
        status=status,
    )  # type: ignore[arg-type]
    programme = replace(PROGRAMME, sessions={**PROGRAMME.sessions, session.id: odd})
    title_html = page_title(programme, "fr")
    content = render_page(programme, "fr", title_html)
    assert parse_page(content) == projections(programme)
    assert is_hub_page(title_html, content)
    assert not is_hub_page(title_html, content.replace("</li>", "<b>x</b></li>", 1))


def test_a_session_without_venue_or_at_an_unknown_venue_reads_back() -> None:
    first, second = PROGRAMME.sorted_sessions()[:2]
    programme = replace(
        PROGRAMME,
        sessions={
            **PROGRAMME.sessions,
            first.id: replace(first, venue=None),
            second.id: replace(second, venue="salle-inconnue", end=second.end + timedelta(days=1)),
        },
    )
    content = render_page(programme, "en", page_title(programme, "en"))
    assert parse_page(content) == projections(programme)
    assert "venue to be announced" in content


def test_ten_thousand_sessions_render_and_read_back() -> None:
    base = PROGRAMME.sorted_sessions()
    sessions: dict[str, Session] = {}
    for i in range(10_000):
        model = base[i % len(base)]
        shift = timedelta(minutes=15 * (i // len(base)))
        sessions[f"s{i:05d}"] = replace(
            model, id=f"s{i:05d}", start=model.start + shift, end=model.end + shift
        )
    programme = replace(PROGRAMME, sessions=sessions)
    content = render_page(programme, "fr", page_title(programme, "fr"))
    parsed = parse_page(content)
    assert len(parsed) == 10_000
    assert parsed == projections(programme)
