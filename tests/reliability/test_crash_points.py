"""A real ``hub sync`` killed with SIGKILL at chosen points of pull, merge and apply, beside a real
Radicale, Etherpad and WordPress and the Telegram and Signal fakes; after each kill the next run
converges: nothing lost, no duplicate write, at most one chat message per chat flagged
``in_doubt`` (and shown by ``hub status``), and the run after that writes nothing.

The scenario is the life of a programme: a first sync (every sink filled), then an organiser
moves a session and syncs again (one calendar event, one pad block, the page and the day
messages updated; one announcement on each chat and one news post). A first pass without a
kill counts its crash points (:mod:`tests.doubles.crashpoints`: every HTTP answer a connector
receives, every state-store commit) and where they fall. Then, for each chosen point, a world
of its own (calendar, pad, page, chats) lives the scenario with the process killed at that
point, and is checked once the next run is over.

CI runs a fixed sample spread over the stages of both syncs; ``HUB_LONG_TESTS=1`` runs every
point.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LONG
from tests.helpers import edit_programme, write_config
from tests.reliability.world import DAY_PREFIX, MOVE, MOVED, SESSIONS, Peers, Runner, World, check_converged

pytestmark = [pytest.mark.peer("radicale"), pytest.mark.peer("etherpad"), pytest.mark.peer("wordpress")]

#: How many points CI tries, spread over the stages of both syncs.
SAMPLE = 10
#: Worlds crashed at the same time (each waits on its servers half the time).
PARALLEL = 2
FIRST, SECOND = "first", "second"


@dataclass(frozen=True)
class Point:
    """One crash point of the scenario: which sync, its number in that sync, where it falls."""

    sync: str
    n: int
    stage: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.sync}-{self.n}-{self.stage}-{self.kind}"


def count_points(folder: Path, peers: Peers, runner: Runner) -> list[Point]:
    """Live the scenario once without a kill, noting every point."""
    world = World(folder, peers, runner=runner)
    points: list[Point] = []
    for sync in (FIRST, SECOND):
        if sync == SECOND:
            world.move()
        log = folder / f"{sync}.points"
        code, _report, err = world.sync({"HUB_TEST_POINTS": str(log)})
        assert code == 0, err
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            points.append(Point(sync, entry["n"], entry["stage"], entry["kind"], entry["detail"]))
    check_converged(world, moved=True)
    return points


def sample(points: list[Point], size: int) -> list[Point]:
    """The first point of each stage of each sync, then points evenly spread over the rest."""
    chosen: list[Point] = []
    seen: set[tuple[str, str]] = set()
    for point in points:
        if (point.sync, point.stage) not in seen:
            seen.add((point.sync, point.stage))
            chosen.append(point)
    rest = [p for p in points if p not in chosen]
    extra = max(0, size - len(chosen))
    if extra and rest:
        step = len(rest) / extra
        chosen += [rest[int(i * step + step / 2)] for i in range(extra)]
    return sorted(chosen[:size] if len(chosen) > size else chosen,
                  key=lambda p: (p.sync != FIRST, p.n))


@pytest.fixture(scope="module")
def points(tmp_path_factory: pytest.TempPathFactory, hub_peers: Peers, hub_runner: Runner) -> list[Point]:
    return count_points(tmp_path_factory.mktemp("count"), hub_peers, hub_runner)


def test_every_chosen_crash_point_converges(
    tmp_path: Path, hub_peers: Peers, hub_runner: Runner, points: list[Point]
) -> None:
    peers, runner = hub_peers, hub_runner
    started = time.monotonic()
    first = sum(1 for p in points if p.sync == FIRST)
    chosen = points if LONG else sample(points, SAMPLE)
    stages = sorted({(p.sync, p.stage) for p in points})
    assert {stage for _sync, stage in stages} >= {"pull", "commit", "apply"}, stages

    def attempt(point: Point) -> str | None:
        try:
            crash_and_recover(tmp_path / str(point), peers, runner, point)
        except AssertionError as exc:
            return f"{point} ({point.detail}): {exc}"
        return None

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        failures = [failure for failure in pool.map(attempt, chosen) if failure]
    print(f"\n{len(points)} crash points ({first} in the first sync, {len(points) - first} in the second; "
          f"stages {stages}), {len(chosen)} tried in {time.monotonic() - started:.0f} s")
    assert not failures, "\n".join(failures)


def test_a_day_message_posted_just_before_a_crash_is_flagged_not_posted_twice_silently(
    tmp_path: Path, hub_peers: Peers, hub_runner: Runner
) -> None:
    peers, runner = hub_peers, hub_runner
    """Killed as Telegram's answer to the first day message comes in, before its id is kept:
    the next run cannot know whether the message is there, posts the day again and flags it."""
    world = World(tmp_path, peers, runner=runner)
    code, _report, _err = world.sync({"HUB_TEST_KILL_ON": "/sendMessage"})
    assert code == -9
    posted = {chat: [t for t in texts if t.startswith(DAY_PREFIX)] for chat, texts in world.sinks().telegram.items()}
    assert sum(len(texts) for texts in posted.values()) >= 1
    code, report, err = world.sync()
    assert report is not None, err
    assert report["connectors"]["telegram"]["in_doubt"] >= 1, report["connectors"]["telegram"]
    assert code == 1, "a message in doubt is reported by the exit status"
    status = check_converged(world, moved=False)
    flagged = [d for d in status["in_doubt"] if d["connector"] == "telegram"]
    assert flagged and all(d["op"] == "post" for d in flagged)
    for doubt in flagged:
        assert "2021-11-1" in doubt["error"] and doubt["target"] in {str(c) for c in world.chats}
    # Where a day message went out before the crash, the chat shows that day twice, and it is flagged.
    for chat, texts in posted.items():
        if texts:
            assert str(chat) in {d["target"] for d in flagged}
    code, report, err = world.sync()
    assert code == 0 and report is not None, err
    assert report["connectors"]["telegram"].get("in_doubt", 0) == 0


def test_a_first_sync_killed_while_it_creates_the_state_database(tmp_path: Path, hub_runner: Runner) -> None:
    """The first commit of a fresh database is the schema's: killed there, the next run starts over."""
    runner = hub_runner
    config = write_config(tmp_path, '[connectors.exports]\ntype = "files"\npath = "public"\n')
    code, _out, _err = runner(["sync", "--config", str(config)], {"HUB_TEST_KILL_AT": "1"})
    assert code == -9
    assert not (tmp_path / "public").exists()
    code, out, err = runner(["sync", "--config", str(config), "--json"], {})
    assert code == 0, err
    assert json.loads(out)["connectors"]["exports"]["created"] == SESSIONS


