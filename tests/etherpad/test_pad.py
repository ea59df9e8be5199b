"""The programme pad against a real Etherpad: render, read back, people's edits, concurrency."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.etherpad import EtherpadConfig, EtherpadConnector
from connectors.http import build_client
from sync.errors import AuthError, PreconditionFailed
from sync.model import Programme
from sync.protocol import ConnectorContext, Link, Op, PullResult, RemoteItem, RemoteRef, RequestCounter
from tests.etherpad.conftest import EtherpadServer, Person

pytestmark = pytest.mark.peer("etherpad")


def make_pad(server: EtherpadServer, ctx: ConnectorContext, pad: str, **extra: Any) -> EtherpadConnector:
    config = EtherpadConfig.model_validate(
        {"type": "etherpad", "url": server.url, "pad": pad, "api_key": server.api_key, **extra}
    )
    return EtherpadConnector("pad", config, ctx)


def all_creates(pad: EtherpadConnector, programme: Programme) -> list[Op]:
    return [Op("create", s.id, pad.project(s, programme), None) for s in programme.sorted_sessions()]


def links_after(pad: EtherpadConnector, programme: Programme, refs: list[Any]) -> dict[str, Link]:
    """What the state store keeps after a push: the pushed projection is the agreed base."""
    links = {}
    for session, ref in zip(programme.sorted_sessions(), refs, strict=True):
        assert isinstance(ref, RemoteRef)
        links[session.id] = Link(
            "pad",
            "sessions",
            session.id,
            ref.remote_id,
            ref.version,
            base=pad.project(session, programme),
        )
    return links


def by_key(result: PullResult) -> dict[str | None, RemoteItem]:
    return {item.key: item for item in result.items}


async def published(pad: EtherpadConnector, programme: Programme) -> tuple[dict[str, Link], str]:
    """Render the reference programme into a fresh pad; return the links and the pull cursor."""
    refs = await pad.apply(all_creates(pad, programme), programme)
    links = links_after(pad, programme, refs)
    first = await pad.pull(None, links, programme)
    assert first.problems == []
    assert first.cursor is not None
    return links, first.cursor


async def test_initial_render_reads_back_exactly_what_was_projected(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
    person: Person,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id)
    refs = await pad.apply(all_creates(pad, programme), programme)
    assert all(isinstance(r, RemoteRef) for r in refs)

    text = person.text(pad_id)
    assert text.count("\n== ") == 3
    assert "== samedi 13 novembre 2021 : Initier les chantiers communs ==" in text
    assert "14:00-16:30 Culture juridique [#atelier-culture-juridique]\n    Lieu : Les 8 Pillards\n" in text
    assert "    Animation : Noailles Debout, Hôtel du Nord\n" in text
    assert text.count("[#") == 22 + 1  # every session, plus the help line naming the markers

    result = await pad.pull(None, {}, programme)
    assert result.complete and result.problems == []
    items = by_key(result)
    assert set(items) == set(programme.sessions)
    for key, item in items.items():
        assert key is not None
        assert dict(item.fields) == pad.project(programme.sessions[key], programme), key
        assert item.version == result.cursor


async def test_english_pad(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
    person: Person,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id, language="en")
    await pad.apply(all_creates(pad, programme), programme)
    text = person.text(pad_id)
    assert "== Saturday 13 November 2021: Initier les chantiers communs ==" in text
    assert "    Venue: Les 8 Pillards\n" in text
    result = await pad.pull(None, {}, programme)
    assert result.problems == []
    assert all(dict(i.fields) == pad.project(programme.sessions[str(i.key)], programme) for i in result.items)


async def test_unchanged_pad_costs_one_request(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id)
    links, cursor = await published(pad, programme)
    before = context.counter.get("pad")
    result = await pad.pull(cursor, links, programme)
    assert context.counter.get("pad") - before == 1
    assert result.items == [] and result.cursor == cursor


async def test_pull_right_after_the_hubs_own_write_costs_one_request(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id)
    links, cursor = await published(pad, programme)
    session = programme.sessions["atelier-municipalisme"]
    renamed = session.with_fields({"title": "Communs et municipalisme (salle 2)"})
    programme = programme.with_sessions([renamed if s.id == renamed.id else s for s in programme.sessions.values()])
    [ref] = await pad.apply(
        [Op("update", renamed.id, pad.project(renamed, programme), links[renamed.id], 1)], programme
    )
    assert isinstance(ref, RemoteRef)
    links[renamed.id] = Link(
        "pad",
        "sessions",
        renamed.id,
        ref.remote_id,
        ref.version,
        base=pad.project(renamed, programme),
    )
    before = context.counter.get("pad")
    result = await pad.pull(cursor, links, programme)
    assert context.counter.get("pad") - before == 1
    assert result.items == []


async def test_a_persons_time_and_venue_edit_is_pulled_as_a_change(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
    person: Person,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id)
    links, cursor = await published(pad, programme)
    person.replace(
        pad_id,
        "14:00-16:30 Culture juridique [#atelier-culture-juridique]\n    Lieu : Les 8 Pillards",
        "15h-17h30 Culture juridique [#atelier-culture-juridique]\n    Lieu : l'après m",
    )
    result = await pad.pull(cursor, links, programme)
    assert result.problems == []
    items = by_key(result)
    edited = items["atelier-culture-juridique"].fields
    assert edited["start"] == "2021-11-13T15:00:00+01:00"
    assert edited["end"] == "2021-11-13T17:30:00+01:00"
    assert edited["venue"] == "apres-m" and edited["venue_name"] == "L'Après M"
    assert edited["title"] == "Culture juridique"
    unchanged = [
        k for k, item in items.items() if k != "atelier-culture-juridique" and dict(item.fields) == links[str(k)].base
    ]
    assert len(unchanged) == 21
    assert result.cursor != cursor


async def test_description_title_and_cancellation_are_read(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
    person: Person,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id)
    links, cursor = await published(pad, programme)
    person.replace(
        pad_id,
        "17:30-19:00 Clôture : quel imaginaire portons-nous en commun ?",
        "ANNULÉ 17:30-19:00 Clôture : quel imaginaire portons-nous en commun ?",
    )
    person.replace(
        pad_id,
        "10:00-12:30 Production en commun [#atelier-production-en-commun]\n    Lieu : L'Après M\n",
        "10:00-12:30 Produire en commun [#atelier-production-en-commun]\n"
        "    Lieu : L'Après M\n    Animation : Coop des communs ; La Fabrique, Marseille\n"
        "    Apporter\tses outils.\n\n",
    )
    items = by_key(await pad.pull(cursor, links, programme))
    assert items["cloture-8-pillards"].fields["status"] == "cancelled"
    produced = items["atelier-production-en-commun"].fields
    assert produced["title"] == "Produire en commun"
    assert produced["hosts"] == ["Coop des communs", "La Fabrique, Marseille"]
    assert produced["description"] == "Apporter ses outils."


async def test_an_unreadable_line_is_reported_and_changes_nothing(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
    person: Person,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id)
    links, cursor = await published(pad, programme)
    text = person.replace(
        pad_id,
        "14:00-16:30 Communs et municipalisme [#atelier-municipalisme]",
        "vers 14h, Communs et municipalisme [#atelier-municipalisme]",
    )
    line = text.split("\n").index("vers 14h, Communs et municipalisme [#atelier-municipalisme]") + 1
    person.replace(
        pad_id,
        "    Lieu : Friche la Belle de Mai\n\n10:00-13:00",
        "    Lieu : Friche la Belle de Mai\n\nrien de prévu le matin ?\n\n10:00-13:00",
    )
    person.replace(
        pad_id,
        "[#atelier-puissance-publique]\n    Lieu : Les 8 Pillards",
        "[#atelier-puissance-publique]\n    Lieu : La Lune",
    )
    result = await pad.pull(cursor, links, programme)
    assert len(result.problems) == 3
    assert any(f"ligne {line} :" in p and "heure illisible" in p for p in result.problems)
    assert any("rien de prévu le matin ?" in p for p in result.problems)
    assert any("lieu inconnu « La Lune »" in p for p in result.problems)
    items = by_key(result)
    # nothing the person wrote there is taken: the sessions keep what the hub last agreed on
    assert dict(items["atelier-municipalisme"].fields) == links["atelier-municipalisme"].base
    assert dict(items["atelier-puissance-publique"].fields) == links["atelier-puissance-publique"].base
    assert set(items) == set(programme.sessions)


async def test_new_lines_become_sessions_only_when_allowed(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
    person: Person,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id)
    links, cursor = await published(pad, programme)
    person.replace(
        pad_id,
        "\n\n== dimanche 14 novembre 2021",
        "\n\n20:00-23:00 Bal des communs\n    Lieu : Les 8 Pillards\n\n== dimanche 14 novembre 2021",
    )
    refused = await pad.pull(cursor, links, programme)
    assert None not in by_key(refused)
    assert any("ce pad ne crée pas de sessions" in p for p in refused.problems)

    creating = make_pad(etherpad_server, context, pad_id, create_sessions=True)
    result = await creating.pull(cursor, links, programme)
    assert result.problems == []
    new = by_key(result)[None]
    assert new.fields["title"] == "Bal des communs"
    assert new.fields["start"] == "2021-11-13T20:00:00+01:00"
    assert new.fields["venue"] == "huit-pillards"
    assert new.remote_id.startswith("new:")


async def test_a_persons_edit_between_read_and_write_is_merged_first(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
    person: Person,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id)
    links, cursor = await published(pad, programme)
    assert (await pad.pull(cursor, links, programme)).items == []  # the hub reads...
    person.replace(pad_id, "09:30-10:00 Accueil café", "09:15-10:00 Accueil café")  # ...a person edits
    renamed = programme.sessions["dejeuner-grandes-tables"].with_fields({"title": "Repas partagé"})
    op = Op("update", renamed.id, pad.project(renamed, programme), links[renamed.id], 1)
    [result] = await pad.apply([op], programme)  # ...the hub writes what it planned
    assert isinstance(result, PreconditionFailed)
    assert "09:15-10:00 Accueil café" in person.text(pad_id)

    again = await pad.pull(cursor, links, programme)  # the engine re-pulls, merges, re-plans
    assert by_key(again)["accueil-cafe"].fields["start"] == "2021-11-14T09:15:00+01:00"
    [ref] = await pad.apply([op], programme)
    assert isinstance(ref, RemoteRef)
    text = person.text(pad_id)
    assert "09:15-10:00 Accueil café" in text and "13:00-14:30 Repas partagé" in text


class EditDuringWrite(httpx.AsyncBaseTransport):
    """A person saves an edit at the very moment the hub's setText leaves (the worst race)."""

    def __init__(self, person: Person, pad: str, old: str, new: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.person, self.pad, self.old, self.new = person, pad, old, new
        self.fired = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/setText") and not self.fired:
            self.fired = True
            self.person.replace(self.pad, self.old, self.new)
        return await self.inner.handle_async_request(request)


async def test_an_edit_racing_the_write_is_put_back_not_lost(
    etherpad_server: EtherpadServer,
    programme: Programme,
    pad_id: str,
    person: Person,
) -> None:
    counter = RequestCounter()
    racing = EditDuringWrite(person, pad_id, "18:00-20:00 Le projet", "18:30-20:00 Le projet")
    async with build_client("pad", counter, inner=racing) as http:
        ctx = ConnectorContext("pad", http, counter)
        pad = make_pad(etherpad_server, ctx, pad_id)
        links, cursor = await published(pad, programme)
        moved = programme.sessions["atelier-travail-contribution"].with_fields(
            {"title": "Travail, contribution et revenu"}
        )
        op = Op("update", moved.id, pad.project(moved, programme), links[moved.id], 1)
        [result] = await pad.apply([op], programme)
        assert racing.fired
        assert isinstance(result, PreconditionFailed)
        text = person.text(pad_id)
        assert "18:30-20:00 Le projet" in text  # the person's edit survived the hub's setText

        again = await pad.pull(cursor, links, programme)
        assert by_key(again)["fishbowl-anthropocene"].fields["start"] == "2021-11-12T18:30:00+01:00"
        [ref] = await pad.apply([op], programme)
        assert isinstance(ref, RemoteRef)
        text = person.text(pad_id)
        assert "18:30-20:00 Le projet" in text and "Travail, contribution et revenu [#" in text


async def test_writes_touch_only_the_changed_blocks(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
    person: Person,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id)
    links, cursor = await published(pad, programme)
    person.replace(pad_id, "Lieux : ", "Covoiturage : voir le tableau à l'accueil.\nLieux : ")
    person.replace(pad_id, "[#restitution]\n", "[#restitution]\n    (prévoir des chaises)\n")
    result = await pad.pull(cursor, links, programme)
    before = person.text(pad_id).split("\n")

    sessions = dict(programme.sessions)
    moved = sessions["atelier-communs-recherche"].with_fields(
        {"start": "2021-11-13T16:45:00+01:00", "end": "2021-11-13T18:00:00+01:00"}
    )
    gone = "accueil-meteo"
    sessions[moved.id] = moved
    del sessions[gone]
    changed = programme.with_sessions(sessions.values())
    ops = [
        Op("update", moved.id, pad.project(moved, changed), links[moved.id], 1),
        Op("delete", gone, None, links[gone], 1),
    ]
    refs = await pad.apply(ops, changed)
    assert all(isinstance(r, RemoteRef) for r in refs)
    after = person.text(pad_id).split("\n")

    assert "Covoiturage : voir le tableau à l'accueil." in after
    assert "    (prévoir des chaises)" in after
    assert not any("[#accueil-meteo]" in line for line in after)
    order = [line for line in after if line.startswith(("14:00", "16:45", "17:30"))]
    assert [line.split(" [#")[1] for line in order] == [
        "atelier-culture-juridique]",
        "atelier-municipalisme]",
        "atelier-puissance-publique]",
        "atelier-communs-recherche]",
        "cloture-8-pillards]",
    ]
    removed = set(before) - set(after)
    assert removed == {
        "09:00-10:00 Accueil et météo des communs [#accueil-meteo]",
        "    Lieu : Massalia Vox",
        "    Permanence d'accueil ; chacun et chacune partage sa météo des communs.",
        "10:00-12:30 Communs et recherche [#atelier-communs-recherche]",
    }
    assert isinstance(refs[0], RemoteRef)
    links[moved.id] = Link("pad", "sessions", moved.id, moved.id, refs[0].version, base=pad.project(moved, changed))
    del links[gone]
    reread = by_key(await pad.pull(result.cursor, {k: _stale(v) for k, v in links.items()}, changed))
    expected = {k: pad.project(s, changed) for k, s in changed.sessions.items()}
    restitution = expected["restitution"]  # the person's line comes first in its description
    restitution["description"] = "(prévoir des chaises)\n" + restitution["description"]
    assert {k: dict(i.fields) for k, i in reread.items()} == expected


def _stale(link: Link) -> Link:
    """The link without its version, so the pull reads the text instead of trusting it."""
    return Link(link.connector, link.collection, link.key, link.remote_id, None, base=link.base)


async def test_new_sessions_on_a_new_last_day_are_appended(
    etherpad_server: EtherpadServer,
    programme: Programme,
    pad_id: str,
    person: Person,
) -> None:
    seen: list[str] = []

    class Recorder(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.url.path.rsplit("/", 1)[-1])
            return await self.inner.handle_async_request(request)

    counter = RequestCounter()
    async with build_client("pad", counter, inner=Recorder()) as http:
        pad = make_pad(etherpad_server, ConnectorContext("pad", http, counter), pad_id)
        await published(pad, programme)
        extra = programme.sessions["accueil-cafe"].with_fields(
            {
                "id": "bilan",
                "title": "Bilan et suites",
                "start": "2021-11-15T10:00:00+01:00",
                "end": "2021-11-15T12:00:00+01:00",
                "description": "En visio.",
            }
        )
        bigger = programme.with_sessions([*programme.sessions.values(), extra])
        seen.clear()
        [ref] = await pad.apply([Op("create", "bilan", pad.project(extra, bigger), None)], bigger)
        assert isinstance(ref, RemoteRef)
        assert "appendText" in seen and "setText" not in seen
    text = person.text(pad_id)
    assert text.endswith(
        "== lundi 15 novembre 2021 ==\n\n10:00-12:00 Bilan et suites [#bilan]\n"
        "    Lieu : Friche la Belle de Mai\n    En visio.\n"
    )


async def test_wrong_api_key_is_an_auth_error(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
) -> None:
    config = EtherpadConfig.model_validate(
        {"type": "etherpad", "url": etherpad_server.url, "pad": pad_id, "api_key": "nope"}
    )
    pad = EtherpadConnector("pad", config, context)
    with pytest.raises(AuthError) as caught:
        await pad.pull(None, {}, programme)
    assert "nope" not in str(caught.value)


async def test_check_proves_key_and_pad(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id)
    assert any("absent" in line for line in await pad.check())
    await published(pad, programme)
    proved = await pad.check()
    assert any(f"pad « {pad_id} » lisible" in line for line in proved)


@pytest.mark.parametrize("create_sessions", [False, True])
async def test_a_damaged_marker_is_recognised_and_repaired(
    etherpad_server: EtherpadServer,
    context: ConnectorContext,
    programme: Programme,
    pad_id: str,
    person: Person,
    create_sessions: bool,
) -> None:
    pad = make_pad(etherpad_server, context, pad_id, create_sessions=create_sessions)
    links, cursor = await published(pad, programme)
    person.replace(
        pad_id,
        "Culture juridique [#atelier-culture-juridique]",
        "Culture juridique [#atelier-culture-jur",
    )
    result = await pad.pull(cursor, links, programme)
    assert result.problems == []
    items = by_key(result)
    assert None not in items  # not a new session...
    damaged = items["atelier-culture-juridique"]  # ...the same one, seen without its marker
    assert damaged.fields["marked"] is False
    assert {k: v for k, v in damaged.fields.items() if k != "marked"} == {
        k: v
        for k, v in links["atelier-culture-juridique"].base.items()
        if k != "marked"  # type: ignore[union-attr]
    }
    # the engine sees the difference and writes the session again: the marker comes back
    session = programme.sessions["atelier-culture-juridique"]
    link = Link("pad", "sessions", session.id, damaged.remote_id, damaged.version, base=dict(damaged.fields))
    [ref] = await pad.apply([Op("update", session.id, pad.project(session, programme), link, 1)], programme)
    assert isinstance(ref, RemoteRef)
    text = person.text(pad_id)
    assert "14:00-16:30 Culture juridique [#atelier-culture-juridique]\n" in text
    assert "[#atelier-culture-jur\n" not in text


class EditAfterWrite(httpx.AsyncBaseTransport):
    """A person saves an edit just after the hub's setText, before the hub looks again."""

    def __init__(self, person: Person, pad: str, old: str, new: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.person, self.pad, self.old, self.new = person, pad, old, new
        self.fired = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/setText") and not self.fired:
            self.fired = True
            await response.aread()
            self.person.replace(self.pad, self.old, self.new)
        return response


async def test_an_edit_right_after_the_write_is_read_at_the_next_pull(
    etherpad_server: EtherpadServer, programme: Programme, pad_id: str, person: Person
) -> None:
    counter = RequestCounter()
    after = EditAfterWrite(person, pad_id, "09:00-09:30 Rencontre 14", "09:00-09:45 Rencontre 14")
    async with build_client("pad", counter, inner=after) as http:
        pad = make_pad(etherpad_server, ConnectorContext("pad", http, counter), pad_id)
        links, cursor = await published(pad, programme)
        renamed = programme.sessions["accueil-cafe"].with_fields({"title": "Café d'accueil"})
        op = Op("update", renamed.id, pad.project(renamed, programme), links[renamed.id], 1)
        [ref] = await pad.apply([op], programme)
        assert after.fired and isinstance(ref, RemoteRef)
        assert ref.version == cursor  # not the revision the person's edit made
        links[renamed.id] = Link(
            "pad",
            "sessions",
            renamed.id,
            ref.remote_id,
            ref.version,
            base=dict(op.projection or {}),
        )
        pulled = by_key(await pad.pull(cursor, links, programme))
        assert pulled["rencontre-14-accueil"].fields["end"] == "2021-11-13T09:45:00+01:00"
        assert pulled["accueil-cafe"].fields["title"] == "Café d'accueil"
