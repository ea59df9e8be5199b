"""Reading programme files: the YAML format (see the README) and frab/pretalx schedule JSON.

Validation happens here, at the edge: a bad file is refused as a whole with one
:class:`InputError` listing every problem with its file, line and field, and nothing downstream
ever sees half a programme. What a session must be (its id, times, venue, bounds) is
:mod:`sync.validate`'s, the same rules every other source's sessions are held to.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Hashable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from sync.errors import InputError, Problem
from sync.model import Day, Event, Programme, Session, Venue
from sync.validate import (
    LIST_BOUNDS,
    TEXT_BOUNDS,
    Issue,
    check_capacity,
    check_id,
    check_item,
    check_names,
    check_span,
    check_status,
    check_text,
    check_venue,
    check_website,
    slugify,
)

Path_ = tuple[str | int, ...]
#: libyaml's parser when the C extension is there (10x faster on large programmes).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct(loader: Any, root: yaml.Node, file: str) -> Any:
    """Python data from the node tree: plain strings directly, anything else through PyYAML.

    Most of a programme is strings; building them without the generic constructor halves the
    time spent on a large file. Documents using merge keys (``<<``) take PyYAML's own path.

    A node reached through several aliases is built once and shared, as PyYAML does: building
    it again for each alias would let a few lines of nested aliases (the "billion laughs")
    expand to millions of values and exhaust the memory. A value the constructor cannot make
    (``2021-13-45`` read as a timestamp, a list used as a key) is an :class:`InputError` at
    its line, never a ``ValueError`` or ``TypeError`` out of the reader.
    """
    built: dict[int, Any] = {}

    def build(node: yaml.Node) -> Any:
        if id(node) in built:
            return built[id(node)]
        if isinstance(node, yaml.ScalarNode):
            value = node.value if node.tag == _STR_TAG else _scalar(loader, node, file)
        elif isinstance(node, yaml.SequenceNode):
            value = built[id(node)] = []
            value.extend(build(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            if any(key.tag == _MERGE_TAG for key, _ in node.value):
                raise _NeedsFullConstructor
            value = built[id(node)] = {}
            for key_node, value_node in node.value:
                key = build(key_node)
                if not isinstance(key, Hashable):
                    raise InputError(Problem("a key must be a plain value, not a list or a mapping",
                                             file=file, line=key_node.start_mark.line + 1))
                value[key] = build(value_node)
        else:
            value = _scalar(loader, node, file)
        built[id(node)] = value
        return value

    try:
        return build(root)
    except _NeedsFullConstructor:
        try:
            return loader.construct_document(root)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp out of range
            raise InputError(Problem(f"a value cannot be read: {exc}", file=file)) from None


def _scalar(loader: Any, node: yaml.Node, file: str) -> Any:
    """A tagged or implicit scalar (number, date, boolean...) through PyYAML's constructor."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError) as exc:  # "2021-13-45": month must be in 1..12
        raise InputError(Problem(f"'{node.value}' cannot be read: {exc}", file=file,
                                 line=node.start_mark.line + 1)) from None


class _NeedsFullConstructor(Exception):
    """A document feature only PyYAML's constructor handles."""


def _line_map(node: yaml.Node) -> dict[Path_, int]:
    """Map each value's path (keys and list indexes) to its 1-based line in the file.

    A node reached again through an alias is not walked again (what is under it keeps the
    lines of its first path; a problem there names the alias's line): walking every path of
    nested aliases would take exponential time, and a recursive alias would never end.
    """
    lines: dict[Path_, int] = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Path_]] = [(node, ())]
    while stack:  # iterative: a deeply nested document must not exhaust the call stack
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
                lines[(*path, key)] = key_node.start_mark.line + 1
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append((item, (*path, index)))
    return lines


