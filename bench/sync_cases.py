"""The sync cases: first sync, no-op, one change and 100 changes, by ``hub sync`` into the files
sink, and by ``hub sync`` and vdirsyncer into the same Radicale, runs alternated.

vdirsyncer syncs a local folder of ``.ics`` files (``filesystem`` storage) to its own calendar on
the same server. Its files are the events the hub wrote, copied from Radicale's folder of the
hub's calendar after each of the hub's runs, so both tools send the same events.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import tools
from bench.generate import write
from bench.measure import Sample, median, run
from bench.servers import Radicale
from bench.sync_bench import REPO, move_sessions

PHASES = ("first", "no-op", "1 change", "100 changes")
FILES_CONFIG = """[hub]
programme = "programme.yaml"
database = "sqlite:///state/hub.db"
programme_review = "never"  # the benchmark edits many sessions at once, on purpose

[connectors.exports]
type = "files"
path = "public"
"""
CALDAV_CONFIG = """[hub]
programme = "programme.yaml"
database = "sqlite:///state/hub.db"
programme_review = "never"  # the benchmark edits many sessions at once, on purpose

[connectors.calendar]
type = "caldav"
url = "{url}"
username = "{user}"
password_file = "secret"
"""
VDIR_CONFIG = """[general]
status_path = "{folder}/status/"

[pair bench]
a = "bench_local"
b = "bench_remote"
collections = null
conflict_resolution = "a wins"

[storage bench_local]
type = "filesystem"
path = "{folder}/events/"
fileext = ".ics"

