"""Which chats wrote to the bot, for ``hub init``: nobody has to look up a chat id or a user id.

A person adds the bot to their group and writes ``/start`` there; the Bot API then holds that
message as an update (``getUpdates``), with the chat's id and title and the sender's user id.
The updates are read without an ``offset``, so none is confirmed: the bot itself still sees them
when it starts. Calls go through the connector (:meth:`TelegramConnector._call`), so a refused
token or an unreachable server is said the way ``hub check`` says it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.telegram import TelegramConnector
from connectors.telegram_config import STAND_INS


@dataclass
class Writer:
    """A person who wrote in a chat: their numeric user id (what ``admins`` takes) and name."""

    id: int
    name: str
    started: bool = False  # wrote /start (or /start@bot)


@dataclass
class FoundChat:
    """A chat the bot is in, known from a message written there."""

    id: int
    title: str
    kind: str
    writers: list[Writer] = field(default_factory=list)


def _name(user: Any) -> str:
    if user.username:
        return f"{user.full_name} (@{user.username})"
    return str(user.full_name)


async def chats_that_wrote(connector: TelegramConnector) -> list[FoundChat]:
    """Every chat with a message waiting for the bot, most recent writers last; the people who
    wrote there (never Telegram's stand-in senders), and whether they wrote ``/start``."""
    await connector.open()
    updates = await connector._call(None, lambda: connector.bot.get_updates(timeout=0, limit=100), sending=False)
    chats: dict[int, FoundChat] = {}
    for update in updates:
        message = update.effective_message
        if message is None or message.chat is None:
            continue
        chat = message.chat
        title = chat.title or chat.full_name or str(chat.id)
        found = chats.setdefault(chat.id, FoundChat(chat.id, title, str(chat.type)))
        user = message.from_user
        if user is None or user.is_bot or user.id in STAND_INS:
            continue
        started = (message.text or "").split(" ")[0].split("@")[0] == "/start"
        writer = next((w for w in found.writers if w.id == user.id), None)
        if writer is None:
            found.writers.append(Writer(user.id, _name(user), started))
        elif started:
            writer.started = True
    return list(chats.values())
