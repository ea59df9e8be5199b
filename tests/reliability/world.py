"""One hub beside every real peer at once, and what each sink holds, read the way a person would.

A :class:`World` is one configuration with a calendar collection on Radicale, a pad on Etherpad,
a page slug and news prefix on WordPress, two Telegram chats and a Signal group of its own, so
that many worlds share the same servers without seeing each other. :meth:`World.sinks` reads
every sink back with plain clients (the caldav library, Etherpad's HTTP API, WordPress' REST
API, the fakes' test API), never with the hub's code.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import icalendar

from tests.caldav.conftest import CalDAVServer
from tests.etherpad.conftest import EtherpadServer
from tests.fakes.signal import FakeSignal
from tests.fakes.telegram import FakeTelegram
from tests.helpers import edit_programme, reference_programme, run_hub, write_config
from tests.wordpress.site import Site

#: The session every scenario moves, and where it goes (the announcement the chats receive).
MOVED = "atelier-culture-juridique"
MOVE = {"start": "2021-11-13T15:00", "end": "2021-11-13T17:30"}
SESSIONS = 22
DAYS = 3
DAY_PREFIX = "Programme du"
NEWS_PREFIX = "Changements"
_chat_ids = itertools.count(-1_000_000_000_001, -1)
CALENDAR_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>
</C:calendar-query>"""
#: Runs one ``hub`` command: (argv, extra environment) -> (exit code or -signal, stdout, stderr).
Runner = Callable[[list[str], Mapping[str, str]], tuple[int, str, str]]


def subprocess_runner(argv: list[str], env: Mapping[str, str]) -> tuple[int, str, str]:
    """A fresh interpreter per command (slow to start, nothing shared)."""
    result = run_hub(*argv, env=dict(env))
    return result.returncode, result.stdout, result.stderr


@dataclass(frozen=True)
class Peers:
    """The servers a world lives on (URLs may point at a proxy in front of the real one)."""

    radicale: CalDAVServer
    etherpad: EtherpadServer
    wordpress: Site
    telegram: FakeTelegram
    signal: FakeSignal
    urls: dict[str, str] = field(default_factory=dict)

    def url(self, name: str, real: str) -> str:
        return self.urls.get(name, real)


@dataclass
class Sinks:
    """What every sink holds, as a person would see it."""

    events: dict[str, str]  # uid -> DTSTART as written
    event_count: int
    pad: str
    pages: list[dict[str, Any]]
    news: list[dict[str, Any]]
    telegram: dict[int, list[str]]  # chat -> texts shown (deleted ones left out)
    signal: list[str]


