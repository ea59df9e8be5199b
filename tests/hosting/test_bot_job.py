"""The bot-answer job itself, in a worker's process: a collective paused after its message was
queued answers nothing (and says so in its counts); an unknown one is skipped."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from hub.hosting import jobs
from hub.hosting.bots import Answerers, answer_update, bot_counts, create_counts
from hub.hosting.registry import Registry
from tests.helpers import write_config


def test_a_collective_paused_after_its_message_was_queued_does_not_answer(hosting_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, """
[connectors.exports]
type = "files"
path = "public"
""", database="sqlite:///unused-when-hosted.db")
    registry = Registry(hosting_url)
    create_counts(registry)
    stores = jobs.Stores(registry.url, pool_size=1)
    answerers = Answerers()
    queued: list[str] = []

    async def queue_sync() -> None:
        queued.append("sync")

    async def run(collective: str) -> str:
        return await answer_update(registry, stores, answerers, collective, "telegram",
                                   {"update_id": 1, "message": {}}, queued_at=None, queue_sync=queue_sync)

    try:
        registry.add("ateliers", config)
        registry.set_paused("ateliers", True)
        assert asyncio.run(run("ateliers")) == "paused"
        assert asyncio.run(run("nobody")) == "unknown"
        with registry.engine.connect() as conn:
            row = conn.execute(select(bot_counts).where(bot_counts.c.collective == "ateliers")).one()
        assert (row.updates, row.replies, row.skipped) == (0, 0, 1)
        assert queued == []
    finally:
        stores.close()
        registry.close()
