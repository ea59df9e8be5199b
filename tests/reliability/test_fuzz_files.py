"""Fuzzing the parsers of what people write: the programme file (YAML, frab/pretalx JSON), the
pad's text, Framadate's CSV export and the calendar events read back from CalDAV.

Each parser either gives a result or raises the hub's own error for bad input (the one the
caller turns into a clear message: ``InputError`` with file and line, ``PermanentError`` for a
poll, ``ValueError`` for an event, which the CalDAV connector reports as unreadable). Anything
else (a ``KeyError``, ``TypeError``, ``RecursionError``, a YAML library error leaking...) would
crash ``hub sync`` or stop a connector on input it should have refused, so it fails the test.

``HUB_LONG_TESTS=1`` draws 10,000 examples per parser; the fixed sample runs in CI.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connectors.etherpad.padtext import PadReader, render_document, session_projection
from connectors.framadate.results import parse_csv
from connectors.vevent import read_event, render_event
from sync.errors import InputError, PermanentError
from sync.model import Programme
from sync.programme_reader import parse_frab_json, parse_programme_bytes, parse_programme_yaml
from tests.conftest import examples
from tests.reliability.fuzzing import damaged_lines, made_of, shaken

REFERENCE = Path(__file__).resolve().parents[2] / "config" / "examples" / "programme.yaml"
REFERENCE_TEXT = REFERENCE.read_text(encoding="utf-8")
PROGRAMME = parse_programme_yaml(REFERENCE_TEXT, "programme.yaml")
PARIS = ZoneInfo("Europe/Paris")


def programme_or_input_error(text: str, file: str = "programme.yaml") -> Programme | None:
    try:
        return parse_programme_yaml(text, file)
    except InputError as error:
        assert error.problems, "an InputError says what is wrong"
        assert all(p.file == file for p in error.problems), "every problem names the file"
        return None


# programme YAML ----------------------------------------------------------------------------

YAML_FRAGMENTS = [
    "event:", "sessions:", "venues:", "days:", "  - id: x", "    start: 2021-11-13T14:00",
    "    end: 2021-11-13T13:00", "    start: 2021-13-45T99:99", "    start: 2021-11-13", "    venue: nulle-part",
    "    capacity: -3", "    capacity: 1e400", "    hosts: {a: b}", "    hosts: [[a]]", "    links: 3",
    "    status: maybe", "  timezone: Mars/Olympus", "  timezone: 42", "  rules: [1, 2]", "- date: 2021-02-30",
    "- date: [1]", "x-anchors: &a {id: a}", "  <<: *a", "<<: [*a, *a]", "  - *a", "? [a, b]\n: c", "{[1]: 2}",
    "!!python/object/apply:os.system ['true']", "!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 2021-11-13",
    "!!float .nan", "!!int 0x1F", "key: !!str", "&b [*b]", "*nope", "|", ">-", "---", "...", "%YAML 1.1",
    "%TAG ! tag:x,2000:", "\t", "'unclosed", '"\\u00"', "~", "null:", "true: 1", "1: one", "2021-11-13: day",
    "[", "]", "{", "}", ": :", "- - -", "  description: |\n    <script>alert(1)</script>", "id: '   '",
]


@settings(max_examples=examples(300))
@given(damaged_lines(REFERENCE_TEXT, YAML_FRAGMENTS))
@example("event: &e {id: a, title: t}\nsessions: [*e, *e]\n")
@example("sessions: []\nevent:\n  id: a\n  title: t\n  rules: [1, 2]\n")
@example("event: {id: a, title: t}\ndays: 3\nvenues: 4\nsessions: []\n")
@example("event: {id: a, title: t}\ndays: [{date: 2021-13-45}]\nsessions: []\n")
@example("event: {id: a, title: t}\n[1, 2]: x\nsessions: []\n")
@example("event: {id: a, title: t, timezone: 42}\nsessions: []\n")
@example("!!python/object/apply:os.system ['true']\n")
@example("a: !!timestamp 2021-99-99\n")
@example("a: " + "[" * 5000 + "]" * 5000 + "\n")
def test_programme_yaml(text: str) -> None:
    programme_or_input_error(text)


REFERENCE_DATA = yaml.safe_load(REFERENCE_TEXT)
REFERENCE_DATA.update(sessions=REFERENCE_DATA["sessions"][:4], venues=REFERENCE_DATA["venues"][:4],
                      days=REFERENCE_DATA["days"][:2])
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """The reference programme as data, shaken (wrong types, missing and extra keys), dumped."""
    return yaml.dump(draw(shaken(REFERENCE_DATA)), Dumper=_Dumper, allow_unicode=True)


@settings(max_examples=examples(100))
@given(yaml_documents())
def test_programme_yaml_shaken(text: str) -> None:
    programme_or_input_error(text)


@settings(max_examples=examples(200))
@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
@example(b"\xff\xfe" + "event:".encode("utf-16-le"))
@example(b"\xef\xbb\xbf\xef\xbb\xbfevent: {}")
def test_programme_bytes(data: bytes) -> None:
    with contextlib.suppress(InputError):
        parse_programme_bytes(data, "programme.yaml")


# frab / pretalx JSON -----------------------------------------------------------------------

FRAB: dict[str, Any] = {
    "schedule": {
        "version": "1.0",
        "conference": {
            "acronym": "ac21",
            "title": "Assemblée",
            "time_zone_name": "Europe/Paris",
            "url": "https://example.org/",
            "days": [
                {
                    "index": 1,
                    "date": "2021-11-13",
                    "rooms": {
                        "Salle A": [
                            {
                                "guid": "0b5c3b1e-0000-4000-8000-000000000001",
                                "date": "2021-11-13T14:00:00+01:00",
                                "duration": "01:30",
                                "title": "Culture juridique",
                                "slug": "culture-juridique",
                                "track": "Rencontre",
                                "type": "workshop",
                                "abstract": "Un atelier",
                                "persons": [{"public_name": "Ann"}, {"name": "Bob"}],
                                "links": [{"url": "https://example.org/a"}],
                            }
                        ]
                    },
                }
            ],
        },
    }
}


@settings(max_examples=examples(150))
@given(shaken(FRAB).map(json.dumps) | st.text(max_size=50))
@example(json.dumps({"schedule": {"conference": []}}))
@example(json.dumps({"schedule": {"conference": {"days": [{}]}}}))
@example(json.dumps({"schedule": {"conference": {"days": [{"date": "2021-02-30"}]}}}))
@example(json.dumps({"schedule": {"conference": {"days": 3}}}))
@example(json.dumps({"schedule": {"conference": {"time_zone_name": 5}}}))
@example(json.dumps({"schedule": {"conference": {"days": [{"date": "2021-11-13", "rooms": []}]}}}))
@example(json.dumps({"schedule": {"conference": {"days": [{"date": "2021-11-13", "rooms": {"A": [
    {"date": "2021-11-13T14:00", "title": "t", "duration": "1:99999999999"}]}}]}}}))
@example(json.dumps({"schedule": {"conference": {"days": [{"date": "2021-11-13", "rooms": {"A": [
    {"date": "2021-11-13T14:00", "title": "t", "persons": ["Ann"]}]}}]}}}))
@example("[" * 100_000 + "]" * 100_000)
def test_frab_json(text: str) -> None:
    try:
        parse_frab_json(text, "schedule.json")
    except InputError as error:
        assert all(p.file == "schedule.json" for p in error.problems)


# pad text ----------------------------------------------------------------------------------


def _pad_text() -> str:
    projections = {key: session_projection(s, PROGRAMME, "fr") for key, s in list(PROGRAMME.sessions.items())[:6]}
    themes = {day.date: day.theme for day in PROGRAMME.days}
    return render_document(title=PROGRAMME.event.title, subtitle="", venues=PROGRAMME.venues.values(),
                           themes=themes, sessions=projections, lang="fr", tz=PARIS, create_sessions=True)


PAD_TEXT = _pad_text()
PAD_FRAGMENTS = [
    "== samedi 13 novembre 2021 : Initier ==", "== 2021-11-13 ==", "== 9999-12-31 ==", "== 0001-01-01 ==",
    "== samedi 31 février ==", "== Notes ==", "# 13 nov", "## Saturday 13th November", "== 2021-02-30 ==",
    "14:00-16:30 Culture juridique [#atelier-culture-juridique]", "ANNULÉ 9h-10h Clôture", "À CONFIRMER 9h30 à 10h x",
    "23:59-00:00 (+999) Nuit", "23:00-01:00 (+1) Nuit", "25:00-26:00 Tard", "14h30 to 15h Talk", "(+2) titre",
    "14:00-16:30 [#]", "14:00-16:30 x [#a] [#a]", "14:00-16:30 x [#dup]", "[#dup]", "9.30-10.00 x",
    "    Lieu : Les 8 Pillards", "    Lieu : ?", "    Lieu : Nulle part", "    Animation : A, B; C",
    "    Avec : ", "    Hosts: Ann", "    <script>alert(1)</script>", "", "   ", "\t", "\r", "\r\n", "\u2028",
    "    Salle : Massalia Vox", "tentative 1:00-2:00 a", "cancelled-99:99-00:00",
]


@settings(max_examples=examples(300))
@given(damaged_lines(PAD_TEXT, PAD_FRAGMENTS) | made_of(PAD_FRAGMENTS))
@example("== 9999-12-31 ==\n\n23:00-01:00 (+1) Nuit [#nuit]\n")  # OverflowError past the last day
@example("== 9999-12-31 ==\n\n23:00-01:00 (+999) Nuit\n")
@example("== 0001-01-01 ==\n\n00:00-01:00 Aube [#aube]\n")
def test_pad_text(text: str) -> None:
    reader = PadReader(tz=PARIS, venues=PROGRAMME.venues, lang="fr", default_year=2021)
    parsed = reader.parse(text)
    for line, _message in parsed.problems:
        assert 1 <= line <= max(1, len(parsed.lines)), "a problem names a line of the pad"
    for block in parsed.blocks:
        for name in ("start", "end"):
            if name in block.fields:
                datetime.fromisoformat(block.fields[name])  # what the engine reads back


# Framadate CSV -----------------------------------------------------------------------------

CSV_CELLS = ["Oui", "Non", "Si nécessaire", "Inconnu", "Yes", "No", "Under reserve", "Unknown", "10/5/21",
             "05/10/2021", "2021-13-45", "31/02/2021", "14:00", "'=1+1", "'-", "'", "=cmd", "", " ", '"', "\ufeff"]


@st.composite
def framadate_exports(draw: st.DrawFn) -> str:
    """An export as exportcsv.php writes it (every cell quoted, a comma at each line's end),
    with cells and line lengths of any kind."""
    cell = st.sampled_from(CSV_CELLS) | st.text(max_size=8)
    rows = draw(st.lists(st.lists(cell, max_size=6), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for row in rows:
        writer.writerow([*row, ""])
    return out.getvalue()


@settings(max_examples=examples(300))
@given(framadate_exports() | st.text(max_size=80), st.booleans(), st.sampled_from(["fr", "en", "de"]))
@example('"a\nb', True, "fr")
@example("\r0", False, "fr")  # a lone CR: csv.Error "new-line character seen in unquoted field"
@example('"' + "x" * 200_000 + '"', False, "fr")  # over the csv module's field limit
@example("\x00", False, "en")
def test_framadate_csv(text: str, dates: bool, lang: str) -> None:
    try:
        results = parse_csv(text, dates=dates, lang=lang, poll="p", said="fr")
    except PermanentError:
        return
    results.tallies()


# calendar events (CalDAV) ------------------------------------------------------------------


def _event_text() -> str:
    """A session's event as the calendar connectors write it (the default projection)."""
    session = next(iter(PROGRAMME.sessions.values()))
    venue = PROGRAMME.venue_of(session)
    projection = {**session.to_record(), "id": session.id, "venue_name": venue.name if venue else None,
                  "venue_address": venue.address if venue else None}
    projection["hosts"] = ["Ann, Bob", "Cé"]
    projection["capacity"] = 40
    return render_event(projection, session.id, PROGRAMME, 1).replace("\r\n", "\n")


EVENT_TEXT = _event_text()
ICS_FRAGMENTS = [
    "DTSTART:20211313T250000", "DTSTART;VALUE=DATE:20211113", "DTSTART;TZID=Nowhere/Zone:20211113T140000",
    "DTSTART:", "DTEND:garbage", "DURATION:P1D", "DURATION:garbage", "DURATION:-PT1H", "X-HUB-CAPACITY:-5",
    "X-HUB-CAPACITY:99999999999999999999999", "X-HUB-CAPACITY:٣", "BEGIN:VEVENT", "END:VEVENT", "END:VCALENDAR",
    "BEGIN:VCALENDAR", "RECURRENCE-ID:20211113T140000", "LOCATION:Massalia Vox\\, x", "LOCATION;X=\"a:b\":y",
    "X-HUB-ID:", "X-HUB-ID:a\\,b", "X-HUB-VENUE:nulle-part", "SUMMARY:<b>", "STATUS:WHATEVER", "STATUS;X=1:",
    "DESCRIPTION:\\", " folded continuation", "BEGIN:VALARM", "TRIGGER:-PT10M", "DTSTART;TZID=Europe/Paris:1",
    "DTEND;VALUE=DATE:20211114", "EXDATE:x", "RRULE:FREQ=DAILY;COUNT=x", "X-HUB-HOST;VALUE=BINARY:x", ":", ";",
]


@settings(max_examples=examples(300))
@given(damaged_lines(EVENT_TEXT, ICS_FRAGMENTS))
@example(EVENT_TEXT.replace("TZID:Europe/Paris", "TZID:Europe/Paris\nTZID:Europe/Paris"))  # AttributeError
@example(EVENT_TEXT.replace("END:VCALENDAR", ""))
def test_calendar_event(text: str) -> None:
    try:
        read = read_event(text, PROGRAMME)
    except ValueError:
        return  # read_event's "cannot read this event": the CalDAV connector reports it
    if read.key is not None:
        datetime.fromisoformat(read.fields["start"])
