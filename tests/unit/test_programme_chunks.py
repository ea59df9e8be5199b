"""Reading a programme item by item (:mod:`sync.programme_chunks`) gives exactly what reading it
whole gives, or declines (and the whole reading decides): on generated programmes written in
many YAML styles, after random edits, with the cache of the previous reading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.errors import InputError
from sync.model import Programme, Session, content_hash
from sync.programme_chunks import Chunked, read_chunked, split
from sync.programme_reader import parse_programme_bytes
from sync.programme_writer import SessionWrite, rewrite_programme

REFERENCE = Path(__file__).resolve().parents[2] / "config" / "examples" / "programme.yaml"
FILE = "programme.yaml"


def version(session: Session) -> str:
    return content_hash(session.to_record())


def full(data: bytes) -> Programme | None:
    try:
        return parse_programme_bytes(data, FILE)
    except InputError:
        return None


def assert_same(data: bytes, cache: dict[str, object]) -> Chunked | None:
    """The chunked reading of ``data`` (with ``cache``) is the whole reading, or None; None
    whenever the whole reading refuses the file."""
    whole = full(data)
    chunked = read_chunked(data, FILE, cache, version)
    if whole is None:
        assert chunked is None, "a file the whole reading refuses is never read in chunks"
        return None
    if chunked is None:
        return None
    assert chunked.head.programme.meta_record() == whole.meta_record()
    assert list(chunked.versions) == list(whole.sessions), "same sessions, in file order"
    for key, session in whole.sessions.items():
        assert chunked.versions[key] == version(session)
        assert chunked.session(key) == session
    return chunked


# Generated programmes -------------------------------------------------------------------------
HEAD = """# a programme
event:
  id: fete
  title: "Fête des communs"   # the title
  timezone: {tz}
days:
  - date: 2021-11-12
    theme: Ouverture
venues:
  - id: salle-a
    name: Salle A
  - id: salle-b
    name: 'Salle B'
