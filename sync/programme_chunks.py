"""Reading a large programme file again when little of it changed: one session item at a time.

A programme of 10,000 sessions is some 80,000 lines of YAML; parsing it whole takes more than a
second and 150 MB, every time one line of it changes. Its sessions are items of one list, so
the file is cut (by its text alone, cheaply) into a *head* (every top-level section but the
sessions) and one *chunk* per session item. An item's chunk, parsed alone, gives the very value
the whole file gives it, as long as the cut follows the file's own structure. What a chunk
gives (its session's id and version) can then be kept, keyed by a hash of the chunk's text and
of what its reading depends on (the event's time zone, the venue ids), and a file where one
session changed costs one chunk's parse.

This is an optimisation only, never a second reader: whenever the cut is not certain to follow
the YAML structure (anchors across items, flow style, directives, several documents, unusual
line breaks or indentation), or any part has a problem, :func:`read_chunked` returns None and
the caller reads the file whole, which says what is wrong with its file and line. The file is
also checked as a whole for what is checked on the whole (control characters, duplicate ids).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from sync import model, programme_reader, validate
from sync.errors import InputError
from sync.model import Programme, Session
from sync.programme_reader import CONTROL_CHARACTERS, Validator, build_head, build_session, compose_yaml

#: Part of every cache key: entries written by another version of this reading are not used.
CHUNK_FORMAT = 1

#: A top-level line: a plain key, then its value, if any, on the same line.
_TOP_KEY = re.compile(rb"([A-Za-z][A-Za-z0-9_-]*):(?:[ \t][^\n]*|\r)?")
#: The ``sessions:`` line: nothing after its colon but spaces or a comment (its items follow).
_SESSIONS = re.compile(rb"sessions:(?:[ \t]+(?:#[^\n]*)?)?\r?")
#: Where a line starts at column 0 with something else than a comment (searched from a line
#: break: the regular expression engine then looks for the break, which is fast).
_COLUMN_0 = re.compile(rb"\n(?=[^ \t#\r\n])")
#: What the cut cannot follow: a line indented with a tab, line breaks YAML knows but the cut
#: does not (CR alone, NEL, LS, PS). Directives and document markers (``%``, ``---``,
#: ``...``) are caught as top-level lines that are not keys.
_TAB_INDENT = re.compile(rb"^ *\t", re.M)
_LONE_CR = re.compile(rb"\r(?!\n)")
_OTHER_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
#: What may be an anchor (``&name``; ``Arts & crafts`` is not): a document may not name two
#: nodes alike, which only the whole reading sees when they are in two items.
_ANCHOR = re.compile(rb"(?:^|[ \t\[{,])&[^ \t\r\n]", re.M)


@dataclass(frozen=True, slots=True)
class Layout:
    """A programme's bytes cut in two: ``head`` (the file without its session items, which
    still has its ``sessions:`` line) and the bytes of each item, in file order."""

    head: bytes
    chunks: list[bytes]


def _unsafe(data: bytes) -> bool:
    if b"\t" in data and _TAB_INDENT.search(data):
        return True
    if b"\r" in data and _LONE_CR.search(data):
        return True
    return any(mark in data for mark in _OTHER_BREAKS)


def _is_item(data: bytes, at: int) -> bool:
    """Whether the line at ``at`` (at its list's indentation) is a list item: ``-`` then a
    space or the end of the line."""
    return data[at:at + 1] == b"-" and data[at + 1:at + 2] in (b" ", b"\r", b"\n", b"")


def split(data: bytes) -> Layout | None:
    """Cut a programme's UTF-8 bytes into head and session items, or None when the cut might
    not follow the YAML structure."""
    if _unsafe(data):
        return None
    lines = [m.start() + 1 for m in _COLUMN_0.finditer(data)]
    if data[:1] not in (b" ", b"\t", b"#", b"\r", b"\n", b""):
        lines.insert(0, 0)
    starts: list[tuple[int, bytes]] = []
    for at in lines:
        if _is_item(data, at):
            continue
        end = data.find(b"\n", at)
        key = _TOP_KEY.fullmatch(data, at, len(data) if end < 0 else end)
        if key is None:
            return None
        starts.append((at, key.group(1)))
    names = [name for _at, name in starts]
    if len(set(names)) != len(names) or b"sessions" not in names:
        return None
    index = names.index(b"sessions")
    at = starts[index][0]
    line_end = data.find(b"\n", at)
    if line_end < 0 or not _SESSIONS.fullmatch(data, at, line_end):
        return None
    block_start = line_end + 1
    block_end = starts[index + 1][0] if index + 1 < len(starts) else len(data)
    if b"&" in data[block_start:block_end] and _ANCHOR.search(data, block_start, block_end):
        return None
    chunks = _items(data, block_start, block_end)
    if chunks is None:
        return None
    return Layout(data[:block_start] + data[block_end:], chunks)


def _items(data: bytes, start: int, end: int) -> list[bytes] | None:
    """The items of the ``sessions:`` list between ``start`` and ``end`` (a line start and the
    next top-level line), each with the comments and blank lines after it."""
    first = re.compile(rb"^( *)([^ \r\n])", re.M)
    found = None
    for match in first.finditer(data, start, end):
        if match.group(2) != b"#":
            found = match
            break
    if found is None:
        return None
    indent = found.group(1)
    if not _is_item(data, found.end(1)):
        return None
    if indent and re.compile(rb"^ {0,%d}[^ \r\n#]" % (len(indent) - 1), re.M).search(data, start, end):
        return None  # a line left of the list's items: not something the cut can follow
    if indent:
        pattern = re.compile(rb"\n" + indent + rb"-(?=[ \r\n])|\n" + indent + rb"-$", re.M)
    else:
        pattern = re.compile(rb"\n-(?=[ \r\n])|\n-$", re.M)
    starts = [found.start()] + [m.start() + 1 for m in pattern.finditer(data, found.start(), end)]
    return [data[a:b] for a, b in zip(starts, [*starts[1:], end], strict=True)]


@dataclass
class Head:
    """The programme without its sessions, and the key of what reading a session depends on."""

    programme: Programme
    context: str


def read_head(head: bytes, file: str) -> Head | None:
    """The head's event, days and venues; None if it has any problem."""
    try:
        node, data = compose_yaml(head.decode("utf-8"), file)
        if node is None or not isinstance(data, dict) or data.get("sessions", "") is not None:
            return None
        v = Validator(file, node)
        event, days, venues, _tz = build_head(data, v)
    except InputError:
        return None
    if v.problems:
        return None
    context = json.dumps([CHUNK_FORMAT, reader_fingerprint(), event.timezone, sorted(venues)])
    return Head(Programme(event, tuple(days), venues, {}), context)


@functools.cache
def reader_fingerprint() -> str:
    """A hash of the code that reads and validates a session: a cache kept by another version of
    it (a bound made stricter, say) is not used, so what it would now refuse is read again."""
    digest = hashlib.sha256()
    for module in (programme_reader, validate, model, sys.modules[__name__]):
        try:
            digest.update(Path(module.__file__ or "").read_bytes())
        except OSError:  # no source beside the code: the installed version says which it is
            digest.update(_installed_version().encode())
    return digest.hexdigest()[:16]


def _installed_version() -> str:
    try:
        return metadata.version("commons-hub")
    except metadata.PackageNotFoundError:
        return "unknown"


def read_chunk(chunk: bytes, head: Head, file: str) -> Session | None:
    """One session item alone; None if it is not exactly one valid session."""
    try:
        node, data = compose_yaml(chunk.decode("utf-8"), file)
    except InputError:
        return None
    if node is None or not isinstance(data, list) or len(data) != 1:
        return None
    v = Validator(file, node)
    programme = head.programme
    session = build_session(data[0], ("sessions", 0), v, programme.tz, programme.venues)
    return None if v.problems else session


@dataclass
class Chunked:
    """A programme read chunk by chunk.

    ``versions`` maps every session id to its version, in file order; ``parsed`` holds the
    sessions parsed this time (the others came from the cache): :meth:`session` parses any
    other on demand. :meth:`cache` is what to keep for the next reading, and ``changed`` says
    whether it differs from what was given.
    """

    head: Head
    file: str
    context: str
    versions: dict[str, str]
    chunks: dict[str, bytes]
    keys: dict[str, str]
    parsed: dict[str, Session]
    changed: bool

    def session(self, key: str) -> Session:
        found = self.parsed.get(key)
        if found is None:
            found = read_chunk(self.chunks[key], self.head, self.file)
            if found is None or found.id != key:
                raise InputError(f"{self.file}: session '{key}' cannot be read again")
            self.parsed[key] = found
        return found

    def cache(self) -> dict[str, Any]:
        """The entries to keep: one line per chunk (its key, its session's version and id)."""
        lines = "".join(f"{self.keys[sid]} {version} {sid}\n" for sid, version in self.versions.items())
        return {"format": CHUNK_FORMAT, "context": self.context, "entries": lines,
                "check": _checksum(self.context, lines)}


def read_chunked(
    data: bytes, file: str, cache: Mapping[str, Any], version: Callable[[Session], str], salt: str = ""
) -> Chunked | None:
    """Read a programme file's bytes with the entries of ``cache`` (an earlier
    :meth:`Chunked.cache`); None when the file must be read whole. ``version`` gives a
    session's version; ``salt`` says what else it depends on (a cache of another salt is not
    used)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if CONTROL_CHARACTERS.search(text):
        return None
    layout = split(data)
    if layout is None:
        return None
    head = read_head(layout.head, file)
    if head is None:
        return None
    context = f"{head.context}|{salt}"
    entries = _entries(cache, context)
    versions: dict[str, str] = {}
    chunks: dict[str, bytes] = {}
    keys: dict[str, str] = {}
    parsed: dict[str, Session] = {}
    seed = hashlib.blake2b(context.encode() + b"\0", digest_size=16)
    for chunk in layout.chunks:
        hasher = seed.copy()
        hasher.update(chunk)
        key = hasher.hexdigest()
        entry = entries.get(key)
        if entry is not None:
            session_version, session_id = entry
        else:
            session = read_chunk(chunk, head, file)
            if session is None:
                return None
            session_id, session_version = session.id, version(session)
            parsed[session_id] = session
        if session_id in versions:
            return None  # a duplicate id: the whole reading says where
        versions[session_id] = session_version
        chunks[session_id] = chunk
        keys[session_id] = key
    changed = bool(parsed) or len(entries) != len(versions)
    return Chunked(head, file, context, versions, chunks, keys, parsed, changed)


def _checksum(context: str, lines: str) -> str:
    return hashlib.blake2b(f"{context}\0{lines}".encode(), digest_size=16).hexdigest()


def _entries(cache: Mapping[str, Any], context: str) -> dict[str, tuple[str, str]]:
    """The cache's entries (chunk key to version and id) when it is one of this format and
    context and reads back as it was written (its checksum); nothing otherwise, so a damaged
    or foreign cache costs a full parse, never a wrong reading."""
    lines = cache.get("entries")
    if (cache.get("format") != CHUNK_FORMAT or cache.get("context") != context
            or not isinstance(lines, str) or cache.get("check") != _checksum(context, lines)):
        return {}
    entries: dict[str, tuple[str, str]] = {}
    for line in lines.splitlines():
        parts = line.split(" ")
        if len(parts) != 3:
            return {}
        entries[parts[0]] = (parts[1], parts[2])
    return entries


__all__ = ["CHUNK_FORMAT", "Chunked", "Head", "Layout", "read_chunk", "read_chunked", "read_head", "split"]
