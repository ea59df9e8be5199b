"""``hub init`` for Telegram: the token BotFather gave; ``getMe`` proves it; then the person adds
the bot to their group and writes ``/start`` there, and the wizard lists the chats that wrote to
the bot and the people who did: nobody looks up a chat id or a user id."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from connectors.telegram_config import PUBLIC_API
from connectors.telegram_setup import FoundChat, chats_that_wrote
from hub.init.prompt import Invalid
from hub.init.section import Section, opened
from hub.init.setup import Setup

#: Seconds an answers file's run waits for a chat to write to the bot, by default.
WAIT = 30.0


def configure(setup: Setup) -> Section:
    ask = setup.asker
    api_url = str(ask.given("telegram.api_url") or PUBLIC_API)

    def token_step() -> Section:
        token = str(ask.ask("telegram.token", secret=True))
        if ":" not in token:
            raise Invalid(setup.say("telegram.token_shape"))
        section = Section(setup.name("telegram"), "telegram", setup.say("telegram.title"))
        setup.taken.discard(section.name)
        if api_url != PUBLIC_API:
            section.set("api_url", api_url)
        section.set("chats", [])
        section.secret("token", token)
        setup.prove(section)
        setup.taken.add(section.name)
        return section

    section = setup.attempt(("telegram.token",), token_step)
    bot = asyncio.run(_bot_name(section, setup))
    found = _wait_for_chats(setup, section, bot)
    options = [(str(chat.id), f"{chat.title} ({chat.kind})") for chat in found]
    chosen = ask.choose("telegram.chats", options, default=" ".join(str(n) for n in range(1, len(found) + 1)),
                        many=True)
    chats = [chat for chat in found if str(chat.id) in chosen]
    section.set("chats", [chat.id for chat in chats], setup.say("telegram.chats.comment"))
    section.set("admins", _admins(setup, chats), setup.say("telegram.admins.comment"))
    setup.prove(section)
    return section


async def _bot_name(section: Section, setup: Setup) -> str:
    async with opened(section, setup.folder, setup.lang) as connector:
        await connector.check()
        return str(connector.bot.username)  # type: ignore[attr-defined]


async def _discover(section: Section, setup: Setup) -> list[FoundChat]:
    async with opened(section, setup.folder, setup.lang) as connector:
        return await chats_that_wrote(connector)  # type: ignore[arg-type]


def _wait_for_chats(setup: Setup, section: Section, bot: str) -> list[FoundChat]:
    """The chats that wrote to the bot: at the terminal, after the person says they wrote
    ``/start``; from a file, polled for ``[telegram] wait`` seconds."""
    ask = setup.asker
    ask.tell("telegram.add_bot", bot=bot)
    deadline = time.monotonic() + float(ask.given("telegram.wait") or WAIT)
    while True:
        if ask.interactive:
            ask.ask("telegram.ready", default=setup.say("telegram.ready.default"))
        wrote = asyncio.run(_discover(section, setup))
        found = [chat for chat in wrote if chat.kind != "private"] or wrote  # groups first
        if found:
            return found
        if ask.interactive:
            ask.tell("telegram.nothing_yet", bot=bot)
            ask.forget("telegram.ready")
            continue
        if time.monotonic() > deadline:
            ask.refuse("telegram.chats", setup.say("telegram.nothing_yet", bot=bot))
        time.sleep(0.5)


def _admins(setup: Setup, chats: list[FoundChat]) -> list[int]:
    """The people allowed the admin commands, picked among those who wrote (those who wrote
    ``/start`` by default); by their numeric id, which the wizard read from their message."""
    writers: dict[int, Any] = {}
    for chat in chats:
        for writer in chat.writers:
            writers.setdefault(writer.id, writer)
    if not writers:
        return []
    people = list(writers.values())
    options = [(str(w.id), w.name) for w in people] + [("none", setup.say("nobody"))]
    default = " ".join(str(n) for n, w in enumerate(people, 1) if w.started) or "none"
    chosen = setup.asker.choose("telegram.admins", options, default=default, many=True)
    return [w.id for w in people if str(w.id) in chosen]