class Validator:
    """Collects problems with their file, line and field while building the programme."""

    def __init__(self, file: str, root: yaml.Node) -> None:
        self.file = file
        self.root = root
        self._lines: dict[Path_, int] | None = None
        self.problems: list[Problem] = []
        self.labels: dict[Path_, str] = {}

    @property
    def lines(self) -> Mapping[Path_, int]:
        """Line numbers, mapped only when a problem needs one (a valid file never pays for it)."""
        if self._lines is None:
            self._lines = _line_map(self.root)
        return self._lines

    def fail(self, path: Path_, message: str) -> None:
        label = self.labels.get(path[:2])
        if label:
            message = f"{label}: {message}"
        line = None
        for cut in range(len(path), -1, -1):
            line = self.lines.get(path[:cut])
            if line is not None:
                break
        field = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
        self.problems.append(Problem(message, file=self.file, line=line, field=field or None))

    def text(self, data: Mapping[str, Any], path: Path_, key: str, *, required: bool = False) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.fail((*path, key), "is required")
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.fail((*path, key), f"must be text, not {type(value).__name__}")
            return ""
        return value.strip()

    def moment(self, data: Mapping[str, Any], path: Path_, key: str, tz: ZoneInfo) -> datetime | None:
        value = data.get(key)
        if value is None:
            self.fail((*path, key), "is required")
            return None
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                self.fail((*path, key), f"'{value}' is not a date and time like 2021-11-13T14:00")
                return None
        else:
            self.fail((*path, key), f"'{value}' is not a date and time like 2021-11-13T14:00")
            return None
        try:
            return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)
        except OverflowError:  # 0001-01-01T00:00+05:00 has no time in the event's zone
            self.fail((*path, key), f"'{value}' is out of the range of dates")
            return None


def parse_programme_yaml(text: str, file: str = "<programme>") -> Programme:
    """Parse and validate the YAML programme format; raises :class:`InputError`."""
    _refuse_control_characters(text, file)
    node, data = compose_yaml(text, file)
    if not isinstance(data, dict) or node is None:
        raise InputError(Problem("must be a mapping with event, venues and sessions", file=file))
    v = Validator(file, node)
    return _build(data, v)


