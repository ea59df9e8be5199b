"""Polls made through the fake Framadate's real form steps, answers read from its CSV, refusals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.framadate import FramadateConnector
from connectors.framadate.client import GENERATED
from connectors.framadate.connector import Slot
from connectors.framadate.meetings import best_slot
from sync.errors import AuthError, ConfigError, NotFound, PermanentError, TransientError
from tests.fakes.framadate import FakeFramadate, Voter

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2021, 9, 20, 10, 0, tzinfo=PARIS)


def slot(text: str, minutes: int = 90) -> Slot:
    start = datetime.fromisoformat(text).replace(tzinfo=PARIS)
    return Slot(start, start + timedelta(minutes=minutes))


SLOTS = [slot("2021-10-05T18:00"), slot("2021-10-05T20:00"), slot("2021-10-07T18:00")]


async def test_a_date_poll_is_made_through_the_three_steps(
    make_framadate: Callable[..., FramadateConnector], framadate: FakeFramadate
) -> None:
    connector = make_framadate()
    record = await connector.create_date_poll("Réunion de coordination", SLOTS, until=None, now=NOW)
    poll = framadate.polls[record["id"]]
    assert len(record["id"]) == 16 and set(record["id"]) <= set(GENERATED)
    assert poll.admin_id.startswith(record["id"]) and len(poll.admin_id) == 24
    assert [(s.title, s.moments) for s in poll.slots] == [("2021-10-05", ["18:00", "20:00"]), ("2021-10-07", ["18:00"])]
    assert poll.admin_mail == "orga@example.org" and poll.title == "Réunion de coordination"
    assert record["public_url"] == f"{framadate.url}{record['id']}"
    assert record["admin_url"] == f"{framadate.url}{poll.admin_id}/admin"
    assert connector.load(record["public_url"])["id"] == record["id"]  # a public link names the poll too
    # step 1 (GET + POST), step 2, step 3: no page more
    assert [p for _m, p in framadate.requests] == ["/create_poll.php", "/create_poll.php", "/create_date_poll.php",
                                                   "/create_date_poll.php"]


async def test_votes_by_other_people_are_tallied_in_either_language_and_unchanged_costs_one_request(
    make_framadate: Callable[..., FramadateConnector], framadate: FakeFramadate
) -> None:
    connector = make_framadate()
    record = await connector.create_date_poll("Réunion", SLOTS, until=None, now=NOW)
    voter = Voter(framadate.url)
    voter.vote(record["id"], "Ann", [2, 2, 0])
    voter.vote(record["id"], "=Bob", [1, 2, 0])  # a formula-looking name comes back guarded
    voter.vote(record["id"], "Chloé", [2, 1, 2])
    assert await connector.refresh_answers(record)
    assert record["tallies"] == [{"yes": 2, "maybe": 1, "no": 0}, {"yes": 2, "maybe": 1, "no": 0},
                                 {"yes": 1, "maybe": 0, "no": 2}]
    assert best_slot(record) == 0  # a tie on yes and yes+maybe: the earliest
    before = framadate.count("/exportcsv.php")
    assert not await connector.refresh_answers(record)
    assert framadate.count("/exportcsv.php") - before == 1

    english = make_framadate(language="en")
    other = english.load(record["id"])
    other["digest"] = None
    assert await english.refresh_answers(other)
    assert other["tallies"] == record["tallies"]


async def test_the_csv_is_read_in_the_language_it_is_written_in(
    make_framadate: Callable[..., FramadateConnector], framadate: FakeFramadate
) -> None:
    import httpx

    connector = make_framadate(language="en")
    record = await connector.create_date_poll("Meeting", SLOTS, until=None, now=NOW)
    Voter(framadate.url).vote(record["id"], "Ann", [2, 1, 0])
    async with httpx.AsyncClient() as person:
        fr = await person.get(f"{framadate.url}exportcsv.php", params={"poll": record["id"]},
                              headers={"Accept-Language": "fr"})
        en = await person.get(f"{framadate.url}exportcsv.php", params={"poll": record["id"], "lang": "en"})
    assert fr.text.split("\r\n")[0] == ',"05/10/2021","05/10/2021","07/10/2021",'
    assert en.text.split("\r\n")[0] == ',"10/5/21","10/5/21","10/7/21",'
    assert fr.text.split("\r\n")[2] == '"Ann","Oui","Si nécessaire","Non",'
    assert en.text.split("\r\n")[2] == '"Ann","Yes","Under reserve","No",'
    await connector.refresh_answers(record)
    assert record["tallies"][0]["yes"] == 1 and record["tallies"][1]["maybe"] == 1


async def test_an_instance_without_clean_urls_gives_studs_links(
    make_framadate: Callable[..., FramadateConnector], framadate: FakeFramadate
) -> None:
    framadate.url_propre = False
    record = await make_framadate().create_date_poll("Réunion", SLOTS[:1], until=None, now=NOW)
    assert record["public_url"] == f"{framadate.url}studs.php?poll={record['id']}"
    assert record["admin_url"].startswith(f"{framadate.url}adminstuds.php?poll={record['id']}")


async def test_an_instance_that_requires_an_e_mail_says_so_before_posting(
    make_framadate: Callable[..., FramadateConnector], framadate: FakeFramadate
) -> None:
    connector = make_framadate(admin_email=None)
    with pytest.raises(ConfigError, match="admin_email"):
        await connector.create_date_poll("Réunion", SLOTS, until=None, now=NOW)
    assert framadate.requests == [("GET", "/create_poll.php")]
    english = make_framadate("en", admin_email=None)
    with pytest.raises(ConfigError, match="requires an e-mail address"):
        await english.create_date_poll("Meeting", SLOTS, until=None, now=NOW)


async def test_a_refused_e_mail_is_read_from_the_page_by_its_field(
    make_framadate: Callable[..., FramadateConnector], framadate: FakeFramadate
) -> None:
    connector = make_framadate(admin_email="not an address")
    with pytest.raises(ConfigError, match="exige une adresse électronique"):
        await connector.create_date_poll("Réunion", SLOTS, until=None, now=NOW)
    assert framadate.polls == {}


async def test_a_captcha_is_named_not_fought(
    make_framadate: Callable[..., FramadateConnector], framadate: FakeFramadate
) -> None:
    framadate.captcha = True
    with pytest.raises(PermanentError, match="CAPTCHA"):
        await make_framadate().create_date_poll("Réunion", SLOTS, until=None, now=NOW)
    with pytest.raises(PermanentError, match="asks for a CAPTCHA"):
        await make_framadate("en").create_date_poll("Meeting", SLOTS, until=None, now=NOW)
    assert framadate.polls == {}


async def test_a_deleted_poll_and_a_wrong_admin_link_are_told_apart_without_the_link(
    make_framadate: Callable[..., FramadateConnector], framadate: FakeFramadate,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    connector = make_framadate()
    record = await connector.create_date_poll("Réunion", SLOTS, until=None, now=NOW)
    admin_id = framadate.polls[record["id"]].admin_id
    wrong = dict(record, admin_url=record["admin_url"].replace(admin_id, record["id"] + "zzzzzzzz"))
    with pytest.raises(AuthError, match="lien d'administration") as refused:
        await connector.refresh_answers(wrong)
    framadate.delete(record["id"])
    with pytest.raises(NotFound, match="n'existe plus") as gone:
        await connector.refresh_answers(record)
    assert "Ce sondage n'existe pas" in str(gone.value)
    for text in (str(refused.value), str(gone.value), caplog.text):
        assert admin_id not in text and admin_id[16:] not in text


async def test_a_server_error_names_the_request_not_the_admin_link(
    make_framadate: Callable[..., FramadateConnector], framadate: FakeFramadate
) -> None:
    connector = make_framadate()
    record = await connector.create_date_poll("Réunion", SLOTS, until=None, now=NOW)
    framadate.fail("/exportcsv.php", status=500, times=1)
    with pytest.raises(TransientError, match=r"exportcsv.php\?admin=\*\*\* ?: 500") as failed:
        await connector.refresh_answers(record)
    assert framadate.polls[record["id"]].admin_id not in str(failed.value)
    framadate.fail("/create_poll.php", status=503, times=9)
    with pytest.raises(TransientError, match="503"):
        await connector.create_date_poll("Réunion", SLOTS, until=None, now=NOW)


async def test_a_sign_up_poll_has_one_choice_per_session(
    make_framadate: Callable[..., FramadateConnector], framadate: FakeFramadate
) -> None:
    from tests.helpers import reference_programme

    programme = reference_programme()
    day = [s for s in programme.sorted_sessions() if s.kind == "workshop"
           and s.start.date().isoformat() == "2021-11-13"]
    connector = make_framadate()
    record = await connector.create_signup_poll("Inscriptions", day, programme, until=None, now=NOW)
    poll = framadate.polls[record["id"]]
    assert poll.format == "A" and len(poll.slots) == len(day) == 6
    venue = programme.venues[day[0].venue or ""].name
    assert poll.slots[0].title == f"{day[0].title} (10 h, {venue})"
    Voter(framadate.url).vote(record["id"], "Ann", [2, 0, 0, 0, 0, 1])
    await connector.refresh_answers(record)
    assert [t["yes"] for t in record["tallies"]] == [1, 0, 0, 0, 0, 0]
    assert record["tallies"][5]["maybe"] == 1
