"""The HumHub connector on its own: request counts, hand edits, times, marks, errors, posts."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime, timedelta

import httpx
import pytest

from connectors.http import CountingRetryTransport
from connectors.humhub import HumHubConnector
from connectors.humhub.config import HumHubConfig
from connectors.humhub.entries import escape
from sync.announce import Announcement, classify
from sync.errors import AuthError, ConfigError, PermanentError, TransientError
from sync.model import Programme
from sync.protocol import ConnectorContext, ConnectorState, Op, RemoteRef, RequestCounter
from tests.contract.suite import push, retimed
from tests.helpers import reference_programme
from tests.humhub.conftest import PASSWORD, SPACE, TOKEN, HumHubSite

KEY = "atelier-culture-juridique"


class MemoryState(ConnectorState):
    def __init__(self) -> None:
        self.saved: dict[str, dict[str, object]] = {}

    def load(self, key: str) -> dict[str, object]:
        return dict(self.saved.get(key, {}))

    def save(self, key: str, value: Mapping[str, object]) -> None:
        self.saved[key] = dict(value)


def fast_context(name: str = "reseau", state: ConnectorState | None = None) -> ConnectorContext:
    """A counted, retrying client whose backoff is short, so retried failures stay fast."""
    counter = RequestCounter()
    transport = CountingRetryTransport(name, counter, backoff_initial=0.01, backoff_max=0.05)
    return ConnectorContext(name, httpx.AsyncClient(transport=transport), counter, "fr", state=state)


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., HumHubConnector]]:
    made: list[HumHubConnector] = []

    def build(site: HumHubSite, state: ConnectorState | None = None, **settings: object) -> HumHubConnector:
        values: dict[str, object] = {"url": site.url, "space": SPACE, "token": TOKEN, "server_timezone": "UTC"}
        values.update(settings)
        connector = HumHubConnector("reseau", HumHubConfig.model_validate(values), fast_context(state=state))
        made.append(connector)
        return connector

    yield build
    for connector in made:
        await connector.ctx.close_http()


def requests(connector: HumHubConnector) -> int:
    return connector.ctx.counter.get(connector.name)


def with_session(programme: Programme, key: str, **changes: object) -> Programme:
    session = dataclasses.replace(programme.sessions[key], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(programme, sessions={**programme.sessions, key: session})


async def test_idle_space_costs_one_request_and_a_hand_edit_is_read_back(
    humhub: HumHubSite, make: Callable[..., HumHubConnector]
) -> None:
    programme = reference_programme()
    connector = make(humhub)
    links = await push(connector, programme)
    first = await connector.pull(None, links, programme)
    assert first.complete and len(first.items) == len(programme.sessions)

    before = requests(connector)
    idle = await connector.pull(first.cursor, links, programme)
    assert requests(connector) - before == 1 and idle.items == [] and idle.cursor == first.cursor
    assert humhub.fake.requests[-1][1].startswith(
        f"/api/v1/content/find-by-container/{humhub.space.contentcontainer_id}?orderBy=lastUpdate&limit=20"
    )

    entry_id = humhub.entries_by_key()[KEY]
    humhub.fake.later()
    humhub.fake.person_edit_entry(entry_id, humhub.person, title="Culture juridique (salle 2)",
                                  start_datetime="2021-11-13 14:00:00", end_datetime="2021-11-13 16:30:00")
    before = requests(connector)
    edited = await connector.pull(idle.cursor, links, programme)
    assert requests(connector) - before == 2  # the probe, then one page of the calendar
    item = next(i for i in edited.items if i.key == KEY)
    assert item.fields["title"] == "Culture juridique (salle 2)"
    assert item.fields["start"] == "2021-11-13T15:00:00+01:00"  # stored in UTC, read in Paris time
    unchanged = [i for i in edited.items if i.key != KEY]
    assert all(dict(i.fields) == dict(links[i.key].base or {}) for i in unchanged)

    # Somebody posts in the space: the calendar is listed again, and nothing reads as changed.
    humhub.fake.later()
    humhub.fake.person_post(humhub.space, humhub.person, "Qui vient samedi ?")
    after_post = await connector.pull(edited.cursor, links, programme)
    assert {i.key for i in after_post.items if dict(i.fields) != dict(links[i.key].base or {})} == {KEY}


async def test_times_are_sent_in_the_event_zone_and_checked_against_the_server_zone(
    humhub: HumHubSite, make: Callable[..., HumHubConnector]
) -> None:
    programme = reference_programme()
    connector = make(humhub)
    await push(connector, programme, keys=[KEY])
    entry = humhub.fake.entries[humhub.entries_by_key()[KEY]]
    assert (entry.start_datetime, entry.end_datetime, entry.time_zone) == (
        "2021-11-13 13:00:00", "2021-11-13 15:30:00", "Europe/Paris")

    # Left to its default (the event's zone), the setting is wrong for this UTC server: said so.
    wrong = make(humhub, server_timezone=None)
    other = "restitution"
    op = Op("create", other, wrong.project(programme.sessions[other], programme))
    [result] = await wrong.apply([op], programme)
    assert isinstance(result, PermanentError)
    assert "server_timezone" in str(result) and "Europe/Paris" in str(result)
    assert "2021-11-12 14:30:00" in str(result)  # what the UTC server stored for 15:30 in Paris


async def test_a_cancelled_session_keeps_its_entry_marked_and_a_cancel_in_humhub_is_read(
    humhub: HumHubSite, make: Callable[..., HumHubConnector]
) -> None:
    programme = reference_programme()
    connector = make(humhub)
    links = await push(connector, programme)
    cancelled = with_session(programme, KEY, status="cancelled")
    links = await push(connector, cancelled, links, [KEY])
    entry = humhub.fake.entries[humhub.entries_by_key()[KEY]]
    assert entry.title == "Annulé : Culture juridique" and entry.closed == 0
    pulled = await connector.pull(None, links, cancelled)
    item = next(i for i in pulled.items if i.key == KEY)
    assert dict(item.fields) == dict(links[KEY].base or {})

    # A person presses "Cancel event" on another session: it reads as cancelled, title intact.
    other = "restitution"
    humhub.fake.close_entry(humhub.entries_by_key()[other], humhub.person)
    pulled = await connector.pull(pulled.cursor, links, cancelled)
    read = next(i for i in pulled.items if i.key == other)
    assert read.fields["status"] == "cancelled" and read.fields["title"] == programme.sessions[other].title

    # The API cannot reopen it: a write that needs it open says what to do.
    retitled = with_session(programme, other, title="Restitution finale")
    op = Op("update", other, connector.project(retitled.sessions[other], retitled), links[other])
    [result] = await connector.apply([op], retitled)
    assert isinstance(result, PermanentError) and "rouvrez-le dans HumHub" in str(result)


async def test_text_shows_as_typed_and_whole_days_are_all_day_entries(
    humhub: HumHubSite, make: Callable[..., HumHubConnector]
) -> None:
    programme = reference_programme()
    text = "**Pas du gras** [pas un lien](http://x) #1 <b>html</b> \\ fin."
    session = programme.sessions[KEY]
    midnight = session.start.replace(hour=0, minute=0)
    changed = with_session(programme, KEY, description=text, start=midnight, end=midnight + timedelta(days=2))
    connector = make(humhub)
    links = await push(connector, changed, keys=[KEY])
    entry = humhub.fake.entries[humhub.entries_by_key()[KEY]]
    assert entry.description.startswith(escape(text)) and "**" not in entry.description.split("\n")[0][:2]
    assert (entry.all_day, entry.start_datetime, entry.end_datetime) == (
        1, "2021-11-13 00:00:00", "2021-11-15 00:00:00")
    pulled = await connector.pull(None, links, changed)
    assert dict(pulled.items[0].fields) == dict(links[KEY].base or {})


async def test_a_create_finds_the_entry_already_there_and_a_deleted_entry_is_made_again(
    humhub: HumHubSite, make: Callable[..., HumHubConnector]
) -> None:
    programme = reference_programme()
    connector = make(humhub)
    links = await push(connector, programme)
    ids = humhub.entries_by_key()
    # The state store is lost (or a run died after creating): creating again updates in place.
    again = await push(make(humhub), programme)
    assert humhub.entries_by_key() == ids
    assert {k: link.remote_id for k, link in again.items()} == {k: str(v) for k, v in ids.items()}

    humhub.fake.person_delete(humhub.fake.entries[ids[KEY]].content, humhub.person)
    moved = retimed(programme, KEY)
    links = await push(connector, moved, links, [KEY])
    assert humhub.entries_by_key()[KEY] != ids[KEY] and links[KEY].remote_id == str(humhub.entries_by_key()[KEY])


async def test_credentials_rights_and_refusals_are_told_plainly(
    humhub: HumHubSite, make: Callable[..., HumHubConnector]
) -> None:
    programme = reference_programme()
    with pytest.raises(AuthError, match="token_file"):
        await make(humhub, token="not-the-token").pull(None, {}, programme)
    with pytest.raises(AuthError, match="utilisateur hub"):
        await make(humhub, token=None, auth="basic", username="hub", password="wrong").pull(None, {}, programme)
    with pytest.raises(ConfigError, match="nulle-part"):
        await make(humhub, space="nulle-part").pull(None, {}, programme)

    humhub.space.calendar_creators = {"admin", "moderator"}
    connector = make(humhub)
    op = Op("create", KEY, connector.project(programme.sessions[KEY], programme))
    with pytest.raises(AuthError, match="Créer un événement"):
        await connector.apply([op], programme)
    humhub.space.calendar_creators = {"admin", "moderator", "member"}

    long_title = with_session(programme, KEY, title="x" * 201)
    op = Op("create", KEY, connector.project(long_title.sessions[KEY], long_title))
    [result] = await connector.apply([op], long_title)
    assert isinstance(result, PermanentError)
    assert "422" in str(result) and "title: Title should contain at most 200 characters." in str(result)
    assert TOKEN not in str(result)


async def test_server_errors_are_retried_or_deferred(
    humhub: HumHubSite, make: Callable[..., HumHubConnector]
) -> None:
    programme = reference_programme()
    connector = make(humhub)
    humhub.fake.fail("/api/v1/content/", 503, times=1)
    humhub.fake.fail("/api/v1/calendar/", 429, times=1, retry_after=0)
    first = await connector.pull(None, {}, programme)  # each GET retried once, then answered
    assert first.complete and requests(connector) == 1 + 2 + 2  # space list, probe x2, listing x2

    humhub.fake.fail("/api/v1/calendar/container/", 429, times=1, retry_after=60)
    op = Op("create", KEY, connector.project(programme.sessions[KEY], programme))
    with pytest.raises(TransientError) as caught:
        await connector.apply([op], programme)  # the listing before a create: 429 with a wait too long to sleep on
    assert caught.value.retry_after == 60

    humhub.fake.fail("/api/v1/content/", 500, times=10)
    with pytest.raises(TransientError, match="500"):
        await connector.pull(first.cursor, {}, programme)


async def test_a_jwt_is_renewed_when_it_expires(
    humhub: HumHubSite, make: Callable[..., HumHubConnector]
) -> None:
    programme = reference_programme()
    connector = make(humhub, token=None, auth="jwt", username="hub", password=PASSWORD)
    first = await connector.pull(None, {}, programme)
    logins = [r for r in humhub.fake.requests if r[1] == "/api/v1/auth/login"]
    assert len(logins) == 1
    await connector.pull(first.cursor, {}, programme)
    assert len([r for r in humhub.fake.requests if r[1] == "/api/v1/auth/login"]) == 1
    humhub.fake.clock_offset = 7200  # past the token's expiry on the server's clock only
    await connector.pull(first.cursor, {}, programme)
    assert len([r for r in humhub.fake.requests if r[1] == "/api/v1/auth/login"]) == 2


async def test_check_proves_token_space_and_rights_without_writing(
    humhub: HumHubSite, make: Callable[..., HumHubConnector]
) -> None:
    by_name = make(humhub, space="Assemblée des communs")
    proofs = await by_name.check()
    assert any("hub" in p for p in proofs) and any("lastUpdate" in p for p in proofs)
    assert any("publier" in p for p in proofs) and any("calendrier" in p for p in proofs)
    assert humhub.fake.entries == {} and humhub.fake.posts == {}
    assert (await make(humhub, space=humhub.space.guid).space()).container == humhub.space.contentcontainer_id

    humhub.space.members.pop(humhub.hub.id)
    humhub.space.visibility = 1
    with pytest.raises(AuthError, match="membre"):
        await make(humhub).check()


def announcement(occurrence: str, correction: bool = False) -> Announcement:
    programme = reference_programme()
    before = programme.sessions[KEY].to_record()
    after = {**before, "start": "2021-11-13T15:00:00+01:00", "end": "2021-11-13T17:30:00+01:00"}
    change = classify(before, after)
    assert change is not None
    return Announcement((change,), programme.venues, datetime.now().astimezone(), correction, occurrence)


async def test_one_post_per_sending_found_again_after_a_crash_and_corrected_in_place(
    humhub: HumHubSite, make: Callable[..., HumHubConnector]
) -> None:
    state = MemoryState()
    connector = make(humhub, state=state)
    ref = await connector.announce("space", announcement("a" * 64))
    [post] = humhub.fake.space_posts(humhub.space)
    assert ref == RemoteRef(str(post.id))
    assert "Culture juridique : déplacé de 14 h à 15 h" in post.message.replace("\\", "")

    # The same sending again, with its note lost (a crash before the outbox recorded it): found.
    again = await make(humhub).announce("space", announcement("a" * 64))
    assert again.remote_id == str(post.id) and len(humhub.fake.space_posts(humhub.space)) == 1
    # Its text corrected within the same sending: the post is edited, not doubled.
    corrected = await connector.announce("space", announcement("a" * 64, correction=True))
    [edited] = humhub.fake.space_posts(humhub.space)
    assert corrected.remote_id == str(post.id) and edited.message.startswith("**Correction du programme**")
    # Another sending of the same changes is another post.
    await connector.announce("space", announcement("b" * 64))
    assert len(humhub.fake.space_posts(humhub.space)) == 2