[storage bench_remote]
type = "caldav"
url = "{url}"
username = "{user}"
password = "{password}"
"""


def programme(path: Path, sessions: int) -> None:
    """The reference programme for 22 sessions, else a generated one."""
    if sessions == 22:
        shutil.copy(REPO / "config" / "examples" / "programme.yaml", path)
    else:
        write(path, sessions)


@dataclass
class Case:
    """One size into one sink: the runs of each phase, per tool."""

    sessions: int
    sink: str  # "files" or "radicale"
    runs: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, phase: str, tool: str, sample: Sample) -> None:
        self.runs.setdefault(phase, {}).setdefault(tool, []).append(sample)

    def summary(self) -> dict[str, Any]:
        phases: dict[str, Any] = {}
        for phase, by_tool in self.runs.items():
            phases[phase] = {tool: {"median": median(samples), "samples": [s.figures() for s in samples]}
                             for tool, samples in by_tool.items()}
        return {"sessions": self.sessions, "sink": self.sink, "phases": phases, "notes": self.notes}


def seed(folder: Path, hub_config: Path) -> int:
    """Write the hub's own events for every session straight into a calendar's folder on the
    server (as the hub's caldav connector renders them), as if a sync had put them there; how many.

    At 10,000 sessions a first sync from an empty calendar is Radicale's time, not the client's
    (each PUT checks the UID against every event already there: hours for both tools), so there
    the first sync starts from a calendar that already holds the events (a reinstall, a lost
    state): both tools read it all, find every event equal, and write nothing.
    """
    from connectors.vevent import event_name, render_event
    from hub.runtime import build_connector, load_settings
    from sync.programme_reader import load_programme
    from sync.protocol import RequestCounter

    settings = load_settings(hub_config)
    section = next(s for s in settings.connectors if s.config.type == "caldav")
    connector = build_connector(section, settings, RequestCounter())
    programme = load_programme(hub_config.parent / "programme.yaml")
    for session in programme.sessions.values():
        text = render_event(connector.project(session, programme), session.id, programme, 0)
        (folder / event_name(session.id)).write_text(text, encoding="utf-8")
    return len(programme.sessions)


def changed(phase: str, sessions: int) -> int:
    return {"1 change": 1, "100 changes": min(100, sessions)}.get(phase, 0)


class HubSetup:
    """A folder with a hub configuration, its programme and its state."""

    def __init__(self, folder: Path, sessions: int, config: str) -> None:
        self.folder = folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "hub.toml").write_text(config, encoding="utf-8")
        programme(folder / "programme.yaml", sessions)
        self.moves = 0

    def fresh(self, config: str | None = None) -> None:
        """Forget everything synced so far (a first sync follows)."""
        for name in ("state", "public"):
            shutil.rmtree(self.folder / name, ignore_errors=True)
        (self.folder / "state").mkdir()
        if config is not None:
            (self.folder / "hub.toml").write_text(config, encoding="utf-8")

    def move(self, count: int) -> None:
        """Move ``count`` sessions, one hour later then back again on the next call."""
        move_sessions(self.folder / "programme.yaml", count, 60 if self.moves % 2 == 0 else -60)
        self.moves += 1

    def sync(self, server: Radicale | None = None) -> Sample:
        return run([str(tools.hub()), "sync", "--config", str(self.folder / "hub.toml")], cwd=self.folder,
                   proxy=server.proxy if server else None)


class VdirSetup:
    """vdirsyncer's configuration, status and local folder of events, for one calendar."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "events").mkdir(parents=True)
        self.seen: dict[str, bytes] = {}

    def fresh(self, server: Radicale, url: str) -> None:
        shutil.rmtree(self.folder / "status", ignore_errors=True)
        (self.folder / "config").write_text(VDIR_CONFIG.format(
            folder=self.folder, url=url, user=server.user, password=server.password), encoding="utf-8")
        run([str(tools.vdirsyncer()), "-c", str(self.folder / "config"), "discover", "bench"], stdin="y\n" * 4)

    @staticmethod
    def copy(source: Path, target: Path) -> None:
        for item in source.glob("*.ics"):
            shutil.copyfile(item, target / item.name)

    def hold(self, events: dict[str, str]) -> None:
        """These events, in the server's serialisation (what vdirsyncer will read back)."""
        for name, text in events.items():
            (self.folder / "events" / name).write_text(text, encoding="utf-8", newline="")

    def mark(self, source: Path) -> None:
        """Take the hub's events as they are now for already taken (they are held already)."""
        self.seen = {item.name: item.read_bytes() for item in source.glob("*.ics")}

    def take(self, source: Path) -> int:
        """Copy the hub's events that changed on the server since the last take; how many."""
        copied = 0
        for item in source.glob("*.ics"):
            data = item.read_bytes()
            if self.seen.get(item.name) != data:
                (self.folder / "events" / item.name).write_bytes(data)
                self.seen[item.name] = data
                copied += 1
        return copied

    def sync(self, server: Radicale) -> Sample:
        return run([str(tools.vdirsyncer()), "-c", str(self.folder / "config"), "sync"], cwd=self.folder,
                   proxy=server.proxy)


def files_case(work: Path, sessions: int, runs: int, say: Callable[[str], None],
               first_runs: int | None = None) -> Case:
    """Hub only: the files sink makes no request (its counts are n/a, not 0)."""
    case = Case(sessions, "files")
    hub = HubSetup(work / f"files-{sessions}", sessions, FILES_CONFIG)
    for phase in PHASES:
        for _ in range(runs if phase != "first" or first_runs is None else first_runs):
            if phase == "first":
                hub.fresh()
            elif changed(phase, sessions):
                hub.move(changed(phase, sessions))
            case.add(phase, "hub", hub.sync())
        say(f"files {sessions} {phase}: {median(case.runs[phase]['hub'])['wall']} s")
    return case


def radicale_case(work: Path, server: Radicale, sessions: int, runs: int, vdirsyncer: bool,
                  say: Callable[[str], None], *, seeded: bool = False, first_runs: int | None = None) -> Case:
    """The hub and vdirsyncer on the same server, alternated run by run. ``seeded``: the first
    sync finds the calendar already holding the events (see :func:`seed`)."""
    case = Case(sessions, "radicale")
    if seeded:
        case.notes.append("first sync onto a calendar already holding the events (seeded on the server's "
                          "disk): both tools read them all and write nothing")
    hub = HubSetup(work / f"radicale-{sessions}", sessions, "")
    vdir = VdirSetup(work / f"vdirsyncer-{sessions}")
    hub_cal = vdir_cal = ""

    def hub_fresh() -> None:
        hub.fresh(CALDAV_CONFIG.format(url=hub_cal, user=server.user))
        (hub.folder / "secret").write_text(server.password, encoding="utf-8")

    if seeded:  # once: every first sync finds the same events there (with a fresh state or status)
        hub_cal, vdir_cal = server.calendar(), server.calendar()
        hub_fresh()
        seed(server.folder(hub_cal), hub.folder / "hub.toml")
        VdirSetup.copy(server.folder(hub_cal), server.folder(vdir_cal))
        vdir.hold(server.served(hub_cal))
        vdir.mark(server.folder(hub_cal))
    for phase in PHASES:
        count = runs if phase != "first" or first_runs is None else first_runs
        for n in range(count):
            order = ("hub", "vdirsyncer") if n % 2 == 0 or changed(phase, sessions) else ("vdirsyncer", "hub")
            if phase != "first" and changed(phase, sessions):
                hub.move(changed(phase, sessions))
            for tool in order:
                if tool == "hub":
                    if phase == "first":
                        if not seeded:
                            if hub_cal:
                                server.drop(hub_cal)
                            hub_cal = server.calendar()
                        hub_fresh()
                    case.add(phase, "hub", hub.sync(server))
                elif vdirsyncer:
                    if phase == "first":
                        if not seeded:
                            if vdir_cal:
                                server.drop(vdir_cal)
                            vdir_cal = server.calendar()
                        vdir.fresh(server, vdir_cal)
                    # The hub ran first in the first round: its events are there to take.
                    taken = vdir.take(server.folder(hub_cal))
                    if phase != "first" and taken != changed(phase, sessions):
                        case.notes.append(f"{phase}: vdirsyncer was given {taken} changed events")
                    case.add(phase, "vdirsyncer", vdir.sync(server))
        if phase == "first" and vdirsyncer and vdir.take(server.folder(hub_cal)):
            vdir.sync(server)  # the hub's last first sync came after vdirsyncer's: catch up, untimed
        if phase == "first" and vdirsyncer:
            server.sync_report(vdir_cal)  # the same sync history on both calendars (see sync_report)
        figures = {tool: median(samples)["wall"] for tool, samples in case.runs[phase].items()}
        say(f"radicale {sessions} {phase}: {figures}")
    return case
