"""Writing programme files: the whole programme in the programme file's format (``hub export``),
and the hub's values written into an organiser's own file (the programme file's ``write_back``).

Both produce YAML that :mod:`sync.programme_reader` reads back to exactly the values written;
whatever would not (a title YAML would take for a number or a yes, say) is quoted, and an edit
that still would not read back is left out and reported, never written half right.

Writing into an organiser's file edits the document in place (ruamel.yaml's round trip): only
the fields that changed, of the sessions that changed, are touched; a new session is appended to
``sessions:``, a removed one is taken out, and the comments, the key order, the quoting and the
layout of everything else stay as they were. Comments that stood after a removed or extended
session (a heading for the next day, say) are kept where they stood.

Pure functions over text: no I/O.
"""

from __future__ import annotations

import bisect
import io
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from difflib import SequenceMatcher
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.timestamp import TimeStamp
from ruamel.yaml.tokens import CommentToken

from sync.errors import InputError
from sync.model import SESSION_FIELDS, Programme
from sync.programme_reader import parse_programme_text

__all__ = ["NOT_WRITTEN", "NOT_YAML", "Rewrite", "SessionWrite", "programme_yaml", "rewrite_programme"]

#: Why a write was left out (the connector says it in words): its result would not read back
#: as the session, or the file is not something this module can edit.
NOT_WRITTEN = "not-written"
NOT_YAML = "not-yaml"

#: A session's keys in the order the programme file's format lists them.
KEY_ORDER: tuple[str, ...] = ("id", *SESSION_FIELDS)
_LISTS = ("hosts", "links")
_TIMES = ("start", "end")
_WIDTH = 4096  # never fold a long line the organiser wrote on one line


@dataclass(frozen=True, slots=True)
class SessionWrite:
    """One session the file must hold (``record``: its fields in record form) or lose (delete)."""

    action: Literal["create", "update", "delete"]
    key: str
    record: Mapping[str, Any] | None = None


@dataclass
class Rewrite:
    """The file's new text (None when it needs no change), and the writes left out with why
    (:data:`NOT_WRITTEN`, :data:`NOT_YAML`)."""

    text: str | None
    failed: dict[str, str] = field(default_factory=dict)


# the whole programme ----------------------------------------------------------------------
def programme_yaml(programme: Programme) -> str:
    """The programme as a programme file (what ``hub export --format yaml`` prints)."""
    event = programme.event
    root = CommentedMap()
    head = CommentedMap()
    for name, value in event.to_record().items():
        if name in ("id", "title", "timezone", "language") or value:
            head[name] = _plain_data(value)
    root["event"] = head
    days = CommentedSeq()
    for day in programme.days:
        entry = CommentedMap(date=day.date)
        if day.theme:
            entry["theme"] = _text(day.theme, None)
        days.append(entry)
    root["days"] = days
    venues = CommentedSeq()
    for venue in programme.venues.values():
        entry = CommentedMap()
        for name, value in venue.to_record().items():
            if name in ("id", "name") or value:
                entry[name] = _text(value, None)
        venues.append(entry)
    root["venues"] = venues
    sessions = CommentedSeq()
    for session in programme.sorted_sessions():
        sessions.append(_new_session(session.to_record(), programme.tz, flow_lists=True))
    root["sessions"] = sessions
    for name in ("days", "venues", "sessions"):
        if not root[name]:
            root[name].fa.set_flow_style()
    return _dump(root, _Layout(2, 4, 2))


def _plain_data(value: Any) -> Any:
    """Event values (texts, and the rules' nested mappings) as YAML nodes."""
    if isinstance(value, str):
        return _text(value, None)
    if isinstance(value, Mapping):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _plain_data(item)
        return mapping
    if isinstance(value, (list, tuple)):
        return CommentedSeq(_plain_data(item) for item in value)
    return value


