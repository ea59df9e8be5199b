"""Writing programme files: the whole programme reads back the same, and the hub's values go into
an organiser's file touching only the lines they change."""

from __future__ import annotations

import difflib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.model import Programme
from sync.programme_reader import parse_programme_text
from sync.programme_writer import NOT_WRITTEN, NOT_YAML, SessionWrite, programme_yaml, rewrite_programme
from tests.helpers import REFERENCE, reference_programme

TEXT = REFERENCE.read_text(encoding="utf-8")


def changed_lines(before: str, after: str) -> list[str]:
    """The diff's removed and added lines, in order."""
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def record(programme: Programme, key: str, **changes: Any) -> dict[str, Any]:
    return {**programme.sessions[key].to_record(), **changes}


def rewrite(text: str, *writes: SessionWrite) -> str:
    result = rewrite_programme(text, list(writes), "programme.yaml")
    assert result.failed == {}
    assert result.text is not None
    return result.text


# the whole programme ----------------------------------------------------------------------
def test_the_reference_programme_reads_back_the_same() -> None:
    programme = reference_programme()
    text = programme_yaml(programme)
    assert parse_programme_text(text, "export.yaml") == programme
    assert text.startswith("event:\n  id: assemblee-communs-2021\n")
    assert "    hosts: [Hôtel du Nord]\n" in text, "the programme file's own style"


def test_texts_the_reader_would_take_for_something_else_are_quoted() -> None:
    programme = reference_programme()
    odd = ["yes", "10:30", "null", "2021-11-13", "~", "- liste", "#1 : début", "'cité'", "1e3", "on"]
    sessions = [programme.sessions[key].with_fields({"title": title, "hosts": [title], "track": title})
                for key, title in zip(sorted(programme.sessions), odd, strict=False)]
    changed = programme.with_sessions([*sessions, *list(programme.sessions.values())[len(odd):]])
    assert parse_programme_text(programme_yaml(changed), "export.yaml") == changed


def test_multi_line_descriptions_and_empty_lists_read_back() -> None:
    programme = reference_programme()
    key = "restitution"
    session = programme.sessions[key].with_fields({"description": "Ligne 1\nLigne 2 : suite\n\nFin", "hosts": []})
    changed = programme.with_sessions([*[s for k, s in programme.sessions.items() if k != key], session])
    text = programme_yaml(changed)
    assert parse_programme_text(text, "export.yaml") == changed
    assert "description: |-\n" in text
    empty = programme.with_sessions([])
    assert parse_programme_text(programme_yaml(empty), "export.yaml") == empty


# an organiser's file ----------------------------------------------------------------------
def test_a_new_time_changes_that_line_only_and_keeps_its_comment() -> None:
    programme = reference_programme()
    key = "atelier-culture-juridique"
    after = rewrite(TEXT, SessionWrite("update", key, record(programme, key, start="2021-11-13T15:00:00+01:00")))
    assert changed_lines(TEXT, after) == ["-    start: 2021-11-13T14:00      # assumed",
                                          "+    start: 2021-11-13T15:00      # assumed"]


def test_quoting_is_kept_and_a_new_field_goes_in_its_usual_place() -> None:
    programme = reference_programme()
    key = "prendre-soin-spinelly"
    after = rewrite(TEXT, SessionWrite("update", key, record(
        programme, key, title="Prendre soin des communs : le jardin", hosts=["Jardiniers"], capacity=30)))
    assert changed_lines(TEXT, after) == [
        '-    title: "Prendre soin des communs : le Jardin Spinelly"',
        '+    title: "Prendre soin des communs : le jardin"',
        "+    hosts: [Jardiniers]",
        "+    capacity: 30",
    ]
    lines = after.splitlines()
    assert lines[lines.index("    hosts: [Jardiniers]") - 1] == "    format: micro-enquête", "in the usual order"


def test_a_cleared_field_is_removed() -> None:
    programme = reference_programme()
    after = rewrite(TEXT, SessionWrite("update", "restitution", record(programme, "restitution", description="")))
    assert changed_lines(TEXT, after) == [
        "-    description: Restitution collective des traces, memos, photos et sons récoltés au long des "
        "rencontres de la journée."]


def test_a_field_added_to_the_last_session_of_a_day_goes_above_the_next_days_heading() -> None:
    programme = reference_programme()
    key = "cloture-8-pillards"  # followed by a blank line and "# ---- Sunday 14 November..."
    after = rewrite(TEXT, SessionWrite("update", key, record(programme, key, status="cancelled")))
    assert changed_lines(TEXT, after) == ["+    status: cancelled"]
    assert "    kind: plenary\n    status: cancelled\n\n  # ---- Sunday 14 November" in after


def test_a_removed_session_leaves_the_comments_around_it() -> None:
    after = rewrite(TEXT, SessionWrite("delete", "cloture-8-pillards"), SessionWrite("delete", "accueil-meteo"))
    removed = changed_lines(TEXT, after)
    assert all(line.startswith("-") for line in removed) and len(removed) == 14
    assert "# ---- Friday 12 November" in after and "# ---- Sunday 14 November" in after
    assert set(parse_programme_text(after, "p.yaml").sessions) == set(reference_programme().sessions) - {
        "cloture-8-pillards", "accueil-meteo"}


