"""Many collectives, one PostgreSQL, one hosting daemon, two workers (real child processes).

Every collective converges on its own files sink, chat and (some) Radicale calendar; each
announcement goes out exactly once; a burst of triggers is one queued sync; two workers never
apply one collective at once; a collective with a broken configuration or paused does not
hold up the others; /metrics and /readyz speak per collective.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from hub.hosting.registry import Registry
from tests.caldav.conftest import CalDAVServer, radicale
from tests.conftest import LONG
from tests.daemon.test_daemon import calendar_has
from tests.fakes.loopback import free_port
from tests.fakes.telegram import FakeTelegram
from tests.helpers import edit_programme
from tests.hosting.conftest import Process, new_database, wait_for
from tests.hosting.world import Hosted, announced, make_collective, trigger

__all__ = ["radicale"]

#: 50 collectives in a long run, a fixed sample of 8 otherwise (CI's budget).
COUNT = 50 if LONG else 8
#: Of which this many also sync a real Radicale calendar.
WITH_CALENDAR = 2


class World:
    def __init__(self, url: str, root: Path, chat: FakeTelegram, collectives: list[Hosted],
                 daemon: Process, workers: list[Process], port: int) -> None:
        self.url = url
        self.root = root
        self.chat = chat
        self.collectives = collectives
        self.daemon = daemon
        self.workers = workers
        self.base = f"http://127.0.0.1:{port}"
        self.registry = Registry(url)

    def logs(self) -> str:
        return "\n".join(p.text()[-4000:] for p in [self.daemon, *self.workers])

    def running(self, collective: str) -> bool:
        """A job of ``collective`` is running now (pausing lets the one in flight end)."""
        with self.registry.engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM hub_queue.procrastinate_jobs WHERE status = 'doing' "
                "AND args->>'collective' = :c"), {"c": collective}).scalar())

    def syncs_started(self, collective: str, reason: str) -> int:
        """How many syncs of ``collective`` the workers started for ``reason`` (their logs)."""
        line = f"[{collective}] sync started ({reason})"
        return sum(1 for worker in self.workers for entry in worker.logs() if entry.get("message") == line)

    def rows(self) -> dict[str, tuple[str | None, int]]:
        return {r.id: (r.last_result, r.syncs) for r in self.registry.all()}

    def wait(self, condition: object, timeout: float, what: str) -> float:
        assert callable(condition)
        return wait_for(condition, timeout, what, self.logs)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, radicale: CalDAVServer) -> Iterator[World]:
    root = tmp_path_factory.mktemp("hosting")
    chat = FakeTelegram()
    with chat.running(), new_database() as url:
        collectives = [make_collective(root, i, chat, radicale if i < WITH_CALENDAR else None)
                       for i in range(COUNT)]
        registry = Registry(url)
        for hosted in collectives:
            registry.add(hosted.id, hosted.config)
        registry.close()
        port = free_port()
        daemon = Process(["daemon", "--hosting", "--listen", f"127.0.0.1:{port}"], url, root / "daemon.log").start()
        # No test here kills a worker (test_kill.py does): a stalled-after well above a loaded
        # machine's pauses keeps a live worker's job from being handed to the other one.
        workers = [Process(["worker", "--concurrency", "2", "--stalled-after", "15"], url,
                           root / f"worker-{n}.log").start() for n in range(2)]
        world = World(url, root, chat, collectives, daemon, workers, port)
        try:
            wait_for(lambda: _answers(world.base), 30, "the hosting daemon's /healthz", world.logs)
            yield world
        finally:
            for process in [*workers, daemon]:
                if process.alive():
                    process.stop()
            world.registry.close()
            chat.inject_message(collectives[0].chat, "fin")


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_every_collective_converges_then_each_change_is_announced_exactly_once(
    world: World, radicale: CalDAVServer,
) -> None:
    took = world.wait(lambda: all(r == "ok" for r, _ in world.rows().values()), 60 + 4 * COUNT,
                      "every collective's first sync")
    for hosted in world.collectives:
        assert hosted.ics_has("accueil-meteo", "DTSTART"), hosted.id
    print(f"{COUNT} collectives converged in {took:.1f} s")

    sent = {h.id: len(world.chat.sends(h.chat)) for h in world.collectives}
    syncs_before = {key: syncs for key, (_, syncs) in world.rows().items()}
    triggered_before = {h.id: world.syncs_started(h.id, "trigger") for h in world.collectives}
    queued: dict[str, int] = {}
    for index, hosted in enumerate(world.collectives):
        edit_programme(hosted.folder, "accueil-meteo", start="2021-11-12T09:15")
        if index % 2 == 0:  # half are told by a webhook, the others found by their probe
            with ThreadPoolExecutor(5) as pool:  # a burst: five triggers at once
                answers = list(pool.map(trigger, [world.base] * 5, [hosted] * 5))
            assert [a.status_code for a in answers] == [202] * 5
            queued[hosted.id] = sum(1 for a in answers if a.json()["new"])
    world.wait(lambda: all(h.ics_has("accueil-meteo", "20211112T091500") for h in world.collectives),
               60 + 2 * COUNT, "every collective's change on its files sink")
    world.wait(lambda: all(announced(world.chat, h, sent[h.id]) >= 1 for h in world.collectives),
               30 + COUNT, "every collective's announcement")
    time.sleep(4)  # probes, ticks and the burst's queued syncs: nothing more may go out
    for hosted in world.collectives:
        assert announced(world.chat, hosted, sent[hosted.id]) == 1, hosted.id
        if hosted.calendar:
            assert calendar_has(radicale, hosted.calendar, "accueil-meteo", "20211112T091500")
    rows = world.rows()
    for hosted in world.collectives:
        result, syncs = rows[hosted.id]
        assert result == "ok", hosted.id
        assert syncs > syncs_before[hosted.id], hosted.id
    for collective, new in queued.items():
        # A trigger that finds a sync queued joins it: the burst queued one, or two when a worker
        # took the first before the last trigger came; on a loaded machine a small programme's
        # sync may even end between two triggers. Never one per trigger, and each queued sync ran.
        assert 1 <= new < 5, f"{collective}: a burst of 5 triggers queued {new} syncs"
        assert world.syncs_started(collective, "trigger") - triggered_before[collective] == new, collective


def _spans(world: World) -> dict[str, list[tuple[float, float, int]]]:
    """Each collective's syncs as (start, end, worker) from the workers' JSON logs."""
    opened: dict[tuple[int, str], float] = {}
    spans: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    for number, worker in enumerate(world.workers):
        for entry in worker.logs():
            collective = entry.get("collective")
            if not collective:
                continue
            at = datetime.fromisoformat(entry["time"]).timestamp()
            if " sync started " in entry["message"]:
                opened[(number, collective)] = at
            elif " sync done " in entry["message"] and (number, collective) in opened:
                spans[collective].append((opened.pop((number, collective)), at, number))
    return spans


def test_two_workers_never_apply_one_collective_at_once(world: World) -> None:
    for _ in range(3):
        for hosted in world.collectives:
            edit_programme(hosted.folder, "accueil-meteo", title="Accueil, météo et café")
            trigger(world.base, hosted)
        time.sleep(0.3)
    world.wait(lambda: all(h.ics_has("accueil-meteo", "café") for h in world.collectives), 60 + 2 * COUNT,
               "the renamed session everywhere")
    spans = _spans(world)
    both = {n for runs in spans.values() for _, _, n in runs}
    assert both == {0, 1}, "both workers ran syncs"
    every = [(start, end, worker) for runs in spans.values() for start, end, worker in runs]
    assert any(a[2] != b[2] and a[0] < b[1] and b[0] < a[1] for a in every for b in every), \
        "the two workers ran syncs (of different collectives) at the same time"
    for collective, runs in spans.items():
        runs.sort()
        for (_, end, _), (start, _, _) in itertools.pairwise(runs):
            assert start >= end, f"{collective}: two syncs at once ({runs})"


def test_a_broken_or_paused_collective_does_not_hold_up_the_others(world: World) -> None:
    broken, paused, other = world.collectives[0], world.collectives[1], world.collectives[2]
    good = broken.config.read_text(encoding="utf-8")
    broken.config.write_text(good.replace('type = "files"', 'type = "flies"'), encoding="utf-8")
    world.registry.set_paused(paused.id, True)
    world.wait(lambda: not world.running(paused.id), 30, "the paused collective's job in flight to end")
    before = {h.id: len(world.chat.sends(h.chat)) for h in (paused, other)}
    for hosted in (broken, paused, other):
        edit_programme(hosted.folder, "accueil-meteo", start="2021-11-12T09:45")
    assert trigger(world.base, paused).status_code == 409
    assert trigger(world.base, broken).status_code == 404, "a configuration that cannot be read has no token"
    assert trigger(world.base, other, token="wrong-" + other.token).status_code == 403
    assert trigger(world.base, other).status_code == 202
    world.wait(lambda: other.ics_has("accueil-meteo", "20211112T094500"), 30, "the healthy collective's change")
    world.wait(lambda: world.registry.get(broken.id).last_result == "refused", 30, "the broken one refused")
    assert not paused.ics_has("accueil-meteo", "20211112T094500"), "nothing runs for a paused collective"
    assert len(world.chat.sends(paused.chat)) == before[paused.id]
    error = world.registry.get(broken.id).last_error or ""
    assert "flies" in error and other.id not in error

    metrics = httpx.get(f"{world.base}/metrics", timeout=10).text
    assert f'hub_collective_paused{{collective="{paused.id}"}} 1' in metrics
    assert f'hub_collective_last_result{{collective="{broken.id}",result="refused"}} 1' in metrics
    assert f'hub_collective_last_result{{collective="{other.id}",result="ok"}} 1' in metrics
    ready = httpx.get(f"{world.base}/readyz", timeout=10).json()
    assert ready["store"] == "ok" and ready["collectives"][paused.id]["paused"] is True

    broken.config.write_text(good, encoding="utf-8")  # mended: the next probe syncs it
    world.registry.set_paused(paused.id, False)
    world.wait(lambda: broken.ics_has("accueil-meteo", "20211112T094500")
               and paused.ics_has("accueil-meteo", "20211112T094500"), 40, "both back in step")
    # the session was renamed by the test before: its announcement names the new title
    for hosted in (paused, other):
        world.wait(lambda h=hosted: announced(world.chat, h, before[h.id], "météo et café") >= 1, 20,
                   f"{hosted.id}'s announcement")
    time.sleep(3)
    assert [announced(world.chat, h, before[h.id], "météo et café") for h in (paused, other)] == [1, 1]
    for process in world.workers:
        assert "flies" not in "".join(e["message"] for e in process.logs() if e.get("collective") == other.id)