# an organiser's file ----------------------------------------------------------------------
def rewrite_programme(text: str, writes: Sequence[SessionWrite], file: str = "<programme>") -> Rewrite:
    """``text`` (a YAML programme file) holding the hub's values for ``writes``.

    ``Rewrite.text`` is None when nothing needs to change. A write whose result would not read
    back as its record is left out (``failed``); the others are still made.
    """
    if file.endswith(".json"):
        return Rewrite(None, {w.key: NOT_YAML for w in writes})
    current = parse_programme_text(text, file)
    bom = text.startswith("\ufeff")
    crlf = "\r\n" in text
    original = text.removeprefix("\ufeff").replace("\r\n", "\n") if bom or crlf else text
    try:
        document = _Document(original, current.tz)
    except RuamelError:
        return Rewrite(None, {w.key: NOT_YAML for w in writes})
    failed: dict[str, str] = {}
    kept = list(writes)
    result = _attempt(document, kept, current, file)
    if isinstance(result, set):
        # Some writes do not read back (or the whole result does not): leave those out.
        if result:
            failed.update(dict.fromkeys(result, NOT_WRITTEN))
            kept = [w for w in kept if w.key not in result]
            result = _attempt(document, kept, current, file)
        if isinstance(result, set):
            kept, result = _one_by_one(document, kept, current, file, failed)
    if result == original:
        return Rewrite(None, failed)
    if crlf:
        result = result.replace("\n", "\r\n")
    return Rewrite(("\ufeff" if bom else "") + result, failed)


def _attempt(document: _Document, writes: Sequence[SessionWrite], current: Programme, file: str) -> str | set[str]:
    """The new text when every write reads back; else the keys that do not (empty: unreadable)."""
    if not writes:
        return document.text
    candidates = document.render(writes, current)
    wrong: set[str] = set()
    for candidate in candidates:
        problems = _mismatches(candidate, writes, current, file)
        if problems is None:
            continue
        if not problems:
            return candidate
        wrong = wrong or problems
    return wrong


def _one_by_one(
    document: _Document, writes: Sequence[SessionWrite], current: Programme, file: str, failed: dict[str, str]
) -> tuple[list[SessionWrite], str]:
    """Add the writes one at a time, keeping each one whose result still reads back."""
    kept: list[SessionWrite] = []
    text = document.text
    for write in writes:
        result = _attempt(document, [*kept, write], current, file)
        if isinstance(result, str):
            kept.append(write)
            text = result
        else:
            failed[write.key] = NOT_WRITTEN
    return kept, text


def _mismatches(text: str, writes: Sequence[SessionWrite], current: Programme, file: str) -> set[str] | None:
    """Keys whose session in ``text`` is not what was meant; None when ``text`` is unreadable or
    anything but these sessions changed."""
    try:
        parsed = parse_programme_text(text, file)
    except InputError:
        return None
    if parsed.meta_record() != current.meta_record():
        return None
    expected: dict[str, dict[str, Any] | None] = {k: s.to_record() for k, s in current.sessions.items()}
    for write in writes:
        expected[write.key] = None if write.action == "delete" else _record(write.key, write.record or {})
    wrong = set()
    for key in set(expected) | set(parsed.sessions):
        want = expected.get(key)
        got = parsed.sessions[key].to_record() if key in parsed.sessions else None
        if want != got:
            wrong.add(key)
    written = {w.key for w in writes}
    return wrong if wrong <= written else None


def _record(key: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"id": key}
    defaults: dict[str, Any] = {"hosts": [], "links": [], "description": "", "status": "scheduled"}
    for name in SESSION_FIELDS:
        value = fields.get(name, defaults.get(name))
        record[name] = list(value) if name in _LISTS else value
    return record


# the document -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Layout:
    """Indentation of a file: nested mappings, block sequences, and the dash within them."""

    mapping: int
    sequence: int
    offset: int


