"""The report's table as text: the box a terminal shows, drawn without a rendering library.

``hub sync`` prints one small table after every run with work. Drawing it with Rich cost a sync
about 60 ms (its import and layout), a tenth of a short run; and at Rich's default width of 80
columns outside a terminal (cron mail, CI logs, the daemon's journal) it cut connector names to
"progra…". This draws the same heavy-headed box at the width its cells need, never cutting one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (East Asian) characters two, combining marks none."""
    total = 0
    for char in text:
        if char.isascii():
            total += 1
        elif unicodedata.combining(char):
            continue
        else:
            total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


def _cell(text: str, size: int, left: bool) -> str:
    gap = " " * (size - width(text))
    return f" {text}{gap} " if left else f" {gap}{text} "


def box_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The table: ``title`` centred above, the first column on the left, the others (figures) on
    the right."""
    sizes = [max([width(h), *(width(row[i]) for row in rows)]) for i, h in enumerate(headers)]

    def rule(left: str, line: str, joint: str, right: str) -> str:
        return left + joint.join(line * (size + 2) for size in sizes) + right

    def line(cells: Sequence[str], edge: str) -> str:
        return edge + edge.join(_cell(text, size, i == 0) for i, (text, size) in enumerate(zip(cells, sizes,
                                                                                                 strict=True))) + edge

    total = sum(sizes) + 3 * len(sizes) + 1
    lines = [" " * max(0, (total - width(title)) // 2) + title,
             rule("┏", "━", "┳", "┓"), line(headers, "┃"), rule("┡", "━", "╇", "┩")]
    lines += [line(row, "│") for row in rows]
    lines.append(rule("└", "─", "┴", "┘"))
    return "\n".join(lines)