def compose_yaml(text: str, file: str) -> tuple[yaml.Node | None, Any]:
    """One YAML document's node tree and its data; :class:`InputError` (with the line) if it
    is not YAML. One parse: the node tree gives line numbers, the same tree gives the data."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = _construct(loader, node, file) if node is not None else None
    except RecursionError:
        raise InputError(Problem("nested too deeply to be a programme", file=file)) from None
    except yaml.YAMLError as exc:
        if not isinstance(exc, yaml.MarkedYAMLError):
            raise InputError(Problem(f"not readable as YAML: {exc}", file=file)) from None
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError(Problem(f"YAML syntax error: {exc.problem}", file=file, line=line)) from None
    finally:
        loader.dispose()
    return node, data


TOP_LEVEL = ("event", "days", "venues", "sessions")


def _build(data: Mapping[str, Any], v: Validator) -> Programme:
    event, days, venues, tz = build_head(data, v)
    sessions: dict[str, Session] = {}
    raw_sessions = data.get("sessions")
    if not isinstance(raw_sessions, list):
        v.fail(("sessions",), "is required (a list of sessions)")
        raw_sessions = []
    for index, session_data in enumerate(raw_sessions):
        session = build_session(session_data, ("sessions", index), v, tz, venues)
        if session is None:
            continue
        if session.id in sessions:
            v.fail(("sessions", index, "id"), f"duplicate session id '{session.id}'")
            continue
        sessions[session.id] = session
    if v.problems:
        raise InputError(v.problems)
    return Programme(event, tuple(days), venues, sessions)


def build_head(data: Mapping[str, Any], v: Validator) -> tuple[Event, list[Day], dict[str, Venue], ZoneInfo]:
    """Everything but the sessions: the sections, the event (and its time zone), days, venues.
    Problems are collected in ``v``; a missing event raises at once (nothing else can be read)."""
    for key in data:
        if key not in TOP_LEVEL and not str(key).startswith("x-"):
            v.fail((str(key),), f"unknown section (known: {', '.join(TOP_LEVEL)}; x-... for your own)")
    event_data = data.get("event")
    if not isinstance(event_data, dict):
        v.fail(("event",), "is required (a mapping with id, title, timezone)")
        raise InputError(v.problems)
    tz_name = v.text(event_data, ("event",), "timezone") or "Europe/Paris"
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        v.fail(("event", "timezone"), f"unknown timezone '{tz_name}' (e.g. Europe/Paris)")
        tz = ZoneInfo("UTC")
    event = Event(
        id=v.text(event_data, ("event",), "id", required=True),
        title=v.text(event_data, ("event",), "title", required=True),
        timezone=tz_name,
        subtitle=v.text(event_data, ("event",), "subtitle"),
        language=v.text(event_data, ("event",), "language") or "fr",
        website=v.text(event_data, ("event",), "website"),
        contact=v.text(event_data, ("event",), "contact"),
        rules=_rules(event_data.get("rules"), v),
    )
    _check(check_website(event.website), ("event",), v)

    days: list[Day] = []
    for index, day_data in enumerate(_section_list(data, "days", v)):
        path: Path_ = ("days", index)
        raw = day_data.get("date") if isinstance(day_data, dict) else None
        try:
            day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        except ValueError:
            v.fail((*path, "date"), f"'{raw}' is not a date like 2021-11-13")
            continue
        days.append(Day(day, v.text(day_data, path, "theme")))

    venues: dict[str, Venue] = {}
    for index, venue_data in enumerate(_section_list(data, "venues", v)):
        path = ("venues", index)
        if not isinstance(venue_data, dict):
            v.fail(path, "must be a mapping with id and name")
            continue
        venue_id = v.text(venue_data, path, "id", required=True)
        if venue_id in venues:
            v.fail((*path, "id"), f"duplicate venue id '{venue_id}'")
        venues[venue_id] = Venue(
            venue_id,
            v.text(venue_data, path, "name", required=True),
            v.text(venue_data, path, "address"),
            v.text(venue_data, path, "note"),
        )
    return event, days, venues, tz


def _section_list(data: Mapping[str, Any], name: str, v: Validator) -> list[Any]:
    """An optional top-level list (``days:``, ``venues:``); anything else there is reported
    rather than iterated (a number would raise ``TypeError``, a text would give its letters)."""
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        v.fail((name,), f"must be a list, not {type(value).__name__}")
        return []
    return value


def _rules(value: Any, v: Validator) -> dict[str, Any]:
    """``event.rules``: names to plain values (numbers, mostly). The rules are kept in the
    programme and hashed with it, so anything nested (a list, an alias to a big structure) is
    refused here rather than failing, or growing, downstream."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        v.fail(("event", "rules"), f"must be a mapping of names to values, not {type(value).__name__}")
        return {}
    rules: dict[str, Any] = {}
    for name, rule in value.items():
        if isinstance(rule, (dict, list)) or not isinstance(rule, (str, int, float, bool, type(None))):
            v.fail(("event", "rules", str(name)), "must be a number or a text")
            continue
        rules[str(name)] = rule
    return rules


def _string_list(value: Any, path: Path_, v: Validator) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),)
    if isinstance(value, list) and all(isinstance(item, (str, int)) for item in value):
        return tuple(str(item).strip() for item in value)
    v.fail(path, "must be a list of names")
    return ()


def _check(issue: Issue | None, path: Path_, v: Validator) -> None:
    """Report a broken session rule (:mod:`sync.validate`) at the field it concerns."""
    if issue is not None:
        v.fail((*path, issue.field), issue.say("en"))