class _Document:
    """An organiser's file, loaded for a round trip: edits go into its tree, and the new text
    keeps every line the edits did not touch."""

    def __init__(self, text: str, tz: ZoneInfo) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.tz = tz
        self.layout = _guess_layout(text)
        self._fresh: Any = self._load()  # refuses early what ruamel cannot read
        self.before = _dump(self._fresh, self.layout)

    def _load(self) -> Any:
        return _yaml(self.layout).load(self.text)

    def render(self, writes: Sequence[SessionWrite], current: Programme) -> list[str]:
        """The new text: the original lines where nothing changed (when the round trip cannot
        reproduce the file exactly), and the plain round trip as a second choice."""
        root, self._fresh = (self._fresh, None) if self._fresh is not None else (self._load(), None)
        sessions = root.get("sessions")
        if not isinstance(sessions, CommentedSeq):
            sessions = CommentedSeq()
            root["sessions"] = sessions
        flow = _flow_lists(sessions)
        for write in writes:
            index = _find(sessions, write.key)
            known = current.sessions.get(write.key)
            if write.action == "delete":
                if index is not None:
                    _remove(sessions, index)
            elif index is None or known is None:
                _append(sessions, _new_session(_record(write.key, write.record or {}), self.tz, flow_lists=flow))
            else:
                _update(sessions[index], known.to_record(), write.record or {}, self.tz, flow, self.lines)
        if not sessions:
            sessions.fa.set_flow_style()
        after = _dump(root, self.layout)
        merged = _keep_lines(self.text, self.before, after)
        return [merged, after] if merged != after else [after]


def _yaml(layout: _Layout) -> YAML:
    handler = YAML(typ="rt")
    handler.preserve_quotes = True
    handler.allow_duplicate_keys = True
    handler.width = _WIDTH
    handler.indent(mapping=layout.mapping, sequence=layout.sequence, offset=layout.offset)
    return handler


def _dump(root: Any, layout: _Layout) -> str:
    out = io.StringIO()
    _yaml(layout).dump(root, out)
    return out.getvalue()


def _guess_layout(text: str) -> _Layout:
    """The file's indentation: of its first nested mapping, and of the block sequence under
    ``sessions:`` (where edits go), else the first one: how far its dash and its items stand
    from their key."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if re.match(r"sessions\s*:", line)), 0)
    mapping, _, _ = _indents(lines)
    _, sequence, offset = _indents(lines[start:])
    if sequence is None:
        _, sequence, offset = _indents(lines)
    mapping = mapping or 2
    offset = offset if offset is not None else 2
    return _Layout(mapping, max(sequence or offset + 2, offset + 2), offset)


def _indents(lines: Sequence[str]) -> tuple[int | None, int | None, int | None]:
    """(nested mapping indent, sequence indent, dash offset) as the first of each shows them."""
    mapping: int | None = None
    sequence: int | None = None
    offset: int | None = None
    key_indent: int | None = None
    for line in lines:
        content = line.split(" #", 1)[0].rstrip()
        stripped = content.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(content) - len(stripped)
        if key_indent is not None:
            if stripped.startswith("- ") and sequence is None and indent >= key_indent:
                offset = indent - key_indent
                item = stripped[1:]
                sequence = offset + 1 + len(item) - len(item.lstrip(" "))
            elif not stripped.startswith("-") and mapping is None and indent > key_indent:
                mapping = indent - key_indent
        key_indent = indent if stripped.endswith(":") and not stripped.startswith("- ") else None
        if mapping is not None and sequence is not None:
            break
    return mapping, sequence, offset


def _keep_lines(original: str, before: str, after: str) -> str:
    """``after``'s changes (from ``before``, the round trip of ``original``) made to ``original``
    itself, so lines the round trip would have laid out differently stay as the organiser wrote
    them. ``after`` itself when a change falls where the two layouts differ."""
    if before == original:
        return after
    source, base, target = (s.splitlines(keepends=True) for s in (original, before, after))
    where: dict[int, int] = {}
    for i, j, n in _matches(base, source):
        where.update((i + k, j + k) for k in range(n))
    out: list[str] = []
    position = 0
    for i1, i2, j1, j2 in _hunks(base, target):
        if i1 < i2:
            if any(k not in where for k in range(i1, i2)) or where[i2 - 1] - where[i1] != i2 - 1 - i1:
                return after
            start, end = where[i1], where[i2 - 1] + 1
        else:
            above = where.get(i1 - 1) if i1 > 0 else -1
            below = where.get(i1) if i1 < len(base) else len(source)
            if above is None or below is None or below != above + 1:
                return after
            start = end = below
        if start < position:
            return after
        out += source[position:start]
        out += target[j1:j2]
        position = end
    out += source[position:]
    return "".join(out)


def _hunks(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int, int]]:
    """The ranges ``a[i1:i2]`` that ``b[j1:j2]`` replaces (a line diff)."""
    hunks = []
    i = j = 0
    for start_a, start_b, n in [*_matches(a, b), (len(a), len(b), 0)]:
        if start_a > i or start_b > j:
            hunks.append((i, start_a, j, start_b))
        i, j = start_a + n, start_b + n
    return hunks


def _matches(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int]]:
    """Matching blocks ``(i, j, n)`` of two line lists, in order (patience diff: lines found once
    in each, such as a session's ``- id:`` line, anchor the alignment; the short stretches
    between anchors are matched line by line). Linear on files that differ here and there."""
    counts_a = Counter(a)
    counts_b = Counter(b)
    unique_b = {line: j for j, line in enumerate(b) if counts_b[line] == 1}
    pairs = [(i, unique_b[line]) for i, line in enumerate(a) if counts_a[line] == 1 and line in unique_b]
    anchors = _increasing(pairs)
    blocks: list[tuple[int, int, int]] = []
    i0 = j0 = 0
    for i, j in [*anchors, (len(a), len(b))]:
        matcher = SequenceMatcher(None, a[i0:i], b[j0:j], autojunk=False)
        blocks += [(i0 + x, j0 + y, n) for x, y, n in matcher.get_matching_blocks() if n]
        if i < len(a):
            blocks.append((i, j, 1))
        i0, j0 = i + 1, j + 1
    merged: list[tuple[int, int, int]] = []
    for i, j, n in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + n)
        else:
            merged.append((i, j, n))
    return merged


def _increasing(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (in order of their first) whose seconds increase too."""
    tails: list[int] = []  # j of the last pair of the best run of each length
    ends: list[int] = []  # index in pairs of that pair
    previous: list[int] = []
    for index, (_i, j) in enumerate(pairs):
        length = bisect.bisect_left(tails, j)
        if length == len(tails):
            tails.append(j)
            ends.append(index)
        else:
            tails[length] = j
            ends[length] = index
        previous.append(ends[length - 1] if length else -1)
    run: list[tuple[int, int]] = []
    index = ends[-1] if ends else -1
    while index >= 0:
        run.append(pairs[index])
        index = previous[index]
    return run[::-1]