def test_a_new_session_is_appended_in_the_files_style() -> None:
    programme = reference_programme()
    new = record(programme, "atelier-culture-juridique", title="Atelier : la suite", hosts=["Ann", "Bob"],
                 start="2021-11-14T15:00:00+01:00", end="2021-11-14T16:00:00+01:00")
    after = rewrite(TEXT, SessionWrite("create", "atelier-suite", new))
    assert changed_lines(TEXT, after) == [
        "+  - id: atelier-suite",
        "+    title: 'Atelier : la suite'",
        "+    start: 2021-11-14T15:00",
        "+    end: 2021-11-14T16:00",
        "+    venue: huit-pillards",
        "+    track: Rencontre 14",
        "+    format: atelier",
        "+    kind: workshop",
        "+    hosts: [Ann, Bob]",
    ]
    assert parse_programme_text(after, "p.yaml").sessions["atelier-suite"].to_record() == {**new, "id": "atelier-suite"}


def test_a_layout_the_round_trip_would_change_is_kept_around_the_edit() -> None:
    text = (
        "event: {id: ev, title: Ev, timezone: Europe/Paris}\n"
        "venues:\n"
        "    -   id: salle\n"
        "        name: Salle     # odd, but theirs\n"
        "sessions:\n"
        "- id: a\n"
        "  title: A\n"
        "  start: 2021-11-13 09:00:00\n"
        "  end: 2021-11-13T10:00:00+01:00\n"
        "  venue: salle\n"
    )
    programme = parse_programme_text(text, "p.yaml")
    after = rewrite(text, SessionWrite("update", "a", record(programme, "a", start="2021-11-13T09:30:00+01:00",
                                                             end="2021-11-13T10:30:00+01:00")))
    assert changed_lines(text, after) == ["-  start: 2021-11-13 09:00:00", "-  end: 2021-11-13T10:00:00+01:00",
                                          "+  start: 2021-11-13 09:30:00", "+  end: 2021-11-13T10:30:00+01:00"]


def test_the_hour_a_clock_change_repeats_is_written_with_its_offset() -> None:
    text = ("event: {id: ev, title: Ev, timezone: Europe/Paris}\nsessions:\n"
            "  - id: nuit\n    title: Nuit\n    start: 2021-10-31T01:30\n    end: 2021-10-31T04:00\n")
    programme = parse_programme_text(text, "p.yaml")
    after = rewrite(text, SessionWrite("update", "nuit", record(programme, "nuit", start="2021-10-31T02:30:00+01:00")))
    assert changed_lines(text, after) == ["-    start: 2021-10-31T01:30", "+    start: 2021-10-31T02:30+01:00"]


def test_line_endings_and_byte_order_mark_are_kept() -> None:
    text = "\ufeff" + TEXT.replace("\n", "\r\n")
    programme = reference_programme()
    after = rewrite(text, SessionWrite("update", "restitution", record(programme, "restitution", title="Restitution")))
    assert after.startswith("\ufeff# Programme") and after.count("\r\n") == text.count("\r\n")
    assert "\n" not in after.replace("\r\n", "")


def test_nothing_to_change_is_no_new_text() -> None:
    programme = reference_programme()
    result = rewrite_programme(TEXT, [SessionWrite("update", "restitution", record(programme, "restitution"))])
    assert result.text is None and result.failed == {}


def test_a_value_that_would_not_read_back_is_left_out_and_the_rest_written() -> None:
    programme = reference_programme()
    result = rewrite_programme(TEXT, [
        SessionWrite("update", "restitution", record(programme, "restitution", title="  espaces autour  ")),
        SessionWrite("update", "accueil-cafe", record(programme, "accueil-cafe", title="Café")),
    ], "programme.yaml")
    assert result.failed == {"restitution": NOT_WRITTEN}
    assert result.text is not None
    assert changed_lines(TEXT, result.text) == ['-    title: "Accueil café : les grandes tables"',
                                                '+    title: "Café"']


def test_a_json_schedule_is_not_written() -> None:
    result = rewrite_programme("{}", [SessionWrite("delete", "a")], "schedule.json")
    assert result.text is None and result.failed == {"a": NOT_YAML}


TITLES = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=40)
SMALL = ("event: {id: ev, title: Ev, timezone: Europe/Paris}\nvenues:\n  - {id: salle, name: Salle}\n"
         "sessions:\n  - id: a  # the only one\n    title: Atelier\n    start: 2021-11-13T09:00\n"
         "    end: 2021-11-13T10:00\n    hosts: [Ann]\n")


@settings(max_examples=200, deadline=None)
@given(title=TITLES.map(str.strip).filter(bool), host=TITLES.map(str.strip).filter(bool))
def test_any_title_and_host_are_written_and_read_back_exactly(title: str, host: str) -> None:
    programme = parse_programme_text(SMALL, "p.yaml")
    wanted = record(programme, "a", title=title, hosts=[host, "Bob"])
    result = rewrite_programme(SMALL, [SessionWrite("update", "a", wanted)], "programme.yaml")
    assert result.failed == {}
    assert parse_programme_text(result.text or SMALL, "p.yaml").sessions["a"].to_record() == wanted
