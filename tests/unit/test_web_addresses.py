"""Links and the event's website are web addresses (http or https), checked where they come in.

The exports make them clickable: a ``javascript:`` or ``data:`` address in the programme file, in
an imported frab schedule or in what a connector pulls is reported like any other bad field, in
French and English.
"""

from __future__ import annotations

import json

import pytest

from sync.errors import InputError
from sync.programme_reader import parse_frab_json, parse_programme_yaml
from sync.validate import MESSAGES, check_item, is_web_url
from tests.helpers import REFERENCE, reference_programme

PROGRAMME = reference_programme()
KEY = "atelier-culture-juridique"
BAD = ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x", "mailto:a@b.example",
       "//example.org/x", "/relative", "https://", "https://exa mple.org", "https://example.org/\nx", ""]


@pytest.mark.parametrize("url", ["https://example.org", "http://example.org/a?b=1&c=2#d", "HTTPS://EXAMPLE.ORG/x",
                                 "https://[::1]:8080/"])
def test_web_addresses_are_accepted(url: str) -> None:
    assert is_web_url(url)


@pytest.mark.parametrize("url", BAD)
def test_anything_else_is_not_a_web_address(url: str) -> None:
    assert not is_web_url(url)


def test_a_pulled_link_that_is_no_web_address_is_reported_in_both_languages() -> None:
    record = {**PROGRAMME.sessions[KEY].to_record(), "links": ["https://example.org", "javascript:alert(1)"]}
    issues = check_item(KEY, record, set(PROGRAMME.venues))
    assert [issue.describe("en") for issue in issues] == [
        "links: 'javascript:alert(1)' is not a web address (http:// or https://)"]
    assert [issue.describe("fr") for issue in issues] == [
        "liens : « javascript:alert(1) » n'est pas une adresse web (http:// ou https://)"]
    assert set(MESSAGES["url"]) == {"fr", "en"}


def programme_text(website: str, link: str) -> str:
    text = REFERENCE.read_text(encoding="utf-8")
    text = text.replace("  website: https://assembleesdescommuns.cc/\n", f"  website: '{website}'\n", 1)
    marker = "  - id: accueil-meteo\n"
    return text.replace(marker, marker + f"    links: ['{link}']\n", 1)


def test_the_programme_file_refuses_a_link_or_website_that_is_no_web_address() -> None:
    ok = parse_programme_yaml(programme_text("https://example.org/", "https://example.org/slides"))
    assert ok.event.website == "https://example.org/"
    assert ok.sessions["accueil-meteo"].links == ("https://example.org/slides",)
    with pytest.raises(InputError) as refused:
        parse_programme_yaml(programme_text("javascript:alert(1)", "data:text/html,x"), "programme.yaml")
    problems = {(p.field, p.message) for p in refused.value.problems}
    assert any(field and field.endswith("website") and "'javascript:alert(1)' is not a web address" in message
               for field, message in problems), problems
    assert any(field and field.endswith("links") and "'data:text/html,x' is not a web address" in message
               for field, message in problems), problems


def frab(url: str, link: str) -> str:
    event = {"id": 1, "guid": "g", "date": "2021-11-13T14:00:00+01:00", "start": "14:00", "duration": "01:00",
             "room": "Salle", "slug": "atelier", "url": "", "title": "Atelier", "subtitle": None, "track": None,
             "type": "other", "language": "fr", "abstract": None, "description": None, "persons": [],
             "links": [{"title": "x", "url": link}], "attachments": []}
    conference = {"acronym": "ev", "title": "Ev", "start": "2021-11-13", "end": "2021-11-13", "daysCount": 1,
                  "time_zone_name": "Europe/Paris", "url": url,
                  "days": [{"index": 1, "date": "2021-11-13", "rooms": {"Salle": [event]}}]}
    return json.dumps({"schedule": {"conference": conference}})


def test_an_imported_frab_schedule_is_held_to_the_same_rule() -> None:
    imported = parse_frab_json(frab("https://example.org/", "https://example.org/a"))
    assert imported.event.website == "https://example.org/"
    assert imported.sessions["atelier"].links == ("https://example.org/a",)
    with pytest.raises(InputError) as refused:
        parse_frab_json(frab("javascript:alert(1)", "javascript:alert(2)"), "schedule.json")
    messages = [p.message for p in refused.value.problems]
    assert any("'javascript:alert(1)' is not a web address" in m for m in messages), messages
    assert any("'javascript:alert(2)' is not a web address" in m for m in messages), messages
