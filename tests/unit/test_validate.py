"""One set of session rules for every source: the programme file and whatever a connector pulls.

An item a calendar or a pad brings back is held to the programme file's rules; what breaks one
is left out of the round and reported in French or English, naming where it came from.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync.errors import InputError
from sync.merge import examine_source
from sync.model import EXISTENCE, SESSION_FIELDS
from sync.programme_reader import parse_frab_json, parse_programme_yaml
from sync.protocol import Link, PullResult, RemoteItem
from sync.pull import round_venues, screen
from sync.validate import DESCRIPTION_MAX, LIST_MAX, TITLE_MAX, check_item, ignored, slugify
from tests.helpers import REFERENCE, reference_programme

PROGRAMME = reference_programme()
VENUES = set(PROGRAMME.venues)
KEY = "atelier-culture-juridique"
SESSION = PROGRAMME.sessions[KEY]


def record(**changes: Any) -> dict[str, Any]:
    return {**SESSION.to_record(), **changes}


def problems_of(key: str | None, fields: dict[str, Any], **kwargs: Any) -> list[str]:
    return [issue.describe("en") for issue in check_item(key, fields, VENUES, **kwargs)]


def test_every_session_of_the_reference_programme_passes() -> None:
    for key, session in PROGRAMME.sessions.items():
        assert check_item(key, session.to_record(), VENUES, creating=True) == []


def test_a_key_that_is_no_slug_is_refused() -> None:
    assert problems_of("Evil/../Id", record()) == ["id: 'Evil/../Id' must be lowercase letters, digits and dashes"]
    assert problems_of("atelier--double", record()) != []
    assert problems_of("-atelier", record()) != []
    assert problems_of("x" * 300, record()) == ["id: too long (300 characters, at most 240)"]
    assert slugify("Évil/../Id") == "evil-id" and problems_of(slugify("Évil/../Id"), record()) == []


def test_end_must_come_after_start() -> None:
    before = problems_of(KEY, record(end="2021-11-13T13:00:00+01:00"))
    assert before == ["end: ends (2021-11-13 13:00) before it starts (2021-11-13 14:00)"]
    same = problems_of(KEY, record(end=record()["start"]))
    assert same == ["end: ends when it starts (2021-11-13 14:00)"]


def test_times_must_read_with_their_offset() -> None:
    assert problems_of(KEY, record(start="tomorrow")) == [
        "start: 'tomorrow' is not a date and time like 2021-11-13T14:00"
    ]
    assert problems_of(KEY, record(end="2021-11-13T18:00")) != []  # no offset: which zone?
    assert problems_of(KEY, record(start=None)) != []


def test_a_partial_item_is_checked_against_the_session_it_changes() -> None:
    """A source carrying only the start cannot push it past the end the hub holds."""
    assert problems_of(KEY, {"start": "2021-11-13T17:00:00+01:00"}, current=SESSION) == [
        "end: ends (2021-11-13 16:30) before it starts (2021-11-13 17:00)"
    ]
    assert problems_of(KEY, {"start": "2021-11-13T15:00:00+01:00"}, current=SESSION) == []
    assert problems_of(KEY, {"title": "Culture juridique (suite)"}, current=SESSION) == []


def test_an_item_that_creates_a_session_needs_title_start_and_end() -> None:
    assert problems_of("atelier-neuf", {"title": "Atelier neuf"}, creating=True) == [
        "start: is required", "end: is required"
    ]
    assert problems_of(None, {"title": "", "start": record()["start"], "end": record()["end"]}, creating=True) == [
        "title: is required"
    ]
    assert problems_of("atelier-neuf", {"title": "Atelier neuf"}) == []  # an edit may be partial


def test_texts_are_bounded() -> None:
    assert problems_of(KEY, record(title="x" * (TITLE_MAX + 1))) == [
        f"title: too long ({TITLE_MAX + 1} characters, at most {TITLE_MAX})"
    ]
    assert problems_of(KEY, record(title="   ")) == ["title: is empty"]
    assert problems_of(KEY, record(description="x" * (DESCRIPTION_MAX + 1))) != []
    assert problems_of(KEY, record(track="x" * 1000)) != []
    assert problems_of(KEY, record(hosts=["x" * 1000])) != []
    assert problems_of(KEY, record(hosts=["Ana"] * (LIST_MAX + 1))) == [
        f"hosts: too many entries ({LIST_MAX + 1}, at most {LIST_MAX})"
    ]
    assert problems_of(KEY, record(hosts="Ana, Bob")) == ["hosts: must be a list of names"]
    assert problems_of(KEY, record(title=42)) == ["title: must be text, not int"]
    # What a connector only displays is not a session field: not checked, not merged.
    assert problems_of(KEY, {**record(), "venue_name": "x" * 5000}) == []


def test_the_venue_is_one_the_programme_declares() -> None:
    assert problems_of(KEY, record(venue="nulle-part")) == [
        "venue: unknown venue 'nulle-part' (declare it under venues:)"
    ]
    assert problems_of(KEY, record(venue=None)) == []
    # The venue the hub holds passes even if the programme just stopped declaring it: the item
    # did not change it.
    assert check_item(KEY, record(), VENUES - {SESSION.venue or ""}, current=SESSION) == []
    assert check_item(KEY, record(), VENUES - {SESSION.venue or ""}) != []


def test_status_and_capacity() -> None:
    assert problems_of(KEY, record(status="maybe")) == [
        "status: 'maybe' is not one of scheduled, tentative, cancelled"
    ]
    assert problems_of(KEY, record(capacity=-1)) == ["capacity: must be a whole number"]
    assert problems_of(KEY, record(capacity=True)) != []
    assert problems_of(KEY, record(capacity=30)) == []


def test_the_report_line_in_both_languages() -> None:
    issues = check_item("Evil/../Id", record(end="2021-11-13T13:00:00+01:00"), VENUES)
    assert ignored("/hub/cal/evil.ics", issues, "en") == (
        "/hub/cal/evil.ics: id: 'Evil/../Id' must be lowercase letters, digits and dashes; "
        "end: ends (2021-11-13 13:00) before it starts (2021-11-13 14:00); ignored"
    )
    assert ignored("/hub/cal/evil.ics", issues, "fr") == (
        "/hub/cal/evil.ics : identifiant : « Evil/../Id » ne doit contenir que des minuscules, des chiffres "
        "et des tirets ; fin : finit (2021-11-13 13:00) avant de commencer (2021-11-13 14:00) ; ignoré"
    )


# --- the pull stage -------------------------------------------------------------------------

def linked(key: str) -> Link:
    base = PROGRAMME.sessions[key].to_record()
    return Link("pad", "sessions", key, key, "1", None, None, base)


def pulled(key: str, **changes: Any) -> RemoteItem:
    return RemoteItem(key, {**PROGRAMME.sessions[key].to_record(), **changes}, key, "2")


def canonical() -> dict[str, dict[str, Any]]:
    return {key: s.to_record() for key, s in PROGRAMME.sessions.items()}


def test_a_refused_item_of_a_complete_pull_is_neither_merged_nor_deleted() -> None:
    keys = sorted(PROGRAMME.sessions)
    links = {key: linked(key) for key in keys}
    gone = keys[0]  # removed on the remote: a real deletion
    bad, good = KEY, "restitution"
    items = [pulled(key) for key in keys if key not in (gone, bad, good)]
    items += [pulled(bad, end="2021-11-13T12:00:00+01:00"), pulled(good, title="Restitution (salle 2)")]
    result = PullResult(items=items, cursor="2", complete=True)

    refused = screen(result, links, PROGRAMME, VENUES, creates=True, lang="en")

    assert [item.key for item in refused] == [bad]
    assert result.problems == [
        f"{bad}: end: ends (2021-11-13 12:00) before it starts (2021-11-13 14:00); ignored"
    ]
    outcome = examine_source("pad", result, links, canonical(), frozenset({*SESSION_FIELDS, EXISTENCE}), "sessions")
    assert outcome.removals == {gone}, "the refused session is still there; the removed one is gone"
    assert outcome.vanished == 1
    assert (bad, "end") not in outcome.proposals and bad not in outcome.new_links
    assert outcome.proposals == {(good, "title"): "Restitution (salle 2)"}, "the valid edit goes on"


def test_a_complete_pull_without_refusals_is_left_as_it_is() -> None:
    links = {KEY: linked(KEY)}
    result = PullResult(items=[pulled(KEY)], cursor="2", complete=True)
    assert screen(result, links, PROGRAMME, VENUES, creates=True, lang="fr") == []
    assert result.complete and result.deleted == [] and result.problems == []


def test_a_new_item_with_a_bad_key_is_not_created() -> None:
    evil = RemoteItem("Evil/../Id", {**record(), "title": "Evil"}, "/cal/evil.ics", "1")
    fine = RemoteItem("atelier-neuf", {**record(), "title": "Atelier neuf"}, "/cal/neuf.ics", "1")
    result = PullResult(items=[evil, fine], cursor="1")
    screen(result, {}, PROGRAMME, VENUES, creates=True, lang="fr")
    assert [item.key for item in result.items] == ["atelier-neuf"]
    [problem] = result.problems
    assert problem.startswith("/cal/evil.ics : identifiant : « Evil/../Id »") and problem.endswith("; ignoré")
    outcome = examine_source("calendar", result, {}, canonical(), frozenset({*SESSION_FIELDS, EXISTENCE}),
                             "sessions")
    assert set(outcome.additions) == {"atelier-neuf"}


def test_venues_of_the_programme_pulled_in_the_same_round_count() -> None:
    """A venue declared in the same edit as the session that uses it is known."""
    meta = PROGRAMME.meta_record()
    meta["venues"] = [*meta["venues"], {"id": "jardin", "name": "Le jardin", "address": "", "note": ""}]
    fresh = PullResult(cursor="x", complete=True, meta=meta)
    assert "jardin" in round_venues([PullResult(), fresh], PROGRAMME)
    assert round_venues([PullResult()], PROGRAMME) == VENUES


# --- the programme file holds to the same rules ---------------------------------------------

def test_the_programme_file_bounds_its_texts_too() -> None:
    text = REFERENCE.read_text(encoding="utf-8").replace(
        "title: Culture juridique", "title: " + "Culture juridique " * 20, 1
    )
    with pytest.raises(InputError) as caught:
        parse_programme_yaml(text, "programme.yaml")
    [problem] = [str(p) for p in caught.value.problems]
    assert "field 'sessions[" in problem and ".title'" in problem and "too long" in problem


def test_the_programme_file_refuses_an_empty_title() -> None:
    text = REFERENCE.read_text(encoding="utf-8").replace("title: Culture juridique", 'title: ""', 1)
    with pytest.raises(InputError, match="title': session 'atelier-culture-juridique': is empty"):
        parse_programme_yaml(text, "programme.yaml")


def test_a_frab_schedule_holds_to_the_same_rules() -> None:
    talk = {"title": "", "date": "2021-11-13T14:00:00+01:00", "duration": "01:00", "slug": "atelier"}
    schedule = {"schedule": {"conference": {"title": "Rencontre", "days": [
        {"date": "2021-11-13", "rooms": {"Salle 1": [talk]}},
    ]}}}
    with pytest.raises(InputError, match=r"field 'days\[0\]\.rooms\.Salle 1\[0\]': title: is empty"):
        parse_frab_json(json.dumps(schedule), "schedule.json")
