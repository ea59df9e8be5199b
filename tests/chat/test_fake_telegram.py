"""The fake Bot API against the real python-telegram-bot, and against Telegram's own verdicts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, MessageHandler, filters

from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_html import ParseError, parse_html
from tests.fakes.telegram_markdown import parse_markdown_v2

#: Telegram's recorded verdict (plain text and entities, or the exact error) on formatted texts.
CASES = Path(__file__).with_name("telegram-formatting-cases.json")


def cases() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(CASES.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("case", cases(), ids=lambda c: c["mode"] + ":" + repr(c["input"])[:40])
def test_parsers_agree_with_telegram(case: dict[str, Any]) -> None:
    parse = parse_html if case["mode"] == "html" else parse_markdown_v2
    if "error" in case:
        with pytest.raises(ParseError) as info:
            parse(case["input"])
        assert str(info.value) == case["error"]
    else:
        assert parse(case["input"]) == (case["text"], case["entities"])


async def test_ptb_sends_edits_pins_and_sees_errors(telegram: FakeTelegram) -> None:
    telegram.add_chat(-1001, title="Assemblée")
    async with Bot(telegram.token, base_url=telegram.base_url) as bot:
        assert bot.username == "commons_hub_bot"
        sent = await bot.send_message(
            -1001, "<b>Programme</b> &lt;3 &amp; co", parse_mode="HTML", disable_notification=True
        )
        assert sent.text == "Programme <3 & co"
        assert sent.entities[0].type == "bold"
        edited = await bot.edit_message_text("<i>v2</i>", chat_id=-1001, message_id=sent.message_id, parse_mode="HTML")
        assert edited.text == "v2"
        assert await bot.pin_chat_message(-1001, sent.message_id, disable_notification=True)
        with pytest.raises(BadRequest, match=r"(?i)not modified"):
            await bot.edit_message_text("<i>v2</i>", chat_id=-1001, message_id=sent.message_id, parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)parse entities: unsupported start tag .x."):
            await bot.send_message(-1001, "a <b>c</b> <x>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)character '!' is reserved"):
            await bot.send_message(-1001, "*Programme* du jour!", parse_mode="MarkdownV2")
        md = await bot.send_message(-1001, "*Programme* du jour\\!", parse_mode="MarkdownV2")
        assert (md.text, md.entities[0].type) == ("Programme du jour!", "bold")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(-2002, "hello")
        with pytest.raises(BadRequest, match=r"(?i)too long"):
            await bot.send_message(-1001, "x" * 4097)
        telegram.fail("sendMessage", status=429, retry_after=7, chat_id=-1001)
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(-1001, "flood")
        assert info.value.retry_after in (7, dt.timedelta(seconds=7))
        assert await bot.delete_message(-1001, sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("v3", chat_id=-1001, message_id=sent.message_id)
        telegram.kick_bot(-1001)
        with pytest.raises(Forbidden):
            await bot.send_message(-1001, "gone")
    shown = telegram.messages(-1001, include_deleted=True)
    assert [m.versions for m in shown] == [["Programme <3 & co", "v2"], ["Programme du jour!"]]
    assert form_encoded(telegram)


def form_encoded(telegram: FakeTelegram) -> bool:
    """PTB's JSON-encoded form fields came through as values (bool, not the string 'true')."""
    first = next(c for c in telegram.calls if c.method == "sendMessage" and c.status == 200)
    return first.params["disable_notification"] is True and first.params["chat_id"] == -1001


async def test_wrong_token_is_invalid_token(telegram: FakeTelegram) -> None:
    bot = Bot("1:wrong", base_url=telegram.base_url)
    with pytest.raises(InvalidToken):
        await bot.initialize()


async def test_polling_application_receives_injected_messages(telegram: FakeTelegram) -> None:
    telegram.add_chat(-1001)
    received: list[str] = []
    app = Application.builder().token(telegram.token).base_url(telegram.base_url).build()

    async def on_text(update: Any, context: Any) -> None:
        received.append(update.message.text)
        await update.message.reply_text("ok: " + update.message.text)

    app.add_handler(MessageHandler(filters.TEXT, on_text))
    telegram.inject_message(-1001, "quand est la plénière ?", user_id=7)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        for _ in range(200):
            if telegram.messages(-1001):
                break
            await asyncio.sleep(0.05)
        await app.updater.stop()
        await app.stop()
    assert received == ["quand est la plénière ?"]
    assert [m.text for m in telegram.messages(-1001)] == ["ok: quand est la plénière ?"]
    methods = [c.method for c in telegram.calls]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
