"""The page reads back exactly what was rendered, whatever the text (no server needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.http import build_client
from connectors.wordpress import WordPressConfig, WordPressConnector
from connectors.wordpress.parse import parse_page
from connectors.wordpress.render import is_hub_page, page_title, render_news, render_page, shown_event_title
from sync.model import Programme, Session, Venue
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


def read_back(content: str, title: str, lang: str) -> dict[str, dict[str, object]]:
    """What the connector's pull reads from a page with this title and content."""
    return parse_page(content, shown_event_title(title, lang))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_title=TEXT.filter(str.strip), subtitle=TEXT, theme=TEXT, note=TEXT)
def test_what_the_page_shows_of_the_event_reads_back_exactly(
    event_title: str, subtitle: str, theme: str, note: str
) -> None:
    """The event title, its subtitle, a day's theme and a venue's note read back with each
    session, so a change of any of them changes what the page should hold."""
    event = replace(PROGRAMME.event, title=event_title, subtitle=subtitle)
    days = tuple(replace(d, theme=theme) if i == 1 else d for i, d in enumerate(PROGRAMME.days))
    venues = {k: Venue(v.id, v.name, v.address, note) for k, v in PROGRAMME.venues.items()}
    programme = replace(PROGRAMME, event=event, days=days, venues=venues)
    title_html = page_title(programme, "en")
    content = render_page(programme, "en", title_html)
    read = read_back(content, title_html, "en")
    assert read == {k: CONNECTOR.project(s, programme) for k, s in programme.sessions.items()}
    second_day = days[1].date
    assert {p["day_theme"] for k, p in read.items()
            if programme.sessions[k].start.date() == second_day} == {theme}
    assert {p["event_title"] for p in read.values()} == {event_title}
    assert is_hub_page(title_html, content)


def test_a_page_title_set_in_the_configuration_carries_no_event_title() -> None:
    config = WordPressConfig(type="wordpress", url="http://127.0.0.1:9", username="u", page_title="Programme")
    counter = RequestCounter()
    site = WordPressConnector("site", config, ConnectorContext("site", build_client("site", counter), counter))
    session = PROGRAMME.sorted_sessions()[0]
    assert "event_title" not in site.project(session, PROGRAMME)
    assert site.project(session, PROGRAMME)["day_theme"] == "Un vocabulaire commun"


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
    assert read_back(content, title_html, "fr") == projections(programme)
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
    assert read_back(content, page_title(programme, "en"), "en") == projections(programme)
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
    parsed = read_back(content, page_title(programme, "fr"), "fr")
    assert len(parsed) == 10_000
    assert parsed == projections(programme)


def test_shortcodes_are_written_inert_and_read_back_as_typed() -> None:
    """``[audio src=...]`` typed anywhere reaches WordPress with its brackets as ``&#91;``/``&#93;``
    (no shortcode runs), and reads back exactly: the hub's own page is no hand edit."""
    code = '[audio src="https://x/y.mp3"]'
    session = PROGRAMME.sorted_sessions()[0]
    odd = replace(session, title=code, hosts=(code,), description=f"a\n{code}", links=(code,))
    venues = {k: Venue(v.id, f"{v.name} [gallery]", v.address, "[caption]x[/caption]")
              for k, v in PROGRAMME.venues.items()}
    event = replace(PROGRAMME.event, title=f"Fête {code}", subtitle="[embed]https://x/[/embed]")
    days = tuple(replace(d, theme="[video]") for d in PROGRAMME.days)
    programme = replace(PROGRAMME, sessions={**PROGRAMME.sessions, session.id: odd},
                        venues=venues, event=event, days=days)
    title_html = page_title(programme, "fr")
    content = render_page(programme, "fr", title_html)
    assert "[" not in content and "]" not in content
    assert "[" not in title_html and "]" not in title_html
    assert "&#91;audio src=&quot;https://x/y.mp3&quot;&#93;" in content
    assert read_back(content, title_html, "fr") == projections(programme)
    assert is_hub_page(title_html, content)


def test_news_lines_carry_no_shortcode() -> None:
    content = render_news(['« <b>[audio src="https://x/y.mp3"]</b> » est déplacé'], "abc")
    assert "[" not in content and "&#91;audio src=" in content
