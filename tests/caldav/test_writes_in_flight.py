"""Several writes in flight (``writes_in_flight``), against a real Radicale (Xandikos refuses a
write while another holds its repository: 423 Locked, hence one at a time by default): each
write sent once on its own connection, every result in its op's place, and an error that
concerns the whole calendar starts no further write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from connectors import caldav
from connectors.caldav import WRITES_IN_FLIGHT, CalDAVConnector
from connectors.caldav_config import CalDAVConfig
from sync.errors import AuthError, TransientError
from sync.model import Programme
from sync.plan import plan_connector
from sync.protocol import Link, Op, RemoteRef
from tests.caldav.conftest import CalDAVServer
from tests.caldav.harness import Harness, context, reference_programme
from tests.fakes.faulty_proxy import FaultyProxy


def connector(server: CalDAVServer, url: str, *, password: str | None = None, **options: int) -> CalDAVConnector:
    config = CalDAVConfig(url=url, username=server.username, password=password or server.password,
                          verify=server.verify, **options)
    return CalDAVConnector("calendar", config, context("calendar"))


def creates(calendar: CalDAVConnector, programme: Programme) -> list[Op]:
    plan = plan_connector(calendar, {}, programme, programme.sessions, set())
    return [Op(p.action, p.key, p.projection, None, p.sequence, p.hash) for p in plan.ops]


@pytest.mark.parametrize("in_flight", [1, 8])
async def test_each_write_is_sent_once_and_answered_in_its_place(radicale: CalDAVServer, in_flight: int) -> None:
    programme = reference_programme()
    harness = Harness(connector(radicale, radicale.new_calendar(), writes_in_flight=in_flight))
    await harness.pull(programme)
    ops = creates(harness.connector, programme)  # type: ignore[arg-type]
    results = await harness.connector.apply(ops, programme)
    assert all(isinstance(r, RemoteRef) for r in results)
    assert [r.remote_id.rsplit("/", 1)[1] for r in results if isinstance(r, RemoteRef)] == \
        [f"{op.key}.ics" for op in ops]
    assert harness.requests_by_method().get("PUT") == len(ops) == 22
    lanes = harness.connector._extra or []  # type: ignore[attr-defined]
    assert len(lanes) == in_flight - 1, "one connection per write in flight"
    fresh = await harness.connector.pull(None, {}, programme)
    assert sorted(item.key for item in fresh.items if item.key) == sorted(programme.sessions)
    await harness.connector.close()


@pytest.mark.parametrize("in_flight", [1, 3])
async def test_a_refused_password_starts_no_further_write(radicale: CalDAVServer, in_flight: int) -> None:
    programme = reference_programme()
    bad = connector(radicale, radicale.new_calendar(), password="not-the-password-42", writes_in_flight=in_flight)
    ops = creates(bad, programme)
    with pytest.raises(AuthError):
        await bad.apply(ops, programme)
    puts = sum(n for (_name, method, _status), n in bad.ctx.counter.detail.items() if method == "PUT")
    assert 1 <= puts <= in_flight, "only the writes already in flight were sent"
    await bad.close()


async def test_writes_one_at_a_time_answer_each_op_in_its_place(
    radicale: CalDAVServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One at a time, a worker thread sends the writes in a row, a slice after another: a
    create that finds its event there, an update against a stale version and a delete each
    end as they would alone, and the writes after them are still made."""
    monkeypatch.setattr(caldav, "WRITES_PER_TURN", 4)  # the 22 sessions span several slices
    programme = reference_programme()
    harness = Harness(connector(radicale, radicale.new_calendar()))
    calendar = harness.connector
    await harness.pull(programme)
    ops = creates(calendar, programme)  # type: ignore[arg-type]
    first = await calendar.apply(ops[:5], programme)
    again = await calendar.apply(ops, programme)
    assert [type(r).__name__ for r in again] == ["PreconditionFailed"] * 5 + ["RemoteRef"] * 17
    assert all(isinstance(r, RemoteRef) for r in first)

    def linked(op: Op, ref: object) -> Link:
        assert isinstance(ref, RemoteRef)
        return Link("calendar", "events", op.key, ref.remote_id, ref.version)

    moved = [Op("update", op.key, {**(op.projection or {}), "title": "Changed"}, linked(op, ref), op.sequence + 1)
             for op, ref in zip(ops[:2], first[:2], strict=True)]
    stale = replace(moved[1], link=replace(moved[1].link, remote_version='"not-its-etag"'))  # type: ignore[arg-type]
    gone = Op("delete", ops[6].key, None, linked(ops[6], again[6]))
    never = Op("delete", "never-written", None, None)
    done = await calendar.apply([moved[0], stale, gone, never, ops[7]], programme)
    assert [type(r).__name__ for r in done] == ["RemoteRef", "PreconditionFailed", "RemoteRef", "RemoteRef",
                                                "PreconditionFailed"]
    assert done[2] == RemoteRef(again[6].remote_id) and done[3] == RemoteRef("never-written")  # type: ignore[union-attr]
    assert harness.requests_by_method().get("PUT") == 5 + 22 + 3 and harness.requests_by_method().get("DELETE") == 1
    fresh = await calendar.pull(None, {}, programme)
    titles = {item.key: item.fields["title"] for item in fresh.items}
    assert ops[6].key not in titles and len(titles) == 21
    assert titles[ops[0].key] == "Changed" and titles[ops[1].key] != "Changed"
    await calendar.close()


