"""Several writes in flight (``writes_in_flight``), against a real Radicale (Xandikos refuses a
write while another holds its repository: 423 Locked, hence one at a time by default): each
write sent once on its own connection, every result in its op's place, and an error that
concerns the whole calendar starts no further write."""

from __future__ import annotations

import pytest

from connectors.caldav import WRITES_IN_FLIGHT, CalDAVConnector
from connectors.caldav_config import CalDAVConfig
from sync.errors import AuthError
from sync.model import Programme
from sync.plan import plan_connector
from sync.protocol import Op, RemoteRef
from tests.caldav.conftest import CalDAVServer
from tests.caldav.harness import Harness, context, reference_programme


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


async def test_a_refused_password_starts_no_further_write(radicale: CalDAVServer) -> None:
    programme = reference_programme()
    bad = connector(radicale, radicale.new_calendar(), password="not-the-password-42", writes_in_flight=3)
    ops = creates(bad, programme)
    with pytest.raises(AuthError):
        await bad.apply(ops, programme)
    puts = sum(n for (_name, method, _status), n in bad.ctx.counter.detail.items() if method == "PUT")
    assert 1 <= puts <= 3, "only the writes already in flight were sent"
    await bad.close()


def test_one_write_at_a_time_unless_the_section_says() -> None:
    default = CalDAVConnector("calendar", CalDAVConfig(url="http://127.0.0.1:1/cal/"), context("calendar"))
    assert default.writes_in_flight == WRITES_IN_FLIGHT == 1
    more = CalDAVConfig(url="http://127.0.0.1:1/cal/", writes_in_flight=6)
    assert CalDAVConnector("calendar", more, context("calendar")).writes_in_flight == 6