def test_a_calendar_write_recorded_by_the_connector_but_not_by_the_outbox(
    tmp_path: Path, hub_peers: Peers, hub_runner: Runner
) -> None:
    """Killed after the calendar kept where it stands past the hub's writes (its sync report read
    after writing, as a create asks) and before the outbox recorded them: the next run reads the
    events back instead of sending the update again with the old etag, refused (412) on every
    run, or the create again."""
    radicale, runner = hub_peers.radicale, hub_runner

    def calendar_world(folder: Path) -> Path:
        (folder / "secrets").mkdir(parents=True)
        (folder / "secrets" / "caldav").write_text(radicale.password + "\n")
        return write_config(folder, f"""
[connectors.calendar]
type = "caldav"
url = "{radicale.new_calendar()}"
username = "{radicale.username}"
password_file = "secrets/caldav"
owns = ["start", "end", "venue", "status"]
""")

    def sync(config: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any] | None]:
        code, out, _err = runner(["sync", "--config", str(config), "--json"], env or {})
        return code, (json.loads(out) if out.strip() else None)

    def add_session(folder: Path) -> None:
        """A new session beside the moved one: creating its event is what makes the hub read
        where the calendar stands after writing (updates alone need no report)."""
        path = folder / "programme.yaml"
        text = path.read_text(encoding="utf-8")
        added = f"  - id: {MOVED}-bis\n    title: Culture juridique, suite\n    start: 2021-11-13T17:00\n" \
                "    end: 2021-11-13T18:00\n    venue: huit-pillards\n"
        path.write_text(text.replace(f"  - id: {MOVED}\n", added + f"  - id: {MOVED}\n", 1), encoding="utf-8")

    configs = [calendar_world(tmp_path / name) for name in ("count", "crash")]
    for config in configs:
        assert sync(config)[0] == 0
        edit_programme(config.parent, MOVED, **MOVE)
        add_session(config.parent)
    log = tmp_path / "points"
    assert sync(configs[0], {"HUB_TEST_POINTS": str(log)})[0] == 0
    points = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    after_writes = next(p["n"] for p in points if p["stage"] == "apply" and p["detail"].startswith("REPORT"))
    assert [p["kind"] for p in points[after_writes:after_writes + 2]] == ["commit", "commit"], points
    # The first commit keeps the calendar's position past the write; the second is the outbox's.
    assert sync(configs[1], {"HUB_TEST_KILL_AT": str(after_writes + 2)})[0] == -9

    code, report = sync(configs[1])
    assert code == 0 and report is not None
    assert report["connectors"]["calendar"]["failed"] == 0, report["connectors"]["calendar"]
    code, report = sync(configs[1])
    assert code == 0 and report is not None
    figures = report["connectors"]["calendar"]
    assert (figures["created"], figures["updated"], figures["failed"], figures["requests"]) == (0, 0, 0, 1)


def crash_and_recover(folder: Path, peers: Peers, runner: Runner, point: Point) -> None:
    world = World(folder, peers, runner=runner)
    if point.sync == SECOND:
        code, _report, err = world.sync()
        assert code == 0, err
        world.move()
    code, _report, _err = world.sync({"HUB_TEST_KILL_AT": str(point.n)})
    assert code == -9, f"the sync was not killed at point {point.n} (exit {code})"

    code, report, err = world.sync()
    assert report is not None, f"the run after the crash failed: {err[-2000:]}"
    for name, figures in report["connectors"].items():
        assert not figures.get("failed") and not figures.get("error"), f"{name}: {figures}"
    # A message flagged in doubt by this run is the only reason it may say so by its exit status.
    assert code == (1 if any(f.get("in_doubt") for f in report["connectors"].values()) else 0), err[-2000:]
    status = check_converged(world, moved=point.sync == SECOND)

    code, report, err = world.sync()
    assert code == 0 and report is not None, err[-2000:]
    for name, figures in report["connectors"].items():
        wrote = {k: figures.get(k, 0) for k in ("created", "updated", "deleted", "failed", "sent", "in_doubt")}
        assert not any(wrote.values()), f"the run after recovery still wrote to {name}: {wrote}"
    assert world.status()["in_doubt"] == status["in_doubt"]


def test_the_sample_spreads_over_every_stage_of_both_syncs() -> None:
    points = [Point(s, n, stage, "http", "") for s in (FIRST, SECOND)
              for n, stage in enumerate(["pull", "pull", "commit", *["apply"] * 40, "refresh"], start=1)]
    chosen = sample(points, SAMPLE)
    assert len(chosen) == SAMPLE and len(set(chosen)) == SAMPLE
    assert {(p.sync, p.stage) for p in chosen} == {(s, st) for s in (FIRST, SECOND)
                                                   for st in ("pull", "commit", "apply", "refresh")}
    assert chosen == sample(points, SAMPLE), "the same points on every run"