# sessions in the tree ---------------------------------------------------------------------
def _find(sessions: CommentedSeq, key: str) -> int | None:
    for index, item in enumerate(sessions):
        if isinstance(item, Mapping) and str(item.get("id", "")).strip() == key:
            return index
    return None


def _flow_lists(sessions: CommentedSeq) -> bool:
    """Whether the file writes hosts and links as ``[a, b]`` (the first such list decides)."""
    for item in sessions:
        if isinstance(item, Mapping):
            for name in _LISTS:
                value = item.get(name)
                if isinstance(value, CommentedSeq) and value:
                    return bool(value.fa.flow_style())
    return True


def _new_session(record: Mapping[str, Any], tz: ZoneInfo, *, flow_lists: bool) -> CommentedMap:
    """A session as the programme file's format writes it: its set fields, in the usual order."""
    mapping = CommentedMap()
    for name in KEY_ORDER:
        value = record.get(name)
        if _empty(name, value) or (name == "status" and value == "scheduled"):
            continue
        mapping[name] = _value(name, value, None, tz, flow_lists)
    return mapping


def _update(
    mapping: CommentedMap, current: Mapping[str, Any], record: Mapping[str, Any], tz: ZoneInfo, flow_lists: bool,
    lines: Sequence[str],
) -> None:
    """Set the fields whose value differs from what the file says (``current``, as read); leave
    every other key alone."""
    tail = _take_tail(mapping)
    for name in SESSION_FIELDS:
        value = list(record.get(name) or []) if name in _LISTS else record.get(name)
        if current.get(name) == value:
            continue
        if _empty(name, value):
            if name in mapping:
                del mapping[name]
            continue
        old = mapping.get(name)
        if name in _TIMES and name in mapping:
            new = _time(str(value), old, tz, _written(lines, mapping, name))
        else:
            new = _value(name, value, old, tz, flow_lists)
        if name in mapping:
            mapping[name] = new
        else:
            mapping.insert(_position(mapping, name), name, new)
    _put_tail(mapping, tail)


