"""Telegram's HTML parse mode, as the Bot API server applies it to ``parse_mode=HTML``.

The fake Bot API must reject exactly what Telegram rejects, with the same words, or a connector
that escapes badly passes its tests and fails in production. This follows the server's own
rules (tdlib ``parse_html``): the tag list, attribute syntax, the four named entities, numeric
entities, UTF-16 offsets, ``<pre><code class="language-x">`` merging, link checking, and
entity ordering (offset, longer first, then a fixed type priority). It is checked against the
server's recorded verdicts in ``shared/fixtures/telegram-formatting-cases.json``.

:func:`parse_html` returns ``(text, entities)`` in Bot API form or raises :class:`ParseError`
whose message is what follows "can't parse entities: " in the server's description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALLOWED_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
     "tg-time", "span", "pre", "code", "blockquote"}
)
#: Ordering priority of entity types at the same offset and length (lower first).
PRIORITY = {
    "bold": 90, "italic": 91, "code": 20, "pre": 11, "pre_code": 10, "text_link": 49,
    "text_mention": 49, "underline": 92, "strikethrough": 93, "blockquote": 0, "spoiler": 94,
    "custom_emoji": 99, "expandable_blockquote": 0, "date_time": 30,
}
SIMPLE = {
    "i": "italic", "em": "italic", "b": "bold", "strong": "bold", "s": "strikethrough",
    "strike": "strikethrough", "del": "strikethrough", "u": "underline", "ins": "underline",
    "tg-spoiler": "spoiler",
}
_URL_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_!$,~*'();&+=")


class ParseError(ValueError):
    """The text is not valid Telegram HTML; ``str()`` is the server's wording."""


@dataclass
class _Entity:
    type: str
    offset: int
    length: int
    argument: str = ""

    def key(self) -> tuple[int, int, int]:
        return (self.offset, -self.length, PRIORITY[self.type])

    def to_api(self) -> dict[str, Any]:
        if self.type == "pre_code":
            return {"type": "pre", "offset": self.offset, "length": self.length,
                    "language": self.argument}
        out: dict[str, Any] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.type == "text_link":
            out["url"] = self.argument
        elif self.type == "custom_emoji":
            out["custom_emoji_id"] = self.argument
        return out


@dataclass
class _Open:
    tag: str
    argument: str
    date: int
    offset: int
    begin: int  # index in the output buffer
    has_argument: bool = field(default=False)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _is_space(ch: str) -> bool:
    return ch in " \t\r\n\f\v"


def _is_alnum(byte: int) -> bool:
    return chr(byte).isascii() and chr(byte).isalnum()


def _decode_entity(data: bytes, pos: int) -> tuple[int, int]:
    """(code point or 0, position after the entity) for the '&' at ``pos``."""
    end = pos + 1
    res = 0
    if end < len(data) and data[end] == ord("#"):
        end += 1
        if end < len(data) and data[end] == ord("x"):
            end += 1
            while end < len(data) and chr(data[end]) in "0123456789abcdefABCDEF":
                res = res * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while end < len(data) and 48 <= data[end] <= 57:
                res = res * 10 + data[end] - 48
                end += 1
        if res == 0 or res >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        name = data[pos + 1 : end]
        res = {b"lt": 60, b"gt": 62, b"amp": 38, b"quot": 34}.get(name, 0)
        if not res:
            return 0, pos
    if end < len(data) and data[end] == ord(";"):
        end += 1
    return res, end


