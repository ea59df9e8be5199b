"""Hypothesis strategies for the parser fuzz tests: damaged copies of valid inputs.

Purely random text is refused at the first character by every parser, so it exercises little.
The strategies here start from what each parser really reads (the reference programme, a pad
the hub rendered, a Framadate export, a CalDAV event, a chat platform's update) and damage it:
values of the wrong type, keys dropped or added, lines cut, swapped or replaced by fragments
that are valid somewhere else in the format. That reaches the code past the first check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

#: Any JSON value, small: what a damaged field may hold instead of the expected one.
JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["", " ", "0", "-1", "1e400", "2021-13-45", "99:99", "9999-12-31T23:59", "\u202e", "é"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)


@st.composite
def shaken(draw: st.DrawFn, skeleton: Any, depth: int = 0) -> Any:
    """``skeleton`` with some of its values replaced, dropped or added (mostly left intact, so
    most examples are nearly valid and reach deep into the parser). One draw per value keeps
    it fast enough for thousands of examples."""
    roll = draw(st.integers(0, 99))
    if roll < (5 if depth else 1):
        return draw(JSON)
    if isinstance(skeleton, dict):
        out: dict[Any, Any] = {}
        for key, value in skeleton.items():
            child = draw(shaken(value, depth + 1))
            if child is not _DROP:
                out[key] = child
        if roll >= 95:
            out[draw(st.text(max_size=8))] = draw(JSON)
        return out
    if isinstance(skeleton, list):
        items = [item for item in (draw(shaken(item, depth + 1)) for item in skeleton) if item is not _DROP]
        if skeleton and roll >= 90:
            items.append(draw(shaken(skeleton[0], depth + 1)))
        return [item for item in items if item is not _DROP]
    if depth and roll >= 96:
        return _DROP
    return skeleton


#: A value :func:`shaken` leaves out of its mapping or list.
_DROP = object()


def damaged_lines(text: str, fragments: Sequence[str]) -> st.SearchStrategy[str]:
    """``text`` with a few line edits: deleted, duplicated, swapped, replaced by a fragment,
    cut in the middle, or a character inserted; sometimes the whole text cut short."""
    lines = text.split("\n")
    fragment = st.sampled_from(list(fragments)) | st.text(max_size=20)

    @st.composite
    def build(draw: st.DrawFn) -> str:
        out = list(lines)
        for _ in range(draw(st.integers(1, 6))):
            if not out:
                out.append(draw(fragment))
                continue
            at = draw(st.integers(0, len(out) - 1))
            kind = draw(st.integers(0, 6))
            if kind == 0:
                del out[at]
            elif kind == 1:
                out.insert(at, out[at])
            elif kind == 2:
                other = draw(st.integers(0, len(out) - 1))
                out[at], out[other] = out[other], out[at]
            elif kind == 3:
                out[at] = draw(fragment)
            elif kind == 4:
                out.insert(at, draw(fragment))
            elif kind == 5:
                line = out[at]
                cut = draw(st.integers(0, len(line)))
                out[at] = line[:cut] + draw(fragment) + line[cut:]
            else:
                line = out[at]
                cut = draw(st.integers(0, len(line)))
                out[at] = line[:cut]
        result = "\n".join(out)
        if draw(st.integers(0, 9)) == 0:
            result = result[: draw(st.integers(0, len(result)))]
        return result

    return build()


def made_of(fragments: Sequence[str], separator: str = "\n") -> st.SearchStrategy[str]:
    """A text assembled from fragments of the format and a little random text."""
    piece = st.sampled_from(list(fragments)) | st.text(max_size=10)
    return st.lists(piece, max_size=25).map(separator.join)


