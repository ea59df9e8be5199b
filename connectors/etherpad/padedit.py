"""Edit pad text in place: rewrite the blocks of the sessions that changed, nothing else.

A pad is shared with people: the hub must not reflow text it did not write, drop lines it could
not read, or move blocks a person arranged. So a batch of changes becomes a list of splices on
the current lines (replace a block, remove a block, insert a block at its place in time order),
applied in one pass. An empty pad gets the whole rendered document instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.etherpad.padtext import (
    Block,
    ParsedPad,
    Section,
    join_lines,
    render_block,
    render_head,
    render_heading,
)


@dataclass(frozen=True, order=True)
class _Splice:
    at: int  # index of the first original line concerned
    rank: int  # inserts (0) go before a replacement (1) at the same line
    order: int  # inserts at the same line, in programme order
    remove: int  # original lines removed
    lines: tuple[str, ...]


def _day_of(proj: Mapping[str, Any], tz: ZoneInfo) -> date:
    return datetime.fromisoformat(proj["start"]).astimezone(tz).date()


def _sort_key(key: str, proj: Mapping[str, Any]) -> tuple[datetime, datetime, str]:
    return (datetime.fromisoformat(proj["start"]), datetime.fromisoformat(proj["end"]), key)


def _block_key(block: Block) -> tuple[datetime, datetime, str] | None:
    start, end = block.fields.get("start"), block.fields.get("end")
    if not start or not end:
        return None
    return (datetime.fromisoformat(start), datetime.fromisoformat(end), block.key or "")


def _removal(block: Block, lines: list[str]) -> _Splice:
    """Remove a block and one blank line that separated it from its neighbours."""
    first, end = block.line, block.end
    if end < len(lines) and not lines[end].strip():
        end += 1
    elif first > 0 and not lines[first - 1].strip():
        first -= 1
    return _Splice(first, 1, 0, end - first, ())


def edit_pad(
    pad: ParsedPad,
    changes: Mapping[str, Mapping[str, Any] | None],
    *,
    adopted: Mapping[str, Block],
    themes: Mapping[date, str],
    lang: str,
    tz: ZoneInfo,
) -> str:
    """The pad text with ``changes`` made (key -> projection, or None to remove the session).

    ``adopted`` maps keys to blocks written without a marker that the hub already knows as
    those sessions; they get their marker (and, if they changed, their new text).
    """
    lines = pad.lines
    keyed = pad.keyed()
    splices: list[_Splice] = []
    removed: set[int] = set()  # head-line indexes of blocks that go away or move
    inserts: list[tuple[str, Mapping[str, Any]]] = []

    for key, proj in changes.items():
        block = keyed.get(key) or adopted.get(key)
        if block is None:
            if proj is not None:
                inserts.append((key, proj))
            continue
        if proj is None:
            splices.append(_removal(block, lines))
            removed.add(block.line)
            continue
        stays = (
            block.day == _day_of(proj, tz)
            and block.fields.get("start") == proj["start"]
            and any(block in section.blocks for section in pad.sections)
        )
        if stays:
            new = render_block(key, proj, lang, tz)
            splices.append(_Splice(block.line, 1, 0, block.end - block.line, tuple(new)))
        else:
            splices.append(_removal(block, lines))
            removed.add(block.line)
            inserts.append((key, proj))

    for key, block in adopted.items():
        if key in changes or block.failed & {"title", "start", "end", "status"}:
            continue
        head = render_head(key, block.fields, lang, tz)
        splices.append(_Splice(block.line, 1, 0, 1, (head,)))

    splices += _insertions(pad, inserts, removed, themes, lang, tz)
    return join_lines(_splice(lines, splices))


def _insertions(
    pad: ParsedPad,
    inserts: list[tuple[str, Mapping[str, Any]]],
    removed: set[int],
    themes: Mapping[date, str],
    lang: str,
    tz: ZoneInfo,
) -> list[_Splice]:
    lines = pad.lines
    sections: dict[date, Section] = {}
    for section in pad.sections:
        sections.setdefault(section.day, section)
    splices: list[_Splice] = []
    new_days: dict[date, list[tuple[tuple[datetime, datetime, str], str, Mapping[str, Any]]]] = {}
    ordered = sorted(inserts, key=lambda item: _sort_key(*item))
    for order, (key, proj) in enumerate(ordered):
        day = _day_of(proj, tz)
        rendered = render_block(key, proj, lang, tz)
        found = sections.get(day)
        if found is None:
            new_days.setdefault(day, []).append((_sort_key(key, proj), key, proj))
            continue
        staying = [b for b in found.blocks if b.line not in removed]
        mine = _sort_key(key, proj)
        target = next((b for b in staying if (k := _block_key(b)) is not None and k > mine), None)
        if target is not None:
            splices.append(_Splice(target.line, 0, order, 0, (*rendered, "")))
        elif staying:
            splices.append(_Splice(staying[-1].end, 0, order, 0, ("", *rendered)))
        else:
            splices.append(_Splice(found.line + 1, 0, order, 0, ("", *rendered)))

    headings = sorted(pad.sections, key=lambda s: s.line)
    for order, day in enumerate(sorted(new_days), start=len(ordered)):
        chunk = [render_heading(day, themes.get(day, ""), lang)]
        for _sort, key, proj in sorted(new_days[day], key=lambda item: item[0]):
            chunk += ["", *render_block(key, proj, lang, tz)]
        later = next((s for s in headings if s.day > day), None)
        if later is not None:
            splices.append(_Splice(later.line, 0, order, 0, (*chunk, "")))
        else:
            lead = ("",) if lines and lines[-1].strip() else ()
            splices.append(_Splice(len(lines), 0, order, 0, (*lead, *chunk)))
    return splices


def _splice(lines: list[str], splices: list[_Splice]) -> list[str]:
    """Apply non-overlapping splices in one pass (original line numbers throughout)."""
    out: list[str] = []
    cursor = 0
    for splice in sorted(splices):
        at, remove = splice.at, splice.remove
        if at < cursor:
            # Overlaps a removal already made (two neighbouring blocks removed share the blank
            # line between them): only what lies beyond it is still to remove.
            remove = max(0, at + remove - cursor)
            at = cursor
        out += lines[cursor:at]
        out += splice.lines
        cursor = at + remove
    out += lines[cursor:]
    return out
