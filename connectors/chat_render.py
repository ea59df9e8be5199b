"""What chat channels show: a day's programme and announcements, rendered and split per channel.

Telegram gets HTML (only the tags its parser accepts, user text escaped), Signal plain text,
Talk Markdown. Every message must fit the channel's limit, so long texts are split at line
ends (then at spaces), and an HTML split never leaves a tag open: each part closes what it
opened and the next one reopens it, so each part parses on its own.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Iterable
from datetime import date, datetime

from sync.announce import Announcement, Format, escape
from sync.i18n import Catalogue, say_date, say_time
from sync.model import Programme, Session

MESSAGES = Catalogue({
    "board.title": {"fr": "Programme du {day}", "en": "Programme for {day}"},
    "board.empty": {
        "fr": "Rien au programme ce jour-là.",
        "en": "Nothing on the programme that day.",
    },
    "board.cancelled": {"fr": "annulé", "en": "cancelled"},
    "board.tentative": {"fr": "à confirmer", "en": "to be confirmed"},
    "chat.not_configured": {
        "fr": "{target} ne fait pas partie de la configuration : rien n'y est envoyé",
        "en": "{target} is not in the configuration: nothing is sent there",
    },
    "chat.token_missing": {
        "fr": "connectors.{name} : indiquez token ou token_file",
        "en": "connectors.{name}: set token or token_file",
    },
    "chat.token_refused": {
        "fr": "le jeton du bot est refusé",
        "en": "the bot token was refused",
    },
    "chat.forbidden": {
        "fr": "{target} : le bot n'a pas le droit d'y écrire ({reason})",
        "en": "{target}: the bot may not write there ({reason})",
    },
    "chat.migrated": {
        "fr": "{target} : le groupe est devenu un supergroupe, utilisez {new} dans chats",
        "en": "{target}: the group became a supergroup, use {new} in chats",
    },
    "board.in_doubt": {
        "fr": "{target} : le message du programme du {day} est peut-être là deux fois (un passage s'est "
        "arrêté avant d'en garder l'identifiant) ; supprimez l'ancien s'il est en double",
        "en": "{target}: the programme message for {day} may show twice (a run stopped before keeping "
        "its id); delete the older one if it is doubled",
    },
    "chat.unknown_fate": {
        "fr": "{target} : connexion coupée après l'envoi, remise inconnue "
        "(pas de nouvel envoi, pour éviter un doublon)",
        "en": "{target}: the connection broke after sending, delivery unknown (not resent, to avoid a duplicate)",
    },
    "chat.unreachable": {
        "fr": "{target} : serveur injoignable ({reason})",
        "en": "{target}: server unreachable ({reason})",
    },
    "chat.paused": {
        "fr": "{target} : limite de débit, reprise dans {seconds} s",
        "en": "{target}: rate limited, resuming in {seconds} s",
    },
    "signal.held": {
        "fr": "Signal demande de ralentir ou de résoudre un CAPTCHA ({detail}) : résolvez le défi "
        "(signal-cli-rest-api /v1/accounts/<numéro>/rate-limit-challenge), puis lancez "
        "`hub connector reset {name}`",
        "en": "Signal asks to slow down or to solve a CAPTCHA ({detail}): solve the challenge "
        "(signal-cli-rest-api /v1/accounts/<number>/rate-limit-challenge), then run "
        "`hub connector reset {name}`",
    },
    "check.telegram.bot": {
        "fr": "le bot @{bot} répond sur {url}",
        "en": "bot @{bot} answers at {url}",
    },
    "check.chat": {
        "fr": "conversation {target} ({title}) joignable",
        "en": "chat {target} ({title}) is reachable",
    },
    "check.signal.api": {
        "fr": "signal-cli-rest-api {version} en mode json-rpc sur {url}",
        "en": "signal-cli-rest-api {version} in json-rpc mode at {url}",
    },
    "check.signal.mode": {
        "fr": "connectors.{name} : signal-cli-rest-api tourne en mode « {mode} » ; lancez-le avec MODE=json-rpc",
        "en": "connectors.{name}: signal-cli-rest-api runs in '{mode}' mode; start it with MODE=json-rpc",
    },
    "check.signal.old": {
        "fr": "connectors.{name} : signal-cli-rest-api {version} est trop ancien (0.101 ou plus)",
        "en": "connectors.{name}: signal-cli-rest-api {version} is too old (0.101 or newer)",
    },
    "check.signal.group": {
        "fr": "connectors.{name}.groups : le bot n'est pas dans le groupe {group}",
        "en": "connectors.{name}.groups: the bot is not in group {group}",
    },
})


say = MESSAGES.say

def local_day(moment: datetime, programme: Programme) -> date:
    return moment.astimezone(programme.tz).date()


def event_days(programme: Programme) -> list[date]:
    """The event's days: the declared ones plus any day a session starts on."""
    days = {d.date for d in programme.days}
    days |= {local_day(s.start, programme) for s in programme.sessions.values()}
    return sorted(days)


def sessions_by_day(programme: Programme) -> dict[date, list[Session]]:
    """Sessions grouped by local start day, each day in programme order (one pass)."""
    grouped: dict[date, list[Session]] = {}
    for session in programme.sorted_sessions():
        grouped.setdefault(local_day(session.start, programme), []).append(session)
    return grouped


