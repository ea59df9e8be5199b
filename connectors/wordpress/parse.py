"""Reading the programme page back: each session's projection, from the page's own markup.

The page is not a source of the programme, but the engine needs to see what it holds: when
a person changes a title, a time or a venue on the page, the projection read here differs from
what the hub pushed, the engine notices the drift and plans a rewrite. What is read is exactly
what :func:`connectors.wordpress.render.render_session` writes (the text unescaped), so the
hub's own page reads back equal to its projections. What the page shows of the event around a
session is read with it: the subtitle, the theme of the day heading above it, its venue's note
in the list of venues (and, from the page title, the event title: see the connector).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

# class -> (field, many): text of elements with these classes, inside a session's <li>
_CAPTURED = {
    "hub-title": ("title", False),
    "hub-host": ("hosts", True),
    "hub-link": ("links", True),
    "hub-description": ("description", False),
    "hub-venue-name": ("venue_name", False),
    "hub-venue-address": ("venue_address", False),
}
_VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr", "source", "area", "col"})
#: class -> what it says of the event: text of elements with these classes, outside sessions
_AROUND = frozenset({"hub-subtitle", "hub-theme", "hub-venue-note"})


@dataclass
class _Item:
    key: str
    venue: str
    status: str
    theme: str = ""
    times: list[str] = field(default_factory=list)
    text: dict[str, list[str]] = field(default_factory=dict)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[_Item] = []
        self._item: _Item | None = None
        self._depth = 0  # open elements inside the current <li>
        self._capture: tuple[str, int, list[str]] | None = None  # field, depth, chunks
        self.subtitle = ""
        self.notes: dict[str, str] = {}  # venue id -> its note
        self._theme = ""  # of the day heading last seen
        self._venue: str | None = None  # inside the venue list's item of this venue
        self._around: tuple[str, list[int], list[str]] | None = None  # class, [depth], chunks

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if self._around is not None:
            if tag == "br":
                self._around[2].append("\n")
            elif tag not in _VOID:
                self._around[1][0] += 1
            return
        if tag == "li" and values.get("id", "").startswith("session-") and self._item is None:
            self._item = _Item(
                values["id"].removeprefix("session-"),
                values.get("data-venue", ""),
                values.get("data-status", ""),
                self._theme,
            )
            self._depth = 0
            return
        if self._item is None:
            self._start_around(tag, values)
            return
        if "data-time" in values:
            self._item.times.append(values["data-time"])
        if tag == "br" and self._capture is not None:
            self._capture[2].append("\n")
        if tag in _VOID:
            return
        self._depth += 1
        if self._capture is None:
            for name in values.get("class", "").split():
                if name in _CAPTURED:
                    self._capture = (name, self._depth, [])
                    break

    def _start_around(self, tag: str, values: dict[str, str]) -> None:
        """Outside sessions: day headings, venues, and the elements saying something of them."""
        ident = values.get("id", "")
        if tag == "h2" and ident.startswith("jour-"):
            self._theme = ""
        elif tag == "li" and ident.startswith("lieu-"):
            self._venue = ident.removeprefix("lieu-")
        if tag not in _VOID:
            for name in values.get("class", "").split():
                if name in _AROUND:
                    self._around = (name, [1], [])
                    break

    def _end_around(self, name: str, _depth: list[int], chunks: list[str]) -> None:
        self._around = None
        text = "".join(chunks)
        if name == "hub-subtitle" and not self.subtitle:
            self.subtitle = text
        elif name == "hub-theme":
            self._theme = text
        elif name == "hub-venue-note" and self._venue is not None:
            self.notes.setdefault(self._venue, text)

    def handle_endtag(self, tag: str) -> None:
        if self._around is not None:
            if tag not in _VOID:
                self._around[1][0] -= 1
                if self._around[1][0] == 0:
                    self._end_around(*self._around)
            return
        if self._item is None and tag == "li":
            self._venue = None
        if self._item is None or tag in _VOID:
            return
        if tag == "li" and self._depth == 0:
            self.items.append(self._item)
            self._item = None
            return
        if self._capture is not None and self._capture[1] == self._depth:
            name, _depth, chunks = self._capture
            self._item.text.setdefault(name, []).append("".join(chunks))
            self._capture = None
        self._depth = max(0, self._depth - 1)

    def handle_data(self, data: str) -> None:
        if self._around is not None:
            self._around[2].append(data)
        elif self._capture is not None:
            self._capture[2].append(data)


def parse_page(content: str, event_title: str | None = None) -> dict[str, dict[str, Any]]:
    """Session id -> projection (id, title, start, end, venue, hosts, description, status, links,
    venue_name, venue_address, venue_note, day_theme, event_subtitle, and ``event_title`` when
    given: the page title shows it), for every session item found on the page."""
    parser = _PageParser()
    parser.feed(content)
    parser.close()
    found: dict[str, dict[str, Any]] = {}
    for item in parser.items:
        text = item.text
        named = "hub-venue-name" in text

        def one(name: str, text: dict[str, list[str]] = text) -> str:
            return text.get(name, [""])[0]

        found[item.key] = {
            "id": item.key,
            "title": one("hub-title"),
            "start": item.times[0] if item.times else None,
            "end": item.times[1] if len(item.times) > 1 else None,
            "venue": item.venue or None,
            "hosts": text.get("hub-host", []),
            "description": one("hub-description"),
            "status": item.status,
            "links": text.get("hub-link", []),
            "venue_name": one("hub-venue-name") if named else None,
            "venue_address": one("hub-venue-address") if named else None,
            "venue_note": parser.notes.get(item.venue, "") if named else None,
            "day_theme": item.theme,
            "event_subtitle": parser.subtitle,
        }
        if event_title is not None:
            found[item.key]["event_title"] = event_title
    return found
