"""The meetings workflow through ``hub`` commands: a date poll on the fake Framadate, votes by other
people, closing, the meeting in the real Radicale with its notes pad in the real Etherpad and one
announcement on the fake Telegram; reruns do nothing. Then sign-ups over the programme's limits.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import caldav
import httpx
import pytest

from hub.runtime import load_settings
from sync.state import StateStore
from tests.caldav.conftest import CalDAVServer
from tests.etherpad.conftest import EtherpadServer
from tests.fakes.framadate import FakeFramadate, Voter
from tests.fakes.telegram import FakeTelegram
from tests.helpers import hub_json, run_hub, write_config

pytestmark = [pytest.mark.peer("radicale"), pytest.mark.peer("etherpad")]
CHAT, ADMINS = -1001, -1002
VISIO = "https://bbb.meet.coop/b/coordination"


def configure(folder: Path, framadate: FakeFramadate, radicale: CalDAVServer, etherpad: EtherpadServer,
              telegram: FakeTelegram) -> str:
    calendar = radicale.new_calendar()
    (folder / "caldav.pass").write_text(radicale.password)
    (folder / "etherpad.key").write_text(etherpad.api_key)
    (folder / "telegram.token").write_text(telegram.token)
    for chat in (CHAT, ADMINS):
        telegram.add_chat(chat)
    return str(write_config(folder, f"""
[connectors.sondages]
type = "framadate"
url = "{framadate.url}"
admin_email = "orga@example.org"
meetings_calendar = "reunions"
notes_pad = "pad"
visio_url = "{VISIO}"
announce_to = ["telegram:{CHAT}"]

[connectors.reunions]
type = "caldav"
url = "{calendar}"
username = "{radicale.username}"
password_file = "caldav.pass"
sync = false

[connectors.pad]
type = "etherpad"
url = "{etherpad.url}"
api_key_file = "etherpad.key"
pad = "programme-{secrets.token_hex(3)}"