"""

TITLES = st.sampled_from([
    "Atelier {n}", "'Quoted {n}'", '"Double {n} \\u00e9"', '"Multi\n    line {n}"', "Plain: no {n}",
    "'It''s {n}'", "Arts & crafts {n}", "{n}", "yes", "Café #{n}",
])
DESCRIPTIONS = st.sampled_from([
    "", "  description: une ligne\n", "  description: |\n    ligne un\n\n    - pas un élément\n",
    "  description: >-\n    plié\n    encore\n", "  description: plain\n    continued here\n",
    "  description: \"quoted\n\n    after a blank\"\n", "  # a comment inside\n",
])
HOSTS = st.sampled_from([
    "", "  hosts: [Ana, Bo]\n", "  hosts:\n  - Ana\n  - Bo\n", "  hosts:\n    - Ana\n", "  hosts: &h [Ana]\n",
    "  hosts: *h\n", "  links: ['https://example.org/{n}']\n",
])
TAILS = st.sampled_from(["", "\n", "# between items\n", "  # indented comment\n", "\n\n# heading\n"])


@st.composite
def programmes(draw: st.DrawFn) -> str:
    indent = draw(st.sampled_from(["", "  "]))
    count = draw(st.integers(1, 8))
    tz = draw(st.sampled_from(["Europe/Paris", "America/Montreal"]))
    parts = [HEAD.format(tz=tz), "sessions:" + draw(st.sampled_from(["", "  # the list"])) + "\n"]
    for n in range(count):
        lines = [f"- id: s-{n}\n", f"  title: {draw(TITLES).format(n=n)}\n",
                 f"  start: 2021-11-12T{10 + n:02d}:00\n", f"  end: 2021-11-12T{10 + n:02d}:45\n",
                 f"  venue: {draw(st.sampled_from(['salle-a', 'salle-b']))}\n",
                 draw(DESCRIPTIONS), draw(HOSTS).format(n=n)]
        body = "".join(lines)
        parts.append("".join(indent + line if line.strip() else line for line in body.splitlines(True)))
        parts.append(draw(TAILS))
    if draw(st.booleans()):
        parts.append("x-notes: kept\n")
    return "".join(parts)


EDITS = st.sampled_from([
    ("replace", "Atelier", "Chantier"), ("replace", "T10:00", "T09:00"), ("replace", "salle-a", "salle-c"),
    ("replace", "- id: s-1\n", "- id: s-0\n"), ("replace", "\n- id: s-2", "\n---\n- id: s-2"),
    ("replace", "  title:", "\ttitle:"), ("replace", "Europe/Paris", "Europe/Berlin"),
    ("replace", "id: salle-b", "id: salle-z"), ("replace", "  venue:", " venue:"), ("replace", "\n", "\r\n"),
    ("replace", "\n- id: s-3", "\n  - id: s-3"), ("replace", "\n  - id: s-3", "\n- id: s-3"),
    ("replace", "x-notes", "notes"), ("replace", "hosts: *h", "hosts: [Ana]"), ("replace", "# between items", "%x"),
    ("replace", "  description: |", "  description: |\nsessions: []"), ("replace", "ligne un", "ligne\rdeux"),
    ("replace", "Bo]", "Bo"), ("replace", '"Double', "Double"), ("append", "venues: []\n", ""),
    ("append", "- id: late\n  title: Late\n  start: 2021-11-12T20:00\n  end: 2021-11-12T21:00\n", ""),
    ("replace", "sessions:", "sessions: &all"), ("replace", "\n  # indented comment", "\n# moved comment"),
])


def edit(text: str, change: tuple[str, str, str], at: int) -> str:
    kind, old, new = change
    if kind == "append":
        return text + old
    spots = [i for i in range(len(text)) if text.startswith(old, i)]
    if not spots:
        return text
    i = spots[at % len(spots)]
    return text[:i] + new + text[i + len(old):]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programmes(), st.lists(st.tuples(EDITS, st.integers(0, 20)), min_size=1, max_size=4))
def test_a_chunked_reading_is_the_whole_reading_after_any_edits(
    text: str, edits: list[tuple[tuple[str, str, str], int]]
) -> None:
    data = text.encode()
    first = assert_same(data, {})
    cache = first.cache() if first is not None else {}
    for change, at in edits:
        text = edit(text, change, at)
        assert_same(text.encode(), cache)  # with the cache of the first reading
        assert_same(text.encode(), {})     # and without


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_files_the_hub_writes_back_read_the_same_in_chunks(data: st.DataObject) -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    programme = parse_programme_bytes(text.encode(), FILE)
    cache = read_chunked(text.encode(), FILE, {}, version)
    assert cache is not None
    keys = list(programme.sessions)
    writes = []
    for key in data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4, unique=True)):
        record = programme.sessions[key].to_record()
        title = data.draw(st.sampled_from(["Nouveau titre", "yes", "Titre: avec deux-points", "- tiret",
                                           "Multi\nligne", "# dièse", "'quoted'"]))
        action = data.draw(st.sampled_from(["update", "delete"]))
        writes.append(SessionWrite(action, key, {**record, "title": title} if action == "update" else None))
    if data.draw(st.booleans()):
        record = {**programme.sessions[keys[0]].to_record(), "id": "nouvelle-seance", "title": "Ajoutée"}
        writes.append(SessionWrite("create", "nouvelle-seance", record))
    rewritten = rewrite_programme(text, writes, FILE).text
    assert rewritten is not None
    assert assert_same(rewritten.encode(), cache.cache()) is not None, "the hub's own files are read in chunks"


def test_one_edited_session_of_the_reference_programme_is_the_only_one_parsed() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    first = read_chunked(text.encode(), FILE, {}, version)
    assert first is not None and len(first.parsed) == len(first.versions) > 20
    edited = text.replace("title: Accueil et météo", "title: Accueil, café et météo", 1)
    assert edited != text
    cache = json.loads(json.dumps(first.cache()))
    again = read_chunked(edited.encode(), FILE, cache, version)
    assert again is not None and list(again.parsed) == ["accueil-meteo"] and again.changed
    assert assert_same(edited.encode(), cache) is not None


def test_a_damaged_or_foreign_cache_is_not_used() -> None:
    data = REFERENCE.read_bytes()
    first = read_chunked(data, FILE, {}, version)
    assert first is not None
    cache = first.cache()
    key, _version, session_id = str(cache["entries"]).splitlines()[0].split(" ")
    damaged = {**cache, "entries": str(cache["entries"]).replace(f"{key} {_version}", f"{key} {'0' * 64}", 1)}
    for bad in (damaged, {**cache, "format": 0}, {**cache, "context": "other"}, {"entries": 3}):
        reading = read_chunked(data, FILE, bad, version)
        assert reading is not None and len(reading.parsed) == len(reading.versions), "every item parsed again"
        assert_same(data, bad)
    other = read_chunked(data, FILE, cache, version, salt="other fields")
    assert other is not None and len(other.parsed) == len(other.versions)
    assert session_id in other.versions


def test_what_the_cut_cannot_follow_is_read_whole() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    for unusual in ("%YAML 1.1\n---\n" + text, text.replace("\n", "\r"),
                    text.replace("sessions:\n", "sessions: !!seq\n"), text + "...\n",
                    text + "---\nevent: {}\n", text.replace("\n  title:", "\n\ttitle:", 1)):
        assert split(unusual.encode()) is None
        assert_same(unusual.encode(), {})
    assert split(text.encode()) is not None


def test_a_cache_kept_by_another_version_of_the_reader_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bound made stricter in a new version must hold for the sessions the old one kept."""
    import sync.programme_chunks as chunks

    data = REFERENCE.read_bytes()
    first = read_chunked(data, FILE, {}, version)
    assert first is not None
    same = read_chunked(data, FILE, first.cache(), version)
    assert same is not None and same.parsed == {}
    monkeypatch.setattr(chunks, "reader_fingerprint", lambda: "another version")
    again = read_chunked(data, FILE, first.cache(), version)
    assert again is not None and len(again.parsed) == len(again.versions)