class World:
    """A configuration in ``folder`` whose every sink is its own."""

    def __init__(self, folder: Path, peers: Peers, *, hub_extra: str = "", runner: Runner | None = None,
                 urls: Mapping[str, str] | None = None, sections: Mapping[str, str] | None = None) -> None:
        self.folder = folder
        self.peers = peers
        self.runner = runner or subprocess_runner
        token = secrets.token_hex(4)
        self.calendar = peers.radicale.new_calendar(f"crash-{token}")
        self.pad = f"reliability-{token}"
        self.page = f"programme-{token}"
        self.prefix = f"changements-{token}"
        self.chats = (next(_chat_ids), next(_chat_ids))
        for chat in self.chats:
            peers.telegram.add_chat(chat)
        self.group = peers.signal.add_group(f"Assemblée {token}", members=["+4917612345678"])
        self.hub_extra = hub_extra
        #: Addresses standing in for servers' (a proxy in front of one), and lines added to sections.
        self.urls = dict(urls or {})
        self.sections = dict(sections or {})
        self.config = self.write()

    # configuration -------------------------------------------------------------------------
    def write(self) -> Path:
        """The configuration, written in the world's folder."""
        peers = self.peers
        urls = self.urls
        secrets_dir = self.folder / "secrets"
        secrets_dir.mkdir(parents=True, exist_ok=True)
        (secrets_dir / "caldav").write_text(peers.radicale.password + "\n")
        (secrets_dir / "etherpad").write_text(peers.etherpad.api_key + "\n")
        (secrets_dir / "wordpress").write_text(peers.wordpress.admin.app_password + "\n")
        (secrets_dir / "telegram").write_text(peers.telegram.token + "\n")
        calendar = self.calendar
        if "calendar" in urls:
            calendar = urls["calendar"].rstrip("/") + httpx.URL(self.calendar).path
        body = f"""
[connectors.calendar]
type = "caldav"
url = "{calendar}"
username = "{peers.radicale.username}"
password_file = "secrets/caldav"
owns = ["start", "end", "venue", "status"]

[connectors.pad]
type = "etherpad"
url = "{urls.get("pad", peers.etherpad.url)}"
api_key_file = "secrets/etherpad"
pad = "{self.pad}"
owns = ["title", "description", "start", "end", "venue", "hosts", "status"]

[connectors.site]
type = "wordpress"
url = "{urls.get("site", peers.wordpress.url)}"
username = "{peers.wordpress.admin.username}"
application_password_file = "secrets/wordpress"
page = "{self.page}"
news_slug_prefix = "{self.prefix}"

[connectors.telegram]
type = "telegram"
api_url = "{urls.get("telegram", peers.telegram.url)}"
token_file = "secrets/telegram"
chats = [{self.chats[0]}, {self.chats[1]}]
pace_seconds = 0

[connectors.signal]
type = "signal"
url = "{urls.get("signal", peers.signal.url)}"
number = "{peers.signal.number}"
groups = ["{self.group}"]
pace_seconds = 0
"""
        for name, lines in self.sections.items():
            body = body.replace(f"[connectors.{name}]\n", f"[connectors.{name}]\n{lines}\n", 1)
        keep = (self.folder / "programme.yaml").read_text(encoding="utf-8") \
            if (self.folder / "programme.yaml").exists() else None
        config = write_config(self.folder, body, hub_extra=self.hub_extra)
        if keep is not None:  # the programme as edited so far, not the reference again
            (self.folder / "programme.yaml").write_text(keep, encoding="utf-8")
        return config

    def move(self) -> None:
        """The organiser's edit: one session moved by an hour (announced on every channel)."""
        edit_programme(self.folder, MOVED, **MOVE)

    # running ---------------------------------------------------------------------------------
    def sync(self, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any] | None, str]:
        """``hub sync --json``: (exit code, the report when one was printed, stderr)."""
        code, out, err = self.runner(["sync", "--config", str(self.config), "--json"], env or {})
        try:
            report: dict[str, Any] | None = json.loads(out)
        except ValueError:
            report = None
        return code, report, err

    def status(self) -> dict[str, Any]:
        code, out, err = self.runner(["status", "--config", str(self.config), "--json"], {})
        assert code == 0, out + err
        status: dict[str, Any] = json.loads(out)["status"]
        return status

    # reading the sinks -----------------------------------------------------------------------
    def sinks(self) -> Sinks:
        peers = self.peers
        events: dict[str, str] = {}
        count = 0
        auth = (peers.radicale.username, peers.radicale.password)
        listing = httpx.request("REPORT", self.calendar, content=CALENDAR_QUERY, auth=auth, timeout=30,
                                headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
        assert listing.status_code == 207, listing.text
        for data in ElementTree.fromstring(listing.content).iter("{urn:ietf:params:xml:ns:caldav}calendar-data"):
            for component in icalendar.Calendar.from_ical(data.text or "").walk("VEVENT"):
                count += 1
                events[str(component["UID"])] = str(component.decoded("DTSTART").isoformat())
        answer = httpx.post(f"{peers.etherpad.api}/getText",
                            data={"apikey": peers.etherpad.api_key, "padID": self.pad}, timeout=30).json()
        pad = answer["data"]["text"] if answer["code"] == 0 else ""
        auth = (peers.wordpress.admin.username, peers.wordpress.admin.app_password)
        with httpx.Client(base_url=peers.wordpress.rest, auth=auth, timeout=30) as wp:
            pages = wp.get("/pages", params={"slug": self.page, "status": "publish,draft,trash,private",
                                             "context": "edit"}).json()
            posts = wp.get("/posts", params={"status": "publish,draft,private", "per_page": 100,
                                             "context": "edit", "search": ""}).json()
        news = [p for p in posts if p["slug"].startswith(self.prefix)]
        telegram = {chat: [m.text for m in peers.telegram.messages(chat)] for chat in self.chats}
        return Sinks(events, count, pad, pages, news, telegram, peers.signal.shown(self.group))


def pad_markers(pad: str) -> Counter[str]:
    """How often each session's marker (``[#id]``) stands in the pad."""
    return Counter(re.findall(r"\[#([a-z0-9-]+)\]", pad))


CHAT_CONNECTORS = ("telegram", "signal")


def check_converged(world: World, *, moved: bool, skip: Collection[str] = ()) -> dict[str, Any]:
    """Every sink (but those in ``skip``) holds exactly the programme; returns ``hub status``'s
    view, messages in doubt included."""
    status = world.status()
    doubts = [(d["connector"], str(d["target"])) for d in status["in_doubt"]]
    assert len(doubts) == len(set(doubts)), f"more than one message in doubt in one chat: {doubts}"
    assert all(name in (*CHAT_CONNECTORS, "site") for name, _ in doubts), doubts
    sinks = world.sinks()
    programme = reference_programme()
    moved_start = f"{MOVE['start']}:00+01:00" if moved else programme.sessions[MOVED].start.isoformat()

    if "calendar" not in skip:
        check_calendar(sinks, moved_start)
    if "pad" not in skip:
        check_pad(sinks, moved)
    if "site" not in skip:
        check_site(sinks, moved_start, moved, in_doubt=any(name == "site" for name, _ in doubts))
    shown: dict[tuple[str, str], list[str]] = {("telegram", str(c)): t for c, t in sinks.telegram.items()}
    shown[("signal", world.group)] = sinks.signal
    for (connector, chat), texts in shown.items():
        if connector not in skip:
            check_chat(texts, moved=moved, in_doubt=(connector, chat) in doubts, where=f"{connector} {chat}")
    if "telegram" not in skip:
        for chat_id in world.chats:
            pinned = world.peers.telegram.pinned(chat_id)
            assert pinned is not None and pinned.text.startswith(DAY_PREFIX), f"nothing pinned in {chat_id}"
    return status


def check_calendar(sinks: Sinks, moved_start: str) -> None:
    """One event per session, none twice, the move made."""
    assert sinks.event_count == SESSIONS, f"{sinks.event_count} calendar events for {SESSIONS} sessions"
    assert len(sinks.events) == SESSIONS
    moved_uid = next(uid for uid in sinks.events if uid.startswith(f"{MOVED}@"))
    assert sinks.events[moved_uid] == moved_start, sinks.events[moved_uid]


def check_pad(sinks: Sinks, moved: bool) -> None:
    """One programme, each session's block once."""
    programme = reference_programme()
    markers = pad_markers(sinks.pad)
    assert set(markers) == set(programme.sessions), sorted(set(programme.sessions) ^ set(markers))
    assert set(markers.values()) == {1}, {k: v for k, v in markers.items() if v != 1}
    assert sinks.pad.count("programme détaillé") == 1
    hours = f"{MOVE['start'][-5:]}-{MOVE['end'][-5:]}" if moved else "14:00-16:30"
    assert f"{hours} Culture juridique [#{MOVED}]" in sinks.pad


def check_site(sinks: Sinks, moved_start: str, moved: bool, *, in_doubt: bool) -> None:
    """One page, the move on it; one news post for the announcement (perhaps none if in doubt)."""
    assert len(sinks.pages) == 1, [(p["id"], p["status"]) for p in sinks.pages]
    assert sinks.pages[0]["status"] == "publish"
    assert f'data-time="{moved_start}"' in sinks.pages[0]["content"]["raw"]
    news = len(sinks.news)
    if moved:
        assert news == 1 or (news == 0 and in_doubt), f"{news} news posts (in doubt: {in_doubt})"
    else:
        assert news == 0


def check_chat(texts: list[str], *, moved: bool, in_doubt: bool, where: str) -> None:
    """Each day shown and current; the announcement once (perhaps not at all if in doubt); one
    day message more at most, when it is flagged in doubt."""
    days = [t for t in texts if t.startswith(DAY_PREFIX)]
    announcements = [t for t in texts if t.startswith(NEWS_PREFIX)]
    extra = 1 if in_doubt else 0
    assert DAYS <= len(days) <= DAYS + extra, f"{where}: {len(days)} day messages (in doubt: {in_doubt})"
    heads = sorted({t.splitlines()[0] for t in days})
    assert len(heads) == DAYS, f"{where}: days shown {heads}"
    saturday = [t for t in days if "13 novembre" in t.splitlines()[0]][-1]
    line = "15 h – 17 h 30 · Culture juridique" if moved else "14 h – 16 h 30 · Culture juridique"
    assert line in saturday, f"{where}: {saturday!r}"
    if moved:
        assert 1 - extra <= len(announcements) <= 1, f"{where}: {len(announcements)} announcements"
        assert all("Culture juridique" in a for a in announcements)
    else:
        assert announcements == []
