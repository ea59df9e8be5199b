"""The exports people and apps read: ICS for calendars, frab JSON for conference apps, HTML."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
from icalendar import Calendar

from connectors.files import FilesConfig, FilesConnector
from connectors.http import build_client
from sync.model import Programme
from sync.protocol import ConnectorContext, RequestCounter
from tests.contract.suite import push, retimed
from tests.helpers import reference_programme

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "c3voc-schedule-schema.json").read_text())


def export(folder: Path, programme: Programme, language: str = "fr") -> FilesConnector:
    async def run() -> FilesConnector:
        counter = RequestCounter()
        ctx = ConnectorContext("exports", build_client("exports", counter), counter, language, folder)
        connector = FilesConnector("exports", FilesConfig(type="files", path="public"), ctx)
        await push(connector, programme)
        await ctx.http.aclose()
        return connector

    return asyncio.run(run())


def test_frab_json_validates_against_the_c3voc_schema(tmp_path: Path) -> None:
    export(tmp_path, reference_programme())
    document = json.loads((tmp_path / "public" / "programme.json").read_text(encoding="utf-8"))
    jsonschema.Draft6Validator(SCHEMA).validate(document)
    days = document["schedule"]["conference"]["days"]
    assert [d["date"] for d in days] == ["2021-11-12", "2021-11-13", "2021-11-14"]
    assert sum(len(events) for d in days for events in d["rooms"].values()) == 22


def test_ics_has_stable_uids_zone_and_cancellations(tmp_path: Path) -> None:
    programme = reference_programme()
    cancelled = programme.sessions["atelier-municipalisme"].with_fields({"status": "cancelled"})
    programme = Programme(programme.event, programme.days, programme.venues,
                          {**programme.sessions, cancelled.id: cancelled})
    export(tmp_path, programme)
    calendar = Calendar.from_ical((tmp_path / "public" / "programme.ics").read_bytes())
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    events = {str(e["X-HUB-ID"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 22
    uid = str(events["atelier-culture-juridique"]["UID"])
    assert uid == "atelier-culture-juridique@assemblee-communs-2021.commons-hub"
    assert events["atelier-culture-juridique"]["DTSTART"].params["TZID"] == "Europe/Paris"
    assert str(events["atelier-municipalisme"]["STATUS"]) == "CANCELLED"
    assert str(events["atelier-culture-juridique"]["LOCATION"]) == "Les 8 Pillards, 13014 Marseille"


def test_html_escapes_what_people_typed(tmp_path: Path) -> None:
    programme = reference_programme()
    evil = programme.sessions["restitution"].with_fields({"title": "<script>alert('x')</script> & co"})
    programme = Programme(programme.event, programme.days, programme.venues, {**programme.sessions, evil.id: evil})
    export(tmp_path, programme, "en")
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in page
    assert '<html lang="en">' in page and "Saturday 13 November: Initier les chantiers communs" in page
    assert "With: " in page and "With :" not in page


def test_one_change_rerenders_one_fragment(tmp_path: Path) -> None:
    programme = reference_programme()
    export(tmp_path, programme)
    cache = json.loads((tmp_path / "public" / ".hub-fragments.json").read_text(encoding="utf-8"))
    changed = retimed(programme, "accueil-cafe")
    export(tmp_path, changed)
    after = json.loads((tmp_path / "public" / ".hub-fragments.json").read_text(encoding="utf-8"))
    differing = {key for key in after if after[key]["ics"] != cache[key]["ics"]}
    assert differing == {"accueil-cafe"}