def build_session(
    data: Any, path: Path_, v: Validator, tz: ZoneInfo, venues: Mapping[str, Venue]
) -> Session | None:
    """One session's data as a :class:`Session`, or None with its problems collected in ``v``."""
    if not isinstance(data, dict):
        v.fail(path, "must be a mapping with id, title, start, end")
        return None
    before = len(v.problems)
    session_id = v.text(data, path, "id", required=True)
    if session_id:
        v.labels[path] = f"session '{session_id}'"
        _check(check_id(session_id), path, v)
    title = v.text(data, path, "title", required=True)
    start = v.moment(data, path, "start", tz)
    end = v.moment(data, path, "end", tz)
    if start and end:
        _check(check_span(start, end), path, v)
    venue = v.text(data, path, "venue") or None
    _check(check_venue(venue, venues), path, v)
    status = v.text(data, path, "status") or "scheduled"
    _check(check_status(status), path, v)
    capacity = data.get("capacity")
    if (issue := check_capacity(capacity)) is not None:
        _check(issue, path, v)
        capacity = None
    known = {"id", "title", "start", "end", "venue", "track", "format", "kind", "hosts",
             "description", "status", "capacity", "links"}
    for key in data:
        if key not in known:
            v.fail((*path, str(key)), f"unknown field (known: {', '.join(sorted(known))})")
    if isinstance(data.get("title"), str):  # (a missing or non-text title is reported above)
        _check(check_text("title", title), path, v)
    texts = {name: v.text(data, path, name) for name in TEXT_BOUNDS if name != "title"}
    for name, value in texts.items():
        _check(check_text(name, value), path, v)
    lists = {name: _string_list(data.get(name), (*path, name), v) for name in LIST_BOUNDS}
    for name, values in lists.items():
        _check(check_names(name, values), path, v)
    if len(v.problems) > before or start is None or end is None:
        return None
    return Session(
        id=session_id,
        title=title,
        start=start,
        end=end,
        venue=venue,
        track=texts["track"] or None,
        format=texts["format"] or None,
        kind=texts["kind"] or None,
        hosts=lists["hosts"],
        description=texts["description"],
        status=status,  # type: ignore[arg-type]  # checked against STATUSES above
        capacity=capacity,
        links=lists["links"],
    )


def _duration(text: str) -> timedelta:
    parts = [int(p) for p in text.split(":")]
    while len(parts) < 3:
        parts.append(0)
    hours, minutes, seconds = parts[:3]
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def parse_frab_json(text: str, file: str = "<schedule>") -> Programme:
    """Import a frab/pretalx schedule JSON (``schedule.conference.days[].rooms``).

    The file comes from another tool, so every level is checked for the type the format gives
    it before it is used: a part of another shape is an :class:`InputError` naming its field,
    like every other problem of the file, never a ``KeyError`` or ``AttributeError``.
    """
    try:
        data = json.loads(text)
        conference = data["schedule"]["conference"]
    except RecursionError:
        raise InputError(Problem("not a frab schedule JSON (nested too deeply)", file=file)) from None
    except (ValueError, KeyError, TypeError) as exc:  # ValueError: JSONDecodeError, a 5,000-digit number
        raise InputError(Problem(f"not a frab schedule JSON ({exc})", file=file)) from None
    if not isinstance(conference, dict):
        raise InputError(Problem("not a frab schedule JSON (conference is not an object)", file=file,
                                 field="schedule.conference"))
    tz_name = conference.get("time_zone_name") or "Europe/Paris"
    try:
        tz = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(Problem(f"unknown timezone '{tz_name}'", file=file, field="time_zone_name")) from None
    problems: list[Problem] = []
    venues: dict[str, Venue] = {}
    sessions: dict[str, Session] = {}
    days: list[Day] = []
    raw_days = conference.get("days") or []
    if not isinstance(raw_days, list):
        raw_days = []
        problems.append(Problem("must be a list of days", file=file, field="days"))
    for day_index, day in enumerate(raw_days):
        rooms = day.get("rooms") if isinstance(day, dict) else None
        try:
            days.append(Day(date.fromisoformat(day["date"])))
        except (KeyError, ValueError, TypeError) as exc:
            problems.append(Problem(f"cannot read this day ({exc!r})", file=file, field=f"days[{day_index}].date"))
            continue
        if not isinstance(rooms or {}, dict):
            problems.append(Problem("must map room names to lists of events", file=file,
                                    field=f"days[{day_index}].rooms"))
            continue
        for room_name, events in (rooms or {}).items():
            venue_id = slugify(room_name)
            venues.setdefault(venue_id, Venue(venue_id, room_name))
            for event_index, ev in enumerate(events if isinstance(events, list) else [events]):
                field = f"days[{day_index}].rooms.{room_name}[{event_index}]"
                try:
                    session = _frab_session(ev, venue_id, tz)
                # AttributeError: a part of another type (a person given as a bare name);
                # OverflowError: a date or duration beyond the calendar.
                except (KeyError, ValueError, TypeError, AttributeError, OverflowError) as exc:
                    problems.append(Problem(f"cannot read this event ({exc!r})", file=file, field=field))
                    continue
                issues = check_item(session.id, session.to_record(), venues)
                problems += [Problem(issue.describe("en"), file=file, field=field) for issue in issues]
                if not issues:
                    sessions[session.id] = session
    if (bad_url := check_website(conference.get("url"))) is not None:
        problems.append(Problem(bad_url.say("en"), file=file, field="url"))
    if problems:
        raise InputError(problems)
    event = Event(
        id=slugify(str(conference.get("acronym") or conference.get("title") or "event")),
        title=str(conference.get("title") or ""),
        timezone=str(tz_name),
        website=str(conference.get("url") or ""),
    )
    return Programme(event, tuple(days), venues, sessions)