def check_link(link: str) -> str | None:
    """The normalised URL Telegram keeps for ``<a href>``, or None if it drops the link."""
    lower = link.lower()
    scheme = "http"
    rest = link
    head = ""
    for ch in link:
        if ch in ":/?#@[]":
            break
        head += ch
    if link[len(head) : len(head) + 3] == "://":
        if head.lower() not in ("http", "https"):
            return None
        scheme, rest = head.lower(), link[len(head) + 3 :]
    elif lower.startswith("tg:"):
        return None  # tg:// links need a user or a chat that the fake does not model
    cut = len(rest)
    for i, ch in enumerate(rest):
        if ch in "/?#":
            cut = i
            break
    hostport, query = rest[:cut], rest[cut:]
    host = hostport
    colon = hostport.rfind(":")
    port = ""
    if colon > 0 and "]" not in hostport[colon:] and "@" not in hostport[colon:]:
        port_text = hostport[colon + 1 :].lstrip("0") or "0"
        if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
            return None
        host, port = hostport[:colon], port_text
    if "@" in host:
        return None  # userinfo: not something the hub ever sends
    if not host or host == "." or "." not in host:
        return None
    for ch in host:
        if ch not in _URL_SAFE and ord(ch) < 128:
            return None
    query = query.rstrip(" \t\r\n\f\v") or "/"
    if not query.startswith("/"):
        query = "/" + query
    query = "".join(f"%{ord(c):02X}" if ord(c) <= 0x20 else c for c in query)
    return f"{scheme}://{host.lower()}{':' + port if port else ''}{query}"


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and Bot API entities for an HTML-formatted message text."""
    data = source.encode("utf-8")
    n = len(data)
    out = bytearray()
    offset = 0
    entities: list[_Entity] = []
    stack: list[_Open] = []

    def at(k: int) -> int:
        return data[k] if k < n else 0

    i = 0
    while i < n:
        c = data[i]
        if c == ord("&"):
            code, after = _decode_entity(data, i)
            if code:
                offset += 2 if code > 0xFFFF else 1
                out += chr(code).encode("utf-8", "surrogatepass")
                i = after
                continue
        if c != ord("<"):
            if c & 0xC0 != 0x80:  # first byte of a character
                offset += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != ord("/"):
            while at(i) and not _is_space(chr(at(i))) and at(i) != ord(">"):
                i += 1
            if not at(i):
                raise ParseError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in ALLOWED_TAGS:
                raise ParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument, date = "", 0
            while at(i) != ord(">"):
                while at(i) and _is_space(chr(at(i))):
                    i += 1
                if at(i) == ord(">"):
                    break
                name_begin = i
                while at(i) and not _is_space(chr(at(i))) and chr(at(i)) not in "=>/\"'":
                    i += 1
                name = data[name_begin:i].decode("utf-8", "replace")
                if not name:
                    raise ParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while at(i) and _is_space(chr(at(i))):
                    i += 1
                if at(i) != ord("="):
                    if not at(i):
                        raise ParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                    if tag == "blockquote" and name == "expandable":
                        argument = "1"
                    continue
                i += 1
                while at(i) and _is_space(chr(at(i))):
                    i += 1
                if not at(i):
                    raise ParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if chr(at(i)) not in "'\"":
                    token_begin = i
                    while at(i) and (_is_alnum(at(i)) or chr(at(i)) in ".-"):
                        i += 1
                    value = data[token_begin:i].decode().lower()
                    if not _is_space(chr(at(i))) and at(i) != ord(">"):
                        raise ParseError(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    buf = bytearray()
                    while at(i) and at(i) != quote:
                        if at(i) == ord("&"):
                            code, after = _decode_entity(data, i)
                            if code:
                                buf += chr(code).encode("utf-8", "surrogatepass")
                                i = after
                                continue
                        buf.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = buf.decode("utf-8", "replace")
                if not at(i):
                    raise ParseError(f"Unclosed start tag at byte offset {begin}")
                if tag == "a" and name == "href":
                    argument = value
                elif tag == "code" and name == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and name == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and name == "expandable":
                    argument = "1"
                elif tag == "tg-time" and name == "unix":
                    date = int(value) if value.lstrip("-").isdigit() else 0
                elif tag == "tg-time" and name == "format":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
            stack.append(_Open(tag, argument, date, offset, len(out)))
        else:
            if not stack:
                raise ParseError(f"Unexpected end tag at byte offset {begin}")
            while at(i) and not _is_space(chr(at(i))) and at(i) != ord(">"):
                i += 1
            end_tag = data[begin + 2 : i].decode("utf-8", "replace").lower()
            while at(i) and _is_space(chr(at(i))):
                i += 1
            if at(i) != ord(">"):
                raise ParseError(f"Unclosed end tag at byte offset {begin}")
            top = stack[-1]
            if end_tag and end_tag != top.tag:
                raise ParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{top.tag}>", '
                    f'found "</{end_tag}>"'
                )
            if offset > top.offset:
                _close(top, offset, entities, bytes(out))
            stack.pop()
        i += 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity.type == "code":
            entity.argument = ""
    entities.sort(key=_Entity.key)
    text = out.decode("utf-8", "surrogatepass")
    return text, [e.to_api() for e in entities]


def _close(top: _Open, offset: int, entities: list[_Entity], out: bytes) -> None:
    start, length = top.offset, offset - top.offset
    tag = top.tag
    last = entities[-1] if entities else None
    same = last is not None and last.offset == start and last.length == length
    if tag in SIMPLE or (tag == "span" and top.argument == "spoiler"):
        entities.append(_Entity(SIMPLE.get(tag, "spoiler"), start, length))
    elif tag == "tg-emoji":
        if not top.argument.isdigit() or int(top.argument) == 0:
            raise ParseError("Invalid custom emoji identifier specified")
        entities.append(_Entity("custom_emoji", start, length, top.argument))
    elif tag == "tg-time":
        fmt = top.argument
        if fmt not in ("r", "R") and any(ch not in "tTdDwW" for ch in fmt):
            raise ParseError("Invalid date format used")
        if top.date > 0:
            entities.append(_Entity("date_time", start, length, fmt))
    elif tag == "a":
        url = top.argument or out[top.begin :].decode("utf-8", "replace")
        checked = check_link(url)
        if checked:
            entities.append(_Entity("text_link", start, length, checked))
    elif tag == "pre":
        if last is not None and same and last.type == "code" and last.argument:
            last.type = "pre_code"
        else:
            entities.append(_Entity("pre", start, length))
    elif tag == "code":
        if last is not None and same and last.type == "pre" and top.argument:
            last.type, last.argument = "pre_code", top.argument
        else:
            entities.append(_Entity("code", start, length, top.argument))
    elif tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        entities.append(_Entity(kind, start, length))
