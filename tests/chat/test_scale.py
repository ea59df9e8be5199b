"""A programme of 10,000 sessions: the day messages stay within limits, a one-session change
costs a couple of edits, and an unchanged rerun costs nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from connectors.telegram import TelegramConfig, TelegramConnector
from sync.model import Programme
from tests.chat.support import Driver, context, moved, reference_programme
from tests.fakes.telegram import FakeTelegram

CHAT = -1001


def big_programme(count: int = 10_000) -> Programme:
    programme = reference_programme()
    base = programme.sessions["atelier-culture-juridique"]
    venues = sorted(programme.venues)
    sessions = []
    for i in range(count):
        start = base.start.replace(day=12 + i % 3, hour=8 + (i // 3) % 12, minute=(i * 7) % 60)
        sessions.append(
            base.with_fields(
                {
                    "id": f"s{i:05d}",
                    "title": f"Atelier {i} : communs & <territoires>",
                    "start": start.isoformat(),
                    "end": (start + timedelta(hours=1)).isoformat(),
                    "venue": venues[i % len(venues)],
                }
            )
        )
    return programme.with_sessions(sessions)


async def test_ten_thousand_sessions(telegram: FakeTelegram, tmp_path: Path) -> None:
    telegram.add_chat(CHAT)
    config = TelegramConfig(
        type="telegram",
        api_url=telegram.url,
        token=telegram.token,  # type: ignore[arg-type]
        chats=[CHAT],
        pace_seconds=0,
        group_per_minute=0,
    )
    connector = TelegramConnector("telegram", config, context("telegram", tmp_path))
    try:
        programme = big_programme()
        driver = Driver(connector)
        await driver.sync(programme)
        posted = telegram.messages(CHAT)
        assert all(len(m.text) <= 4096 for m in posted)
        shown = "\n".join(m.text for m in posted)
        assert all(f"Atelier {i} : communs & <territoires>" in shown for i in range(0, 10_000, 97))

        calls = len(telegram.calls)
        await driver.sync(moved(programme, "s04321", title="Atelier 4321 : renommé"))
        edits = [c.method for c in telegram.calls[calls:]]
        assert edits.count("sendMessage") == 0
        assert 1 <= edits.count("editMessageText") <= 2, edits

        calls = len(telegram.calls)
        driver.links.clear()  # even a full re-push changes nothing on the chat
        await driver.sync(moved(programme, "s04321", title="Atelier 4321 : renommé"))
        assert len(telegram.calls) == calls
    finally:
        await connector.close()
        await connector.ctx.close_http()
