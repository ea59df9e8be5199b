"""``type = "framadate"``: polls made through Framadate's forms, their answers read from its CSV.

Framadate is no source or sink of the programme: the engine neither pulls it nor pushes to it
(its capabilities are empty), so ``hub sync`` leaves it alone. What it does is driven by ``hub poll``
(:mod:`hub.poll`): a date poll to choose a meeting's time, a sign-up poll with one option per
workshop of a day; reading their answers (one request per poll; the export's digest says whether
anything changed), and, when a date poll closes, the meetings workflow
(:mod:`connectors.framadate.meetings`).

Every poll it makes is kept in the state store under the connector's name (``poll:<id>``, with an
index under ``polls``): its public link, its admin link (a secret: only there, never in a log or an
error), its options and the last answers read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from connectors.framadate.client import FramadateClient, admin_id_from, poll_id_from, remember_admin_id
from connectors.framadate.config import FramadateConfig
from connectors.framadate.messages import say
from connectors.framadate.results import Results, Tally, digest, parse_csv
from sync.errors import ConfigError, InputError
from sync.i18n import say_time
from sync.model import Programme, Session
from sync.protocol import Capability, Connector, ConnectorState

INDEX = "polls"
#: Characters Framadate's choice labels would turn into markup (Parsedown) or entities.
_MARKUP = str.maketrans(dict.fromkeys("*_[]`<>&\\#", " "))


@dataclass(frozen=True)
class Slot:
    """A proposed meeting time."""

    start: datetime
    end: datetime


def clean_label(text: str) -> str:
    """A choice label that comes back from the CSV exactly as sent."""
    return " ".join(text.translate(_MARKUP).split())


class FramadateConnector(Connector[FramadateConfig]):
    """One Framadate instance: the polls the hub made there, and their answers."""

    type: ClassVar[str] = "framadate"
    capabilities: ClassVar[Capability] = Capability(0)
    config_model = FramadateConfig
    config: FramadateConfig

    @property
    def client(self) -> FramadateClient:
        return FramadateClient(self.ctx.http, self.config.url, lang=self.lang, connector=self.name,
                               messages_lang=self.ctx.language)

    # the polls kept in the state store --------------------------------------------------
    def _state(self) -> ConnectorState:
        if self.ctx.state is None:
            raise RuntimeError("the Framadate connector keeps its polls in the state store")
        return self.ctx.state

    def poll_ids(self) -> list[str]:
        return list(self._state().load(INDEX).get("ids", []))

    def load(self, poll: str) -> dict[str, Any]:
        """The record of a poll the hub made, by id or public link (``InputError`` if unknown)."""
        poll_id = poll_id_from(poll)
        record: dict[str, Any] = dict(self._state().load(f"poll:{poll_id}"))
        if not record:
            known = ", ".join(self.poll_ids()) or "-"
            raise InputError(f"{self.name}: no poll '{poll_id}' made by the hub (known: {known})")
        admin_id = admin_id_from(record.get("admin_url", ""))
        if admin_id:
            remember_admin_id(admin_id)
        return record

    def save(self, record: dict[str, Any]) -> None:
        """Durable when it returns: called right after each remote effect."""
        state = self._state()
        state.save(f"poll:{record['id']}", record)
        ids = self.poll_ids()
        if record["id"] not in ids:
            state.save(INDEX, {"ids": [*ids, record["id"]]})

    # protocol --------------------------------------------------------------------------
    async def check(self) -> list[str]:
        page = await self.client.form("date")
        proofs = [say("check.form", self.ctx.language, url=self.config.url,
                      fields=", ".join(sorted(page.fields & {"title", "name", "mail", "description"})))]
        if "mail" in page.fields:
            if not self.config.admin_email:
                raise ConfigError(say("error.mail", self.ctx.language, url=self.config.url, name=self.name))
            proofs.append(say("check.mail", self.ctx.language, mail=self.config.admin_email))
        if self.ctx.state is not None:
            proofs.append(say("check.polls", self.ctx.language, n=len(self.poll_ids())))
        return proofs

    # making polls -----------------------------------------------------------------------
    def _removal(self, last: date) -> date:
        return last + timedelta(days=self.config.keep_days)

    async def create_date_poll(
        self, title: str, slots: Sequence[Slot], *, until: datetime | None, description: str = "",
        now: datetime,
    ) -> dict[str, Any]:
        """A date poll with one column per slot; its record, saved."""
        ordered = sorted(set(slots), key=lambda s: (s.start, s.end))
        if not ordered:
            raise InputError("a date poll needs at least one --slot")
        days: dict[date, list[str]] = {}
        for slot in ordered:
            days.setdefault(slot.start.date(), []).append(self.moment(slot))
        created = await self.client.create(
            "date", title=title, author=self.config.admin_name, email=self.config.admin_email,
            description=description, days=list(days.items()),
            removal=self._removal(max(ordered[-1].start.date(), (until or now).date())),
        )
        record: dict[str, Any] = {
            "id": created.poll_id, "kind": "dates", "title": title, "public_url": created.public_url,
            "admin_url": created.admin_url, "lang": self.lang, "created": now.isoformat(),
            "until": until.isoformat() if until else None,
            "options": [{"label": self.moment(s), "day": s.start.date().isoformat(), "start": s.start.isoformat(),
                         "end": s.end.isoformat()} for s in ordered],
            "digest": None, "tallies": [], "voters": 0, "closed": False, "meeting": None, "flags": {},
        }
        self.save(record)
        return record

    @staticmethod
    def moment(slot: Slot) -> str:
        """The time label of a slot as people read it in the poll ("18:00")."""
        return f"{slot.start.hour:02d}:{slot.start.minute:02d}"

    async def create_signup_poll(
        self, title: str, sessions: Sequence[Session], programme: Programme, *, until: datetime | None,
        description: str = "", now: datetime,
    ) -> dict[str, Any]:
        """A classic poll with one choice per session (a workshop of the day); its record, saved."""
        if not sessions:
            raise InputError("no session to sign up for on that day")
        options = []
        for session in sessions:
            venue = programme.venue_of(session)
            when = say_time(session.start.astimezone(programme.tz), self.lang)
            label = clean_label(f"{session.title} ({when}{', ' + venue.name if venue else ''})")
            options.append({"label": label, "session": session.id})
        last = max(s.start for s in sessions).date()
        created = await self.client.create(
            "classic", title=title, author=self.config.admin_name, email=self.config.admin_email,
            description=description, choices=[o["label"] for o in options],
            removal=self._removal(max(last, (until or now).date())),
        )
        record: dict[str, Any] = {
            "id": created.poll_id, "kind": "signup", "title": title, "public_url": created.public_url,
            "admin_url": created.admin_url, "lang": self.lang, "created": now.isoformat(),
            "until": until.isoformat() if until else None, "options": options,
            "digest": None, "tallies": [], "voters": 0, "closed": False, "meeting": None, "flags": {},
        }
        self.save(record)
        return record

    # reading answers --------------------------------------------------------------------
    async def refresh_answers(self, record: dict[str, Any]) -> bool:
        """Read the poll's export (one request) and keep its tallies; True when they changed."""
        admin_id = admin_id_from(record.get("admin_url", ""))
        text = await self.client.export(record["id"], admin_id)
        found = digest(text)
        if found == record.get("digest"):
            return False
        results = parse_csv(text, dates=record["kind"] == "dates", lang=record.get("lang", self.lang),
                            poll=record["id"], said=self.ctx.language)
        record["tallies"] = [t.to_json() for t in self.align(record, results)]
        record["voters"] = len(results.voters)
        record["digest"] = found
        self.save(record)
        return True

    @staticmethod
    def align(record: dict[str, Any], results: Results) -> list[Any]:
        """The tallies in the order of the record's options, whatever columns the poll gained.

        A date column is matched by its day and time, a choice by its label; a column that the
        day labels do not place (a format not read) falls back to its position.
        """
        tallies = results.tallies()
        by_key: dict[tuple[str, str], int] = {}
        for i, column in enumerate(results.columns):
            key = (column.day.isoformat() if column.day else "", column.moment) if record["kind"] == "dates" \
                else ("", column.label)
            by_key.setdefault(key, i)
        aligned = []
        for position, option in enumerate(record["options"]):
            key = (option.get("day", ""), option["label"]) if record["kind"] == "dates" else ("", option["label"])
            index = by_key.get(key)
            if index is None and position < len(tallies):
                index = position
            aligned.append(tallies[index] if index is not None else None)
        return [t if t is not None else Tally() for t in aligned]