[connectors.telegram]
type = "telegram"
api_url = "{telegram.url}"
token_file = "telegram.token"
chats = [{CHAT}, {ADMINS}]
pace_seconds = 0
""", hub_extra=f'admin_chats = ["telegram:{ADMINS}"]'))


def events(radicale: CalDAVServer, url: str) -> list[str]:
    with caldav.DAVClient(url=url, username=radicale.username, password=radicale.password) as client:
        return [e.data for e in client.calendar(url=url).events()]


def test_a_date_poll_becomes_one_meeting_with_its_pad_visio_and_one_announcement(
    tmp_path: Path, framadate: FakeFramadate, radicale: CalDAVServer, etherpad_server: EtherpadServer,
    telegram: FakeTelegram,
) -> None:
    config = configure(tmp_path, framadate, radicale, etherpad_server, telegram)
    made = hub_json("poll", "create", "dates", "Réunion de coordination", "--slot", "2021-10-05T18:00",
                    "--slot", "2021-10-05T20:00/21:00", "--slot", "2021-10-07T18:00", "--until", "2021-10-01",
                    "--announce", "--config", config)
    poll = made["polls"][0]
    assert poll["public_url"] == f"{framadate.url}{poll['id']}" and "admin_url" not in poll
    told = [m.text for m in telegram.messages(CHAT)]
    assert told == [f"Nouveau sondage : Réunion de coordination\nRépondez ici : {poll['public_url']}\n"
                    "Réponses jusqu'au vendredi 1 octobre 2021."]

    voter = Voter(framadate.url)
    voter.vote(poll["id"], "Ann", [1, 2, 0])
    voter.vote(poll["id"], "Bob", [2, 2, 1])
    voter.vote(poll["id"], "Chloé", [0, 2, 2])
    # --until has passed (2021-10-01): reading the answers closes the poll.
    status = hub_json("poll", "status", "--config", config)["polls"][0]
    assert [o["yes"] for o in status["options"]] == [1, 3, 1]
    meeting = status["meeting"]
    assert meeting["start"] == "2021-10-05T20:00:00+02:00" and meeting["end"] == "2021-10-05T21:00:00+02:00"
    pad_url = meeting["pad"]
    assert pad_url.startswith(f"{etherpad_server.url}/p/reunion-de-coordination-2021-10-05")
    pad_text = httpx.get(f"{pad_url}/export/txt").text
    assert "Date : mardi 5 octobre 2021" in pad_text and f"Lieu ou visio : {VISIO}" in pad_text

    calendar = load_settings(config).connectors[1].config.url  # type: ignore[attr-defined]
    stored = events(radicale, calendar)
    assert len(stored) == 1
    event = stored[0].replace("\r\n ", "")
    assert "SUMMARY:Réunion de coordination" in event and "DTSTART;TZID=Europe/Paris:20211005T200000" in event
    assert VISIO in event and pad_url in event
    announced = [m.text for m in telegram.messages(CHAT)][1:]
    assert announced == [
        "Réunion de coordination : mardi 5 octobre, 20 h – 21 h\n"
        f"Visio : {VISIO}\nNotes : {pad_url}\n"
        f"Date choisie par le sondage {poll['public_url']} (3 oui, 0 si nécessaire)."
    ]

    # Again, and closing it by hand: nothing is done twice, not even a request to Framadate.
    requests = len(framadate.requests)
    again = hub_json("poll", "status", "--config", config)["polls"][0]
    closed = run_hub("poll", "close", poll["id"], "--config", config, check=True)
    assert again["meeting"] == meeting and "20 h" in closed.stdout
    assert len(framadate.requests) == requests
    assert len(events(radicale, calendar)) == 1 and len(telegram.messages(CHAT)) == 2
    assert telegram.messages(ADMINS) == []

    # The admin link stays in the state store only: not printed, not in the outbox.
    admin_id = framadate.polls[poll["id"]].admin_id
    assert admin_id not in made.__repr__() + closed.stdout + closed.stderr
    store = StateStore.open(load_settings(config).database_url)
    assert all(admin_id not in str(e.payload) for e in store.outbox_entries(states=("done",)))
    assert admin_id in store.load_connector_state("sondages", f"poll:{poll['id']}")["admin_url"]
    store.close()
    # hub sync leaves the organisers' calendar out: the programme never lands there.
    run_hub("sync", "--config", config)
    assert len(events(radicale, calendar)) == 1


def test_sign_ups_over_the_limits_are_flagged_once_never_split(
    tmp_path: Path, framadate: FakeFramadate, radicale: CalDAVServer, etherpad_server: EtherpadServer,
    telegram: FakeTelegram,
) -> None:
    config = configure(tmp_path, framadate, radicale, etherpad_server, telegram)
    made = hub_json("poll", "create", "signup", "--day", "2021-11-13", "--kind", "workshop", "--kind", "plenary",
                    "--config", config)
    poll = made["polls"][0]
    sessions = [o["session"] for o in poll["options"]]
    assert len(sessions) == 7 and sessions[-1] == "cloture-8-pillards"  # six workshops and the plenary
    juridique = sessions.index("atelier-culture-juridique")
    voter = Voter(framadate.url)
    for n in range(51):  # one over split_workshop_above = 50; the plenary stays under 100
        voter.vote(poll["id"], f"Personne {n}", [2 if i in (juridique, 6) else 0 for i in range(7)])
    first = hub_json("poll", "status", poll["id"], "--config", config)["polls"][0]
    assert [p["session"] for p in first["proposals"]] == ["atelier-culture-juridique"]
    notices = [m.text for m in telegram.messages(ADMINS)]
    assert len(notices) == 1
    assert notices[0].startswith("Séance trop nombreuse : « Culture juridique » (samedi 13 novembre, 14 h")
    assert "atelier-culture-juridique-1 et atelier-culture-juridique-2, lieux à préciser" in notices[0]
    voter.vote(poll["id"], "Encore une", [2 if i == juridique else 0 for i in range(7)])
    hub_json("poll", "status", "--config", config)
    assert len(telegram.messages(ADMINS)) == 1  # told once
    assert telegram.messages(CHAT) == []
    status = run_hub("status", "--config", config, check=True).stdout
    assert "Culture juridique" in status and "limite 50" in status
    programme = (tmp_path / "programme.yaml").read_text(encoding="utf-8")
    assert "atelier-culture-juridique-1" not in programme  # never split automatically