def render_day(programme: Programme, day: date, sessions: Iterable[Session], lang: str, fmt: Format) -> str:
    """The "programme du jour" text for ``day``: a title line, then one line per session."""
    title = escape(say("board.title", lang, day=say_date(day, lang)), fmt)
    lines = [_session_line(programme, s, lang, fmt) for s in sessions]
    if not lines:
        lines = [escape(say("board.empty", lang), fmt)]
    if fmt == "html":
        return f"<b>{title}</b>\n" + "\n".join(lines)
    if fmt == "markdown":
        return f"**{title}**\n\n" + "\n".join(f"- {line}" for line in lines)
    return f"{title}\n" + "\n".join(lines)


def _session_line(programme: Programme, session: Session, lang: str, fmt: Format) -> str:
    start, end = session.start.astimezone(programme.tz), session.end.astimezone(programme.tz)
    when = f"{say_time(start, lang)} – {say_time(end, lang)}"
    venue = programme.venue_of(session)
    where = escape(venue.name if venue else (session.venue or ""), fmt)
    title = escape(session.title, fmt)
    if fmt == "html":
        core = f"{when} · <b>{title}</b>"
    elif fmt == "markdown":
        core = f"{escape(when, fmt)} · **{title}**"
    else:
        core = f"{when} · {title}"
    if where:
        core += f" · {where}"
    if session.status == "cancelled":
        word = escape(say("board.cancelled", lang), fmt)
        if fmt == "html":
            return f"<s>{core}</s> ({word})"
        if fmt == "markdown":
            return f"~~{core}~~ ({word})"
        return f"{core} ({word.upper()})"
    if session.status == "tentative":
        core += f" ({escape(say('board.tentative', lang), fmt)})"
    return core


def pinned_day(days: list[date], today: date) -> date | None:
    """The day a chat's pin shows: today during the event, else the next day, else the last."""
    if not days:
        return None
    upcoming = [d for d in days if d >= today]
    return upcoming[0] if upcoming else days[-1]


def announcement_parts(announcement: Announcement, lang: str, fmt: Format, limit: int) -> list[str]:
    """The announcement as one or more messages that each fit ``limit``."""
    return split_message(announcement.render(lang, fmt), limit, fmt)


# splitting -----------------------------------------------------------------------------------
_TOKEN = re.compile(r"<[^>]*>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);|[^<&]|&")
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def visible_length(text: str, fmt: Format) -> int:
    """Characters a reader sees (what Telegram counts against its limit, after parsing)."""
    if fmt != "html":
        return len(text)
    return len(html.unescape(re.sub(r"<[^>]*>", "", text)))


def split_message(text: str, limit: int, fmt: Format, *, stable: bool = False) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` visible characters, at line ends first.

    With ``stable``, part boundaries are chosen by the lines' content (a cut after a line whose
    checksum ends in three zero bits, once a part is half full), not only by size: editing one
    line of a long day then changes one part, instead of shifting every later boundary and
    forcing an edit of every later message.
    """
    if visible_length(text, fmt) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        length = visible_length(line, fmt)
        if current and (
            size + 1 + length > limit or (stable and size >= limit // 2 and zlib.crc32(current[-1].encode()) % 8 == 0)
        ):
            parts.append("\n".join(current))
            current, size = [], 0
        if length > limit:
            pieces = _split_line(line, limit, fmt)
            parts.extend(pieces[:-1])
            line, length = pieces[-1], visible_length(pieces[-1], fmt)
        size += length + (1 if current else 0)
        current.append(line)
    if current:
        parts.append("\n".join(current))
    return [p for p in parts if p.strip()]


def _split_line(line: str, limit: int, fmt: Format) -> list[str]:
    """Split one over-long line at spaces (hard cut if none), keeping HTML tags balanced."""
    tokens = _TOKEN.findall(line) if fmt == "html" else list(line)
    pieces: list[str] = []
    prefix: list[str] = []  # opening tags the current piece starts by reopening
    current: list[str] = []
    visible = 0
    for token in tokens:
        is_tag = fmt == "html" and _TAG.fullmatch(token) is not None
        if not is_tag and visible >= limit:
            spaces = [i for i, t in enumerate(current) if t == " " and i > 0]
            cut = spaces[-1] if spaces else len(current)
            head, tail = current[:cut], current[cut:]
            still_open = _still_open(prefix + head)
            closing = "".join(f"</{_name(t)}>" for t in reversed(still_open))
            pieces.append("".join(prefix + head).rstrip() + closing)
            prefix = still_open
            while tail and tail[0] == " ":
                tail.pop(0)
            current = tail
            visible = sum(1 for t in current if not (fmt == "html" and _TAG.fullmatch(t)))
        current.append(token)
        if not is_tag:
            visible += 1
    pieces.append("".join(prefix + current))
    return pieces


def _name(tag: str) -> str:
    match = _TAG.fullmatch(tag)
    return match.group(2).lower() if match else ""


def _still_open(tokens: list[str]) -> list[str]:
    """Opening tags not closed by the end of ``tokens``, outermost first."""
    stack: list[str] = []
    for token in tokens:
        match = _TAG.fullmatch(token)
        if match is None:
            continue
        if match.group(1):
            if stack:
                stack.pop()
        else:
            stack.append(token)
    return stack
