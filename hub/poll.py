"""``hub poll ...``: Framadate polls made, read and closed, and what their answers lead to.

- ``hub poll create dates TITLE --slot 2021-10-05T18:00 [--slot ...] [--until DATE]``: a date poll;
- ``hub poll create signup --day 2021-11-13``: a sign-up poll, one choice per workshop of the day;
- ``hub poll status [POLL]``: the answers (one request per poll); a date poll whose ``--until`` has
  passed is closed, and a sign-up over the programme's limits is flagged;
- ``hub poll close POLL``: close a date poll now.

Closing runs the meetings workflow (:mod:`connectors.framadate.meetings`). The connectors it
names (``meetings_calendar``, ``notes_pad``, ``announce_to``) are built here through
:mod:`hub.runtime`; chat messages go through the outbox (``notice`` entries keyed by poll, so a
second run never sends them again) and are sent at once, under the writers' lock.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click

from config.settings import ConnectorSettings, Settings
from connectors.framadate import FramadateConfig, FramadateConnector
from connectors.framadate.connector import INDEX as POLL_INDEX
from connectors.framadate.connector import Slot
from connectors.framadate.meetings import best_slot, hold_meeting, over_limits, poll_texts, proposals_to_tell
from hub.console import EXIT_OK
from hub.console import fail as _fail
from hub.console import language as _lang
from hub.console import settings as _settings
from hub.runtime import build_connector, open_store
from sync.apply import OutboxWorker
from sync.engine import programme_from, writer_lock_path
from sync.errors import ConfigError, HubError, InputError
from sync.i18n import Catalogue
from sync.model import Event, Programme
from sync.programme_reader import load_programme
from sync.protocol import Connector, RequestCounter
from sync.report import ConnectorReport, Runtime
from sync.retry import RetryPolicy
from sync.state import StateStore, WriterLock

MESSAGES = Catalogue({
    "created": {"fr": "Sondage créé : {url}", "en": "Poll created: {url}"},
    "announced": {"fr": "Annoncé sur {n} discussion(s).", "en": "Announced in {n} chat(s)."},
    "poll": {"fr": "{title} ({kind}, {voters} réponse(s)) : {url}",
             "en": "{title} ({kind}, {voters} answer(s)): {url}"},
    "kind.dates": {"fr": "dates", "en": "dates"},
    "kind.signup": {"fr": "inscriptions", "en": "sign-up"},
    "option": {"fr": "  {label} : {yes} oui, {maybe} si nécessaire, {no} non{mark}",
               "en": "  {label}: {yes} yes, {maybe} if need be, {no} no{mark}"},
    "best": {"fr": "  ← choisi", "en": "  ← chosen"},
    "closed": {"fr": "  clos", "en": "  closed"},
    "meeting": {"fr": "  Réunion : {start}{pad}{event}", "en": "  Meeting: {start}{pad}{event}"},
    "meeting.pad": {"fr": ", notes {url}", "en": ", notes {url}"},
    "meeting.event": {"fr": ", dans l'agenda", "en": ", in the calendar"},
    "meeting.none": {"fr": "  Personne n'a répondu oui : pas de réunion.",
                     "en": "  Nobody answered yes: no meeting."},
    "split": {"fr": "  ⚠ {title} : {count} inscrit·es, limite {limit} : dédoublement proposé aux organisateurs",
              "en": "  ⚠ {title}: {count} sign-ups, limit {limit}: split proposed to the organisers"},
    "none": {"fr": "Aucun sondage fait par le hub.", "en": "No poll made by the hub."},
    "no_framadate": {"fr": "aucune section de type framadate dans la configuration",
                     "en": "no connector section of type framadate in the configuration"},
    "several": {"fr": "plusieurs sections framadate : choisissez avec --connector ({names})",
                "en": "several framadate sections: choose one with --connector ({names})"},
    "unknown_section": {"fr": "connectors.{name}.{field} : pas de section « {value} » dans la configuration",
                        "en": "connectors.{name}.{field}: no section '{value}' in the configuration"},
    "not_calendar": {"fr": "connectors.{name}.meetings_calendar : « {value} » n'est pas un agenda "
                           "(caldav ou nextcloud)",
                     "en": "connectors.{name}.meetings_calendar: '{value}' is not a calendar (caldav or nextcloud)"},
    "bad_time": {"fr": "{value!r} n'est pas une date ou une heure (2021-10-05 ou 2021-10-05T18:00)",
                 "en": "{value!r} is not a date or time (2021-10-05 or 2021-10-05T18:00)"},
    "bad_slot": {"fr": "créneau {value!r} : attendu 2021-10-05T18:00 ou 2021-10-05T18:00/19:30",
                 "en": "slot {value!r}: expected 2021-10-05T18:00 or 2021-10-05T18:00/19:30"},
    "no_programme": {"fr": "un sondage d'inscription a besoin du programme ([hub] programme)",
                     "en": "a sign-up poll needs the programme ([hub] programme)"},
    "not_dates": {"fr": "le sondage {poll} n'est pas un sondage de dates : rien à clore",
                  "en": "poll {poll} is no date poll: nothing to close"},
    "signup.title": {"fr": "Inscriptions aux ateliers du {day}", "en": "Workshop sign-up, {day}"},
})
say = MESSAGES.say
DEFAULT_ZONE = "Europe/Paris"


def _now() -> datetime:
    return datetime.now().astimezone()


class PollRun:
    """One ``hub poll`` command (or poll-close job): the settings, the state store (its own, or
    the caller's ``store``, left open), the Framadate connector."""

    def __init__(self, settings: Settings, connector_name: str | None, store: StateStore | None = None) -> None:
        self.settings = settings
        self.lang = settings.hub.language
        self.own_store = store is None
        self.store = store or open_store(settings)
        self.counter = RequestCounter()
        self.section = self._framadate_section(connector_name)
        built = build_connector(self.section, settings, self.counter, store=self.store)
        assert isinstance(built, FramadateConnector)
        self.framadate = built
        self.programme = self._programme()

    def _framadate_section(self, name: str | None) -> ConnectorSettings:
        found = [c for c in self.settings.connectors
                 if isinstance(c.config, FramadateConfig) and (name is None or c.name == name)]
        if not found:
            raise ConfigError(say("no_framadate", self.lang))
        if len(found) > 1:
            raise ConfigError(say("several", self.lang, names=", ".join(c.name for c in found)))
        return found[0]

    def _programme(self) -> Programme | None:
        """The programme file's programme; else the one the state store last merged."""
        if self.settings.hub.programme:
            return load_programme(self.settings.resolve(self.settings.hub.programme),
                                  max_bytes=self.settings.hub.max_programme_bytes)
        meta = self.store.get_meta("programme")
        return programme_from(meta, self.store.load_sessions()) if meta else None

    @property
    def tz(self) -> ZoneInfo:
        return self.programme.tz if self.programme else ZoneInfo(DEFAULT_ZONE)

    @property
    def config(self) -> FramadateConfig:
        return self.framadate.config

    def named(self, field: str, value: str) -> ConnectorSettings:
        """A section another setting names (``meetings_calendar = "reunions"``)."""
        for section in self.settings.connectors:
            if section.name == value:
                return section
        raise ConfigError(say("unknown_section", self.lang, name=self.section.name, field=field, value=value))

    async def close(self) -> None:
        await self.framadate.close()
        await self.framadate.ctx.close_http()
        if self.own_store:
            self.store.close()

    # messages through the outbox ------------------------------------------------------
    def chats(self, entries: Sequence[str], built: Mapping[str, Connector[Any]]) -> list[tuple[str, str]]:
        """(connector, chat) pairs of ``name`` / ``name:chat`` entries."""
        pairs: list[tuple[str, str]] = []
        for entry in entries:
            name, _, chat = entry.partition(":")
            if name in built:
                pairs += [(name, chat)] if chat else [(name, t) for t in built[name].targets()]
        return pairs

    async def tell(self, entries: Sequence[str], texts: Mapping[str, str], key: str) -> int:
        """Queue one notice per chat (never twice for ``key``) and send what is due now."""
        names = sorted({e.partition(":")[0] for e in entries})
        built = {n: build_connector(self.named("announce_to", n), self.settings, self.counter, store=self.store)
                 for n in names}
        try:
            pairs = self.chats(entries, built)
            with self.store.transaction() as conn:
                for name, chat in pairs:
                    idem = hashlib.sha256("|".join((name, chat, self.section.name, key)).encode()).hexdigest()
                    self.store.enqueue(conn, idem_key=idem, connector=name, target=chat, op="notice", key=key,
                                       payload={"texts": dict(texts)}, supersede=False)
            programme = self.programme or Programme(Event("", "", DEFAULT_ZONE), (), {}, {})
            worker = OutboxWorker(self.store, lambda: _now().timestamp(), str, lambda r, e: None,
                                  lambda p, d, t: None,
                                  RetryPolicy(self.settings.hub.retry_delay, self.settings.hub.retry_max_delay))
            with WriterLock(self.store, writer_lock_path(self.settings)):
                for name, connector in built.items():
                    await connector.open()
                    await worker.send_messages(Runtime(name, connector, ConnectorReport()), programme, {key})
        finally:
            for connector in built.values():
                await connector.close()
                await connector.ctx.close_http()
        return len(pairs)

    # the workflow -----------------------------------------------------------------------
    async def close_poll(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """Close a date poll and carry it to its meeting (each step once)."""
        if not record.get("closed"):
            record["closed"] = True
            self.framadate.save(record)
        calendar = pad = None
        try:
            if self.config.meetings_calendar:
                calendar = build_connector(self.named("meetings_calendar", self.config.meetings_calendar),
                                           self.settings, self.counter)
                if calendar.config.type not in ("caldav", "nextcloud"):
                    raise ConfigError(say("not_calendar", self.lang, name=self.section.name,
                                          value=self.config.meetings_calendar))
                await calendar.open()
            if self.config.notes_pad:
                pad = build_connector(self.named("notes_pad", self.config.notes_pad), self.settings, self.counter)
                await pad.open()
            event_id = self.programme.event.id if self.programme else "meetings"
            return await hold_meeting(
                self.framadate, record, tz=self.tz, event_id=event_id, calendar=calendar, pad=pad,
                announce=lambda texts, key: self.tell(self.config.announce_to, texts, key),
            )
        finally:
            for connector in (calendar, pad):
                if connector is not None:
                    await connector.close()
                    await connector.ctx.close_http()

    async def check_signups(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Sign-ups over the programme's limits: told to the admin chats once, listed each time."""
        if self.programme is None:
            return []
        proposals = over_limits(record, self.programme)
        new = proposals_to_tell(record, proposals)
        self.framadate.save(record)
        for proposal in new:
            await self.tell(self.settings.hub.admin_chats, proposal.texts(self.programme),
                            f"split-{record['id']}-{proposal.session.id}")
        return [{"session": p.session.id, "title": p.session.title, "count": p.count, "limit": p.limit,
                 "rule": p.rule} for p in proposals]

    async def follow(self, record: dict[str, Any], *, close: bool = False) -> dict[str, Any]:
        """Read a poll's answers and do what they lead to; what ``status`` shows of it."""
        if not (record.get("closed") and record.get("meeting")):
            await self.framadate.refresh_answers(record)
        shown: dict[str, Any] = {"proposals": []}
        due = record.get("until") and datetime.fromisoformat(record["until"]) <= _now()
        if record["kind"] == "dates" and (close or due or record.get("closed")):
            shown["meeting"] = await self.close_poll(record)
        elif record["kind"] == "signup":
            shown["proposals"] = await self.check_signups(record)
        return shown


def close_is_due(record: Mapping[str, Any], now: datetime) -> bool:
    """A date poll whose ``--until`` has passed and whose follow-up is not done: not closed yet,
    or closed with a meeting not announced yet (a run that stopped midway), or closed before its
    meeting was chosen. Done: announced, or closed with nobody answering yes."""
    if record.get("kind") != "dates" or not record.get("until"):
        return False
    if datetime.fromisoformat(record["until"]) > now:
        return False
    meeting = record.get("meeting")
    if meeting:
        return not meeting.get("announced")
    return not record.get("closed") or best_slot(record) is not None


def framadate_sections(settings: Settings) -> list[str]:
    return [c.name for c in settings.connectors if isinstance(c.config, FramadateConfig)]


def due_polls(settings: Settings, store: StateStore, now: datetime | None = None) -> dict[str, list[str]]:
    """The polls whose close is due, by Framadate section: read from the state alone, no request
    (what a probe looks at every interval)."""
    from sync.state import StoredConnectorState

    moment = now or _now()
    found: dict[str, list[str]] = {}
    for name in framadate_sections(settings):
        state = StoredConnectorState(store, name)
        due = [poll for poll in state.load(POLL_INDEX).get("ids", [])
               if close_is_due(state.load(f"poll:{poll}"), moment)]
        if due:
            found[name] = due
    return found


async def close_due_polls(settings: Settings, store: StateStore | None = None) -> list[dict[str, Any]]:
    """Close every due poll (:func:`close_is_due`) and carry it to its meeting, as ``hub poll
    status`` does: each step once (the poll's record says which are done), each chat message
    once (the outbox's key per poll). The polls dealt with, as ``--json`` shows them."""
    done: list[dict[str, Any]] = []
    own = store is None
    store = store or open_store(settings)
    try:
        for name, polls in due_polls(settings, store).items():
            run = PollRun(settings, name, store=store)
            try:
                for poll in polls:
                    record = run.framadate.load(poll)
                    if close_is_due(record, _now()):  # not done meanwhile by a hand-run command
                        done.append(poll_json(record, await run.follow(record)))
            finally:
                await run.close()
    finally:
        if own:
            store.close()
    return done


def poll_json(record: Mapping[str, Any], shown: Mapping[str, Any]) -> dict[str, Any]:
    """A poll as ``--json`` prints it: never its admin link."""
    meeting = record.get("meeting")
    return {
        "id": record["id"], "kind": record["kind"], "title": record["title"], "public_url": record["public_url"],
        "until": record.get("until"), "closed": bool(record.get("closed")), "voters": record.get("voters", 0),
        "options": [{**{k: v for k, v in o.items() if k in ("label", "start", "end", "session")}, **t}
                    for o, t in zip(record["options"], record.get("tallies") or [{}] * len(record["options"]),
                                    strict=False)],
        "meeting": {k: meeting.get(k) for k in ("start", "end", "pad", "event", "announced")} if meeting else None,
        "proposals": list(shown.get("proposals", [])),
    }


def print_poll(record: Mapping[str, Any], shown: Mapping[str, Any], lang: str, tz: ZoneInfo) -> None:
    from sync.i18n import say_moment

    click.echo(say("poll", lang, title=record["title"], kind=say(f"kind.{record['kind']}", lang),
                   voters=record.get("voters", 0), url=record["public_url"]))
    meeting = record.get("meeting")
    chosen = meeting.get("slot") if meeting else None
    for i, (option, tally) in enumerate(zip(record["options"], record.get("tallies") or [], strict=False)):
        label = option["label"]
        if record["kind"] == "dates":
            label = say_moment(datetime.fromisoformat(option["start"]).astimezone(tz), lang)
        click.echo(say("option", lang, label=label, mark=say("best", lang) if i == chosen else "", **tally))
    if meeting:
        start = say_moment(datetime.fromisoformat(meeting["start"]).astimezone(tz), lang)
        click.echo(say("meeting", lang, start=start,
                       pad=say("meeting.pad", lang, url=meeting["pad"]) if meeting.get("pad") else "",
                       event=say("meeting.event", lang) if meeting.get("event") else ""))
    elif record.get("closed") and record["kind"] == "dates":
        click.echo(say("meeting.none", lang))
    for proposal in shown.get("proposals", []):
        click.echo(say("split", lang, **proposal))


def parse_moment(text: str, tz: ZoneInfo, lang: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(say("bad_time", lang, value=text)) from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def parse_slot(text: str, tz: ZoneInfo, minutes: int, lang: str) -> Slot:
    start_text, _, end_text = text.partition("/")
    if "T" not in start_text:
        raise InputError(say("bad_slot", lang, value=text))
    start = parse_moment(start_text, tz, lang)
    if end_text:
        try:
            end = datetime.combine(start.date(), time.fromisoformat(end_text), tz)
        except ValueError:
            raise InputError(say("bad_slot", lang, value=text)) from None
    else:
        end = start + timedelta(minutes=minutes)
    if end <= start:
        raise InputError(say("bad_slot", lang, value=text))
    return Slot(start, end)


def _run(config_path: str | None, as_json: bool, connector_name: str | None,
         work: Any) -> int:
    """Load, run ``work(run)`` (a coroutine function), print what it returns; errors as usual."""
    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)

        async def go() -> list[tuple[dict[str, Any], dict[str, Any], str]]:
            run = PollRun(settings, connector_name)
            try:
                result: list[tuple[dict[str, Any], dict[str, Any], str]] = await work(run)
                return result
            finally:
                await run.close()

        done = asyncio.run(go())
    except HubError as exc:
        return _fail(exc, lang, as_json)
    if as_json:
        click.echo(json.dumps({"polls": [poll_json(r, s) for r, s, _n in done]}, ensure_ascii=False))
    elif not done:
        click.echo(say("none", lang))
    for record, shown, note in done:
        if as_json:
            continue
        if note:
            click.echo(note)
        else:
            print_poll(record, shown, lang, ZoneInfo(shown.get("zone", DEFAULT_ZONE)))
    return EXIT_OK


def create_dates_command(config_path: str | None, as_json: bool, connector_name: str | None, title: str,
                         slots: Sequence[str], until: str | None, description: str, announce: bool) -> int:
    async def work(run: PollRun) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
        parsed = [parse_slot(s, run.tz, run.config.meeting_minutes, run.lang) for s in slots]
        limit = parse_moment(until, run.tz, run.lang) if until else None
        record = await run.framadate.create_date_poll(title, parsed, until=limit, description=description,
                                                      now=_now())
        return [(record, {}, await _created(run, record, announce))]

    return _run(config_path, as_json, connector_name, work)


def create_signup_command(config_path: str | None, as_json: bool, connector_name: str | None, day: str,
                          kinds: Sequence[str], title: str | None, until: str | None, description: str,
                          announce: bool) -> int:
    async def work(run: PollRun) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
        programme = run.programme
        if programme is None:
            raise ConfigError(say("no_programme", run.lang))
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise InputError(say("bad_time", run.lang, value=day)) from None
        sessions = [s for s in programme.sorted_sessions()
                    if s.start.astimezone(programme.tz).date() == when and s.kind in kinds and s.status != "cancelled"]
        from sync.i18n import say_date

        name = title or say("signup.title", run.framadate.lang, day=f"{say_date(when, run.framadate.lang)} {when.year}")
        limit = parse_moment(until, run.tz, run.lang) if until else None
        record = await run.framadate.create_signup_poll(name, sessions, programme, until=limit,
                                                        description=description, now=_now())
        return [(record, {}, await _created(run, record, announce))]

    return _run(config_path, as_json, connector_name, work)


async def _created(run: PollRun, record: dict[str, Any], announce: bool) -> str:
    note = say("created", run.lang, url=record["public_url"])
    if announce and run.config.announce_to:
        n = await run.tell(run.config.announce_to, poll_texts(record, run.tz), f"poll-{record['id']}")
        note += "\n" + say("announced", run.lang, n=n)
    return note


def status_command(config_path: str | None, as_json: bool, connector_name: str | None, poll: str | None,
                   close: bool = False) -> int:
    async def work(run: PollRun) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
        records = [run.framadate.load(poll)] if poll else [run.framadate.load(i) for i in run.framadate.poll_ids()]
        if close and records and records[0]["kind"] != "dates":
            raise InputError(say("not_dates", run.lang, poll=records[0]["id"]))
        done = []
        for record in records:
            shown = await run.follow(record, close=close)
            shown["zone"] = str(run.tz.key)
            done.append((record, shown, ""))
        return done

    return _run(config_path, as_json, connector_name, work)
