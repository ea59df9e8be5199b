"""A worker SIGKILLed in the middle of a sync: procrastinate's stalled-job recovery hands the
job to another worker, the outbox settles what the dead one had sent: nothing lost, nothing
sent twice, and the other collectives never noticed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hub.hosting.registry import Registry
from tests.fakes.telegram import FakeTelegram
from tests.helpers import edit_programme
from tests.hosting.conftest import Process, new_database, wait_for
from tests.hosting.world import announced, make_collective


@pytest.fixture
def chat() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    with fake.running():
        yield fake


def test_a_worker_killed_mid_sync_loses_nothing_and_sends_nothing_twice(tmp_path: Path, chat: FakeTelegram) -> None:
    victim, bystander = (make_collective(tmp_path, i, chat, None) for i in range(2))
    with new_database() as url:
        registry = Registry(url)
        for hosted in (victim, bystander):
            registry.add(hosted.id, hosted.config)
        first = Process(["worker", "--stalled-after", "3"], url, tmp_path / "first.log").start()
        second = Process(["worker", "--stalled-after", "3"], url, tmp_path / "second.log")
        logs = lambda: first.text()[-3000:] + second.text()[-3000:]  # noqa: E731
        try:
            wait_for(lambda: all(r.last_result == "ok" for r in registry.all()), 60, "the first syncs", logs)
            sent = {h.id: len(chat.sends(h.chat)) for h in (victim, bystander)}
            held = chat.hold("sendMessage", chat_id=victim.chat)
            edit_programme(victim.folder, "accueil-meteo", start="2021-11-12T09:15")
            assert held.wait(30), "the worker is sending the victim's announcement"
            first.kill()  # the message went out; the worker never heard its id, nor recorded it
            chat.release()
            edit_programme(bystander.folder, "accueil-meteo", start="2021-11-12T09:15")
            second.start()
            wait_for(lambda: all(h.ics_has("accueil-meteo", "20211112T091500") for h in (victim, bystander)), 60,
                     "both collectives' change on their sinks", logs)
            wait_for(lambda: announced(chat, bystander, sent[bystander.id]) == 1, 30, "the bystander's announcement",
                     logs)
            wait_for(lambda: registry.get(victim.id).syncs >= 2, 30, "the victim's interrupted sync run again", logs)
            assert any("stalled job(s) handed back" in e["message"] for e in second.logs()), second.text()[-3000:]
            assert announced(chat, victim, sent[victim.id]) == 1, "a message whose fate was unknown is not sent again"
            with registry.engine.connect() as conn:
                states = dict(conn.execute(text(
                    f"SELECT state, count(*) FROM c_{victim.id}.outbox GROUP BY state")).all())
            assert states.get("pending", 0) == 0 and states.get("sending", 0) == 0, states
            assert states.get("in_doubt", 0) <= 1, states
            assert registry.get(victim.id).last_result == "ok"
        finally:
            for process in (first, second):
                if process.alive():
                    process.stop()
            registry.close()