def _position(mapping: CommentedMap, name: str) -> int:
    """Where a new key goes: before the first key that comes after it in the usual order."""
    rank = KEY_ORDER.index(name)
    for index, key in enumerate(mapping):
        if key in KEY_ORDER and KEY_ORDER.index(key) > rank:
            return index
    return len(mapping)


def _remove(sessions: CommentedSeq, index: int) -> None:
    """Take a session out; the comments after it stay (they head what follows)."""
    tail = _take_tail(sessions[index])
    del sessions[index]
    if index > 0:
        _put_tail(sessions[index - 1], tail)
    elif tail:
        _lead(sessions, tail)


def _append(sessions: CommentedSeq, mapping: CommentedMap) -> None:
    """A new session goes last; comments that ended the list still end it."""
    tail = _take_tail(sessions[-1]) if sessions else ""
    sessions.append(mapping)
    _put_tail(mapping, tail)


# comments after a node --------------------------------------------------------------------
def _holder(node: Any) -> tuple[list[Any], int] | None:
    """The comment slot holding what follows the last line of ``node`` (ruamel keeps it on the
    last scalar, however deep), as (slots, index)."""
    if isinstance(node, CommentedMap) and len(node):
        key = list(node.keys())[-1]
        value = node[key]
        if isinstance(value, (CommentedMap, CommentedSeq)) and len(value) and not value.fa.flow_style():
            return _holder(value)
        return node.ca.items.setdefault(key, [None, None, None, None]), 2
    if isinstance(node, CommentedSeq) and len(node):
        index = len(node) - 1
        value = node[index]
        if isinstance(value, (CommentedMap, CommentedSeq)) and len(value) and not value.fa.flow_style():
            return _holder(value)
        return node.ca.items.setdefault(index, [None, None, None, None]), 0
    return None


def _take_tail(node: Any) -> str:
    """Remove and return the lines that follow ``node``'s last line (blank lines, comments),
    leaving a comment at the end of that line where it was."""
    found = _holder(node)
    if found is None:
        return ""
    slots, index = found
    token = slots[index]
    if not isinstance(token, CommentToken) or "\n" not in token.value:
        return ""
    line, _, tail = token.value.partition("\n")
    if line.strip():
        token.value = line + "\n"
    else:
        slots[index] = None
    return tail


def _put_tail(node: Any, tail: str) -> None:
    """Put back lines taken by :func:`_take_tail` after ``node``'s (new) last line."""
    if not tail:
        return
    found = _holder(node)
    if found is None:
        return
    slots, index = found
    token = slots[index]
    if isinstance(token, CommentToken):
        token.value = token.value + tail if token.value.endswith("\n") else token.value + "\n" + tail
    else:
        slots[index] = CommentToken("\n" + tail, CommentMark(0))


def _lead(sessions: CommentedSeq, tail: str) -> None:
    """Comments that stood between the first session and the second, put before the new first."""
    lines = tail.splitlines(keepends=True)
    tokens = [CommentToken(line.lstrip(" ") if line.strip() else "\n", CommentMark(len(line) - len(line.lstrip(" "))))
              for line in lines]
    sessions.ca.comment = sessions.ca.comment or [None, []]
    if sessions.ca.comment[1] is None:
        sessions.ca.comment[1] = []
    sessions.ca.comment[1].extend(tokens)


# values -----------------------------------------------------------------------------------
def _empty(name: str, value: Any) -> bool:
    return value is None or value == "" or (name in _LISTS and not value)


def _value(name: str, value: Any, old: Any, tz: ZoneInfo, flow_lists: bool) -> Any:
    """A record value as the file writes it, in the style of the value it replaces."""
    if name in _TIMES:
        return _time(str(value), old, tz)
    if name in _LISTS:
        return _names([str(v) for v in value], old, flow_lists)
    if name == "capacity":
        return value
    return _text(str(value), old)