def test_one_write_at_a_time_unless_the_section_says() -> None:
    default = CalDAVConnector("calendar", CalDAVConfig(url="http://127.0.0.1:1/cal/"), context("calendar"))
    assert default.writes_in_flight == WRITES_IN_FLIGHT == 1
    for wanted in (2, 6):
        more = CalDAVConfig(url="http://127.0.0.1:1/cal/", writes_in_flight=wanted)
        assert CalDAVConnector("calendar", more, context("calendar")).writes_in_flight == wanted


@contextmanager
def locking(server: CalDAVServer, **options: int) -> Iterator[tuple[FaultyProxy, CalDAVConnector]]:
    """A fresh calendar reached through a proxy that can answer as a server whose repository
    another write holds (423 Locked, as Xandikos answers a write while another is in progress)."""
    calendar = server.new_calendar()
    origin = urlsplit(server.base_url)
    faulty = FaultyProxy(f"{origin.scheme}://{origin.netloc}", verify=server.verify)
    with faulty.running() as base:
        yield faulty, connector(server, base + urlsplit(calendar).path, **options)


async def test_a_server_that_refuses_writes_side_by_side_gets_them_one_at_a_time(radicale: CalDAVServer) -> None:
    """A write refused because another is in progress (423 Locked): every write is still made,
    once, each result in its op's place, and the connector then writes one at a time."""
    programme = reference_programme()
    with locking(radicale, writes_in_flight=2) as (faulty, calendar):
        assert calendar.writes_in_flight == 2
        harness = Harness(calendar)
        await harness.pull(programme)
        ops = creates(calendar, programme)
        faulty.fail("PUT", 423)
        results = await calendar.apply(ops, programme)
        assert [r.remote_id.rsplit("/", 1)[1] for r in results if isinstance(r, RemoteRef)] == \
            [f"{op.key}.ics" for op in ops]
        puts = sorted(status for method, status in faulty.seen if method == "PUT")
        assert puts == [201] * 22 + [423]
        assert calendar.writes_in_flight == 1
        fresh = await calendar.pull(None, {}, programme)
        assert sorted(item.key for item in fresh.items if item.key) == sorted(programme.sessions)
        await calendar.close()


async def test_a_server_down_fails_the_batch_without_trying_every_write(radicale: CalDAVServer) -> None:
    programme = reference_programme()
    with locking(radicale, writes_in_flight=4) as (faulty, calendar):
        await Harness(calendar).pull(programme)
        faulty.break_down("status", status=503)
        with pytest.raises(TransientError):
            await calendar.apply(creates(calendar, programme), programme)
        puts = [status for method, status in faulty.seen if method == "PUT"]
        assert 1 <= len(puts) <= 4 + 1 and set(puts) == {503}, "those in flight, then one alone"
        await calendar.close()