def _frab_session(ev: Any, venue_id: str, tz: ZoneInfo) -> Session:
    """One frab event as a session; raises what its fields' types make Python raise."""
    start = datetime.fromisoformat(ev["date"]).astimezone(tz)
    end = start + _duration(ev.get("duration") or "0:00")
    session_id = slugify(str(ev.get("slug") or ev.get("guid") or ev["title"]))
    persons = tuple(str(p.get("public_name") or p.get("name")) for p in ev.get("persons") or [])
    return Session(
        id=session_id,
        title=str(ev["title"]),
        start=start,
        end=end if end > start else start + timedelta(minutes=1),
        venue=venue_id,
        track=ev.get("track") or None,
        format=ev.get("type") or None,
        hosts=persons,
        description=str(ev.get("abstract") or ev.get("description") or "").strip(),
        links=tuple(str(link.get("url")) for link in ev.get("links") or [] if isinstance(link, dict)),
    )


#: Default of ``[hub] max_programme_bytes``: 20 MB. A programme of 10,000 sessions is about
#: 2 MB of YAML (80,000 lines) and takes some 100 MB of memory to read, growing linearly.
MAX_PROGRAMME_BYTES = 20_000_000


def load_programme(path: Path, *, max_bytes: int = MAX_PROGRAMME_BYTES) -> Programme:
    """Read a programme file, choosing the parser by extension (.json = frab/pretalx)."""
    return parse_programme_bytes(read_programme_file(path, max_bytes=max_bytes), str(path))


def read_programme_file(path: Path, *, max_bytes: int = MAX_PROGRAMME_BYTES) -> bytes:
    """A programme file's bytes; :class:`InputError` if it is missing, unreadable or larger
    than ``max_bytes``, which is checked before reading (a file of gigabytes copied by mistake
    is never loaded into memory, nor parsed)."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            # a pipe or a file still growing says 0 or less than it gives: read one byte more
            data = b"" if size > max_bytes else file.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(Problem("programme file not found", file=str(path))) from None
    except OSError as exc:
        raise InputError(Problem(f"cannot read the programme file ({exc.strerror})", file=str(path))) from None
    if size > max_bytes or len(data) > max_bytes:
        raise InputError(Problem(
            f"{max(size, len(data)):,} bytes, larger than max_programme_bytes ({max_bytes:,}): is it the "
            "programme? Raise the limit under [hub] if it is", file=str(path)))
    return data


def parse_programme_bytes(data: bytes, file: str) -> Programme:
    """A programme file's bytes, as read from disk: UTF-8 (a BOM is allowed), else bad input."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise InputError(Problem(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}, column {column}): "
            "save the file as UTF-8 (in LibreOffice or a text editor: 'Save as', encoding UTF-8)",
            file=file, line=line)) from None
    return parse_programme_text(text.removeprefix("\ufeff"), file)


CONTROL_CHARACTERS = _CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


def _refuse_control_characters(text: str, file: str) -> None:
    """Invisible characters pasted from a word processor: YAML refuses them; say where."""
    found = _CONTROL.search(text)
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - text.rfind("\n", 0, found.start())
    raise InputError(Problem(
        f"invisible control character U+{ord(found.group()):04X} at column {column} "
        "(often pasted from a word processor): delete it and type the text again",
        file=file, line=line))


def parse_programme_text(text: str, file: str) -> Programme:
    if file.endswith(".json"):
        return parse_frab_json(text, file)
    return parse_programme_yaml(text, file)


__all__ = ["MAX_PROGRAMME_BYTES", "load_programme", "parse_frab_json", "parse_programme_bytes", "parse_programme_text",
           "parse_programme_yaml", "read_programme_file", "slugify"]