def _written(lines: Sequence[str], mapping: CommentedMap, name: str) -> str | None:
    """A value as the file spells it (what a loaded timestamp no longer tells)."""
    try:
        line, column = mapping.lc.value(name)
        return str(lines[line][column:].split(" #", 1)[0]).strip().strip("'\"")
    except (KeyError, IndexError, TypeError):
        return None


def _time(value: str, old: Any, tz: ZoneInfo, spelled: str | None = None) -> Any:
    """A time as the file wrote the one it replaces (``spelled`` so): in the event's zone without
    an offset (``2021-11-13T15:00``) unless it had one, to the minute unless it said seconds; a
    YAML timestamp stays one."""
    moment = datetime.fromisoformat(value)
    old_text = spelled or (old.isoformat() if isinstance(old, datetime) else str(old).strip() if old is not None
                           else "")
    separator = " " if re.match(r"\d{4}-\d\d-\d\d \d", old_text) else "T"
    with_offset = False
    with_seconds = moment.second != 0
    try:
        previous = datetime.fromisoformat(old_text) if old_text else None
    except ValueError:
        previous = None
    if previous is not None:
        with_offset = previous.tzinfo is not None
        with_seconds = with_seconds or re.search(r"\d\d:\d\d:\d\d", old_text) is not None
    local = moment.astimezone(tz)
    if local.replace(tzinfo=tz, fold=0).utcoffset() != local.utcoffset():
        with_offset = True  # the hour a clock change repeats: only an offset says which
    shown = local if with_offset else local.replace(tzinfo=None, fold=0)
    if isinstance(old, datetime):
        return _timestamp(shown, separator)
    return shown.isoformat(sep=separator, timespec="seconds" if with_seconds else "minutes")


def _timestamp(moment: datetime, separator: str) -> TimeStamp:
    """A YAML timestamp ruamel writes like the one it replaces (its offset as ``+01:00``)."""
    zone = None
    offset = moment.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds()) // 60
        zone = timezone(offset, f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")
    stamp = TimeStamp(moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
                      tzinfo=zone)
    stamp._yaml["t"] = separator == "T"
    return stamp


def _names(values: list[str], old: Any, flow_lists: bool) -> Any:
    """Hosts or links: a single name stays a single name, a list keeps its style."""
    if isinstance(old, str) and len(values) == 1:
        return _text(values[0], old)
    flow = bool(old.fa.flow_style()) if isinstance(old, CommentedSeq) else flow_lists
    items = CommentedSeq(_flow_text(v) if flow else _text(v, None) for v in values)
    if flow:
        items.fa.set_flow_style()
    else:
        items.fa.set_block_style()
    return items


_QUOTED = (SingleQuotedScalarString, DoubleQuotedScalarString)
_BLOCK = (LiteralScalarString, FoldedScalarString)


def _text(value: str, old: Any) -> Any:
    """A text in the style of the one it replaces (quoted, block, plain); quoted whenever the
    reader would take it plain for something else (``yes``, ``10:30``, ``null``...)."""
    if "\n" in value:
        return LiteralScalarString(value)
    if isinstance(old, _QUOTED):
        return type(old)(value)
    if isinstance(old, _BLOCK):
        return type(old)(value)
    if _not_text_when_plain(value):
        return DoubleQuotedScalarString(value) if "'" in value else SingleQuotedScalarString(value)
    return value


#: Plain inside ``[a, b]`` only when nothing in it could end or open a flow item.
_FLOW_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^,\[\]{}#:]|:(?=\S)|\S#)*")


def _flow_text(value: str) -> Any:
    """A text inside a flow list (``hosts: [Ann, Bob]``), quoted unless plainly a name."""
    if "\n" not in value and (_FLOW_PLAIN.fullmatch(value) is None or value.endswith((" ", ":"))):
        return DoubleQuotedScalarString(value) if "'" in value else SingleQuotedScalarString(value)
    return _text(value, None)


_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"


def _not_text_when_plain(value: str) -> bool:
    """The reader (YAML 1.1) would read this plain scalar as something other than text."""
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag != _STR


