"""Telegram's MarkdownV2 parse mode, as the Bot API server applies it (tdlib ``parse_markdown_v2``).

Same contract as :mod:`.telegram_html`: :func:`parse_markdown_v2` returns ``(text, entities)``
in Bot API form or raises :class:`ParseError` with the server's wording, and is checked against
the server's recorded verdicts. Rules: every one of ``_*[]()~`>#+-=|{}.!`` is reserved outside
code and must be escaped with ``\\``; ``>`` starts a block quote only at a line start; an
expandable block quote ends with ``||``; ``![x](tg://emoji?id=N)`` is a custom emoji.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram_html import PRIORITY, ParseError, check_link

RESERVED = b"_*[]()~`>#+-=|{}.!\n"
#: How the server names entity types in its error messages.
NAMES = {
    "italic": "Italic",
    "bold": "Bold",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
    "expandable_blockquote": "ExpandableBlockQuote",
}


@dataclass
class _Open:
    type: str
    argument: str
    offset: int  # UTF-16 offset in the output
    byte: int  # byte offset in the input
    begin: int  # index in the output buffer


def _reserved(char: int) -> ParseError:
    return ParseError(f"Character '{chr(char)}' is reserved and must be escaped with the preceding '\\'")


def _tg_query(url: str, host: str) -> str | None:
    """The query of ``tg:[//]<host>[/]?<query>``, or None (tdlib's check_tg_url_host)."""
    if url[:3].lower() != "tg:":
        return None
    rest = url[3:]
    if rest.startswith("//"):
        rest = rest[2:]
    if rest[: len(host)].lower() != host or (len(rest) > len(host) and rest[len(host)] not in "/?#"):
        return None
    rest = rest[len(host) :]
    if rest.startswith("/"):
        rest = rest[1:]
    if not rest.startswith("?"):
        return None
    return rest[1:].split("#", 1)[0]


def _strict_int(value: str) -> int | None:
    """tdlib's to_integer_safe: digits only, no leading zeros, no sign games."""
    if not value or not value.lstrip("-").isdigit() or str(int(value)) != value:
        return None
    return int(value)


def _params(query: str) -> list[tuple[str, str]]:
    return [(p.split("=", 1)[0], p.split("=", 1)[1] if "=" in p else "") for p in query.split("&")]


def _custom_emoji(url: str) -> str:
    query = _tg_query(url, "emoji")
    if query is not None:
        for key, value in _params(query):
            if key == "id":
                number = _strict_int(value)
                if number:
                    return str(number)
                break
    query = _tg_query(url, "time")
    if query is not None:
        for key, value in _params(query):
            if key == "unix" and (_strict_int(value) or 0) > 0:
                raise ParseError("tg://time links are not modelled by this fake")
    raise ParseError("Invalid tg://emoji or tg://time URL specified")


def _is_user_link(url: str) -> bool:
    query = _tg_query(url.lower(), "user")
    return query is not None and any(k == "id" and _strict_int(v) is not None for k, v in _params(query))


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and Bot API entities for a MarkdownV2-formatted message text."""
    data = source.encode("utf-8")
    n = len(data)

    def at(k: int) -> int:
        return data[k] if k < n else 0

    out = bytearray()
    offset = 0
    entities: list[tuple[str, int, int, str]] = []
    stack: list[_Open] = []
    have_quote = False
    can_quote = True
    i = 0
    while i < n:
        c = data[i]
        if c == ord("\\") and 0 < at(i + 1) <= 126:
            i += 1
            offset += 1
            out.append(data[i])
            if data[i] != ord("\r"):
                can_quote = data[i] == ord("\n")
            i += 1
            continue
        reserved = RESERVED
        if stack and stack[-1].type in ("code", "pre", "pre_code"):
            reserved = b"`"
        if c not in reserved:
            if c & 0xC0 != 0x80:
                offset += 2 if c >= 0xF0 else 1
                if c != ord("\r"):
                    can_quote = False
            out.append(c)
            i += 1
            continue
        if _ends(stack, have_quote, c, data, i, at):
            i = _close(stack, entities, data, i, at, out, offset)
            if i < 0:  # a block quote ended at this newline: it was written out
                i = -i
                offset += 1
                have_quote = False
                can_quote = True
            continue
        start = i
        argument = ""
        kind: str | None
        if c == ord("_"):
            kind = "underline" if at(i + 1) == ord("_") else "italic"
            i += 1 if kind == "underline" else 0
        elif c == ord("*"):
            kind = "bold"
        elif c == ord("~"):
            kind = "strikethrough"
        elif c == ord("|"):
            if at(i + 1) != ord("|"):
                raise _reserved(c)
            i += 1
            kind = "spoiler"
        elif c == ord("["):
            kind = "text_link"
        elif c == ord("`"):
            if at(i + 1) == ord("`") and at(i + 2) == ord("`"):
                i += 3
                kind = "pre"
                end = i
                while at(end) and chr(at(end)) not in " \t\r\n\f\v`":
                    end += 1
                if i != end and end < n and at(end) != ord("`"):
                    kind, argument, i = "pre_code", data[i:end].decode("utf-8", "replace"), end
                if at(i) in (ord("\n"), ord("\r")):
                    if at(i + 1) in (ord("\n"), ord("\r")) and at(i) != at(i + 1):
                        i += 2
                    else:
                        i += 1
                i -= 1
            else:
                kind = "code"
        elif c == ord("!"):
            if at(i + 1) != ord("["):
                raise _reserved(c)
            i += 1
            kind = "custom_emoji"
        elif c == ord("\n"):
            offset += 1
            out.append(c)
            can_quote = True
            kind = None
        elif c == ord(">"):
            if not can_quote:
                raise _reserved(c)
            kind = None if have_quote else "blockquote"
            have_quote = True
        else:
            raise _reserved(c)
        if kind is not None:
            stack.append(_Open(kind, argument, offset, start, len(out)))
        i += 1
    if have_quote and stack:
        kind = "blockquote"
        if stack[-1].type == "spoiler" and stack[-1].byte == n - 2:
            stack.pop()
            kind = "expandable_blockquote"
        if stack and stack[-1].type == "blockquote":
            top = stack.pop()
            if offset != top.offset:
                entities.append((kind, top.offset, offset - top.offset, ""))
    if stack:
        raise ParseError(f"Can't find end of {NAMES[stack[-1].type]} entity at byte offset {stack[-1].byte}")
    ordered = sorted(entities, key=lambda e: (e[1], -e[2], PRIORITY[e[0]]))
    return out.decode("utf-8", "surrogatepass"), [_api(*e) for e in ordered]


def _ends(stack: list[_Open], have_quote: bool, c: int, data: bytes, i: int, at: Any) -> bool:
    if not stack:
        return False
    if have_quote and c == ord("\n") and (i + 1 == len(data) or at(i + 1) != ord(">")):
        return True
    kind = stack[-1].type
    return {
        "bold": c == ord("*"),
        "italic": c == ord("_") and at(i + 1) != ord("_"),
        "code": c == ord("`"),
        "pre": c == ord("`") and at(i + 1) == ord("`") and at(i + 2) == ord("`"),
        "pre_code": c == ord("`") and at(i + 1) == ord("`") and at(i + 2) == ord("`"),
        "text_link": c == ord("]"),
        "underline": c == ord("_") and at(i + 1) == ord("_"),
        "strikethrough": c == ord("~"),
        "spoiler": c == ord("|") and at(i + 1) == ord("|"),
        "custom_emoji": c == ord("]"),
        "blockquote": False,
    }[kind]


def _close(
    stack: list[_Open],
    entities: list[tuple[str, int, int, str]],
    data: bytes,
    i: int,
    at: Any,
    out: bytearray,
    offset: int,
) -> int:
    """Close the innermost entity at ``i``; the next index (negated if a quote ended)."""
    c = data[i]
    kind = stack[-1].type
    if c == ord("\n") and kind != "blockquote":
        top = stack[-1]
        after_spoiler = kind == "spoiler" and (
            top.byte == i - 2 or (top.byte == i - 3 and out and out[-1] == ord("\r"))
        )
        if not after_spoiler:
            raise ParseError(f"Can't find end of {NAMES[kind]} entity at byte offset {top.byte}")
        stack.pop()
        if stack[-1].type != "blockquote":
            raise ParseError(f"Can't find end of {NAMES[stack[-1].type]} entity at byte offset {stack[-1].byte}")
        kind = "expandable_blockquote"
    top = stack[-1]
    argument = top.argument
    skip = offset == top.offset
    if kind in ("underline", "spoiler"):
        i += 1
    elif kind in ("pre", "pre_code"):
        i += 2
    elif kind in ("text_link", "custom_emoji"):
        if at(i + 1) != ord("("):
            if kind == "custom_emoji":
                raise ParseError("The entity must contain a tg://emoji or tg://time URL")
            url = out[top.begin :].decode("utf-8", "replace")
        else:
            i += 2
            begin = i
            raw = bytearray()
            while i < len(data) and data[i] != ord(")"):
                if data[i] == ord("\\") and 0 < at(i + 1) <= 126:
                    raw.append(data[i + 1])
                    i += 2
                    continue
                raw.append(data[i])
                i += 1
            if at(i) != ord(")"):
                raise ParseError(f"Can't find end of a URL at byte offset {begin}")
            url = raw.decode("utf-8", "replace")
        if kind == "custom_emoji":
            argument = _custom_emoji(url)
        elif _is_user_link(url):
            skip = True  # a mention of a user this fake does not know
        else:
            checked = check_link(url)
            skip = skip or checked is None
            argument = checked or ""
    elif kind in ("blockquote", "expandable_blockquote"):
        out.append(c)  # the newline belongs to the quote
        entities.append((kind, top.offset, offset + 1 - top.offset, ""))
        stack.pop()
        return -(i + 1)
    if not skip:
        entities.append((kind, top.offset, offset - top.offset, argument))
    stack.pop()
    return i + 1


def _api(kind: str, offset: int, length: int, argument: str) -> dict[str, Any]:
    if kind == "pre_code":
        return {"type": "pre", "offset": offset, "length": length, "language": argument}
    out: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
    if kind == "text_link":
        out["url"] = argument
    elif kind == "custom_emoji":
        out["custom_emoji_id"] = argument
    return out
