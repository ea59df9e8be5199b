"""The e-mail connector: each published batch of changes as one message to the mailing list,
or, with ``digest = "HH:MM"``, the day's changes in one message.

It is a sink for announcements only (``Capability.ANNOUNCE``): the engine queues one outbox
message per batch and per address of ``to``, and calls :meth:`EmailConnector.announce` for it,
exactly as for a chat. The engine marks the message ``sending`` before the call and ``done``
after; a run killed in between leaves it ``in_doubt``, never resent.

Each message has a ``Message-ID`` made from the announcement's identity (the outbox entry's
idempotency key), written to the state store before the message is sent: the same message
always carries the same id, a person can look for it in the list's archive, and a message whose
record says it went out, or may have, is never sent again.

The digest is a behaviour of the connector that every ``hub sync`` honours, so a scheduler (a
cron line, the daemon) only needs to run syncs: announcements are kept per address in the state
store, and the first sync at or after the digest time (in the event's time zone) sends what was
kept, once per day. A run killed while the digest was being sent leaves it in doubt: the next
sync reports it and does not resend it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from email.policy import SMTP
from pathlib import Path
from typing import Any, ClassVar

from connectors.email.config import EmailConfig
from connectors.email.messages import say
from connectors.email.render import Letter, batch_letter, build, coalesce, digest_letter
from connectors.email.smtp import Server, probe, submit
from sync.announce import Announcement, Change
from sync.errors import AuthError, ConnectorError, DeliveryUnknown, PermanentError
from sync.model import Programme
from sync.protocol import Capability, Connector, ConnectorContext, ConnectorState, RemoteRef

log = logging.getLogger(__name__)

#: How many sent-message records are kept (the newest); older ones only matter to an archive.
KEEP_RECORDS = 1000


class Records:
    """Small mappings in the state store (in memory outside the engine), saved at once."""

    def __init__(self, state: ConnectorState | None) -> None:
        self.state = state
        self.memory: dict[str, dict[str, Any]] = {}

    def load(self, key: str) -> dict[str, Any]:
        if self.state is not None:
            return dict(self.state.load(key))
        return dict(self.memory.get(key, {}))

    def save(self, key: str, value: Mapping[str, Any]) -> None:
        if self.state is not None:
            self.state.save(key, value)
        else:
            self.memory[key] = dict(value)


class EmailConnector(Connector[EmailConfig]):
    """Announcements to a mailing list by SMTP submission."""

    type = "email"
    capabilities = Capability.ANNOUNCE
    config_model = EmailConfig
    #: It shows no session field on its own: it is planned nothing, it only announces.
    fields: ClassVar[tuple[str, ...]] = ()
    MESSAGES = "messages"

    def __init__(self, name: str, config: EmailConfig, ctx: ConnectorContext) -> None:
        super().__init__(name, config, ctx)
        self.clock = time.time
        self.records = Records(ctx.state)

    # setup -------------------------------------------------------------------------------------
    def server(self) -> Server:
        """Where to submit, with the password read now (never kept in a message or a record)."""
        password = self.secret("password")
        if self.config.username and not password:
            raise AuthError(say("error.password_missing", self.lang, name=self.name), connector=self.name)
        bundle = None
        if self.config.ca_bundle:
            bundle = Path(self.config.ca_bundle)
            if not bundle.is_absolute():
                bundle = self.ctx.base_dir / bundle
        timeout = self.timeout
        return Server(self.config.host, self.config.server_port, self.config.tls, self.config.starttls,
                      self.config.username, password, timeout, bundle, self.name, self.lang)

    async def check(self) -> list[str]:
        server = self.server()
        self.ctx.count_request()
        proofs = await asyncio.to_thread(probe, server, self.config.envelope_sender, list(self.config.to))
        if self.config.digest:
            proofs.append(say("check.digest", self.lang, time=self.config.digest))
        return proofs

    def targets(self) -> list[str]:
        return list(self.config.to)

    def message_id(self, target: str, identity: str) -> str:
        """The same message always has the same id, under the sender's domain."""
        token = hashlib.sha256(f"{self.name}|{target}|{identity}".encode()).hexdigest()[:32]
        return f"<programme.{token}@{self.config.domain}>"

    # announcements -----------------------------------------------------------------------------
    async def announce(self, target: str, announcement: Announcement) -> RemoteRef:
        if target not in self.targets():
            raise PermanentError(say("error.not_configured", self.lang, target=target), connector=self.name)
        identity = announcement.occurrence or announcement.id
        if self.config.digest_time is not None:
            return self._keep_for_digest(target, announcement, identity)
        letter = batch_letter(announcement.changes, announcement.venues, self.lang,
                              correction=announcement.correction)
        message_id = self.message_id(target, identity)
        await self._send(target, letter, message_id)
        return RemoteRef(message_id)

    async def _send(self, target: str, letter: Letter, message_id: str) -> str:
        """Send one message once: recorded ``sending`` before, ``sent`` after; a record that
        says it went out, or may have, is never sent again."""
        records = self.records.load(self.MESSAGES)
        prior = records.get(message_id)
        if prior is not None and prior.get("state") == "sent":
            return str(prior.get("reply", ""))
        server = self.server()
        if prior is not None:
            raise DeliveryUnknown(say("error.unknown_fate", self.lang, server=server.label, message_id=message_id,
                                      recipient=target), connector=self.name)
        now = self.clock()
        message = build(letter, self.config, self.lang, target, message_id, datetime.fromtimestamp(now, UTC))
        payload = message.as_bytes(policy=SMTP)
        records[message_id] = {"target": target, "state": "sending", "subject": letter.subject, "at": now}
        self.records.save(self.MESSAGES, _newest(records))
        log.info("[%s] sending %s to %s as %s", self.name, letter.subject, target, message_id)
        self.ctx.count_request()
        try:
            reply = await asyncio.to_thread(submit, server, self.config.envelope_sender, target, payload, message_id)
        except DeliveryUnknown as exc:
            records[message_id]["state"] = "in_doubt"
            self.records.save(self.MESSAGES, records)
            log.warning("[%s] message in doubt: %s", self.name, exc)
            raise
        except ConnectorError as exc:
            records.pop(message_id, None)  # refused before the text was handed over: not sent
            self.records.save(self.MESSAGES, records)
            if isinstance(exc, PermanentError):  # the run's report counts it; the reason is here
                log.warning("[%s] message not sent: %s", self.name, exc)
            raise
        records[message_id] = {**records[message_id], "state": "sent", "reply": reply}
        self.records.save(self.MESSAGES, records)
        log.info("[%s] %s accepted by %s: %s", self.name, message_id, server.label, reply)
        return reply

    # the digest --------------------------------------------------------------------------------
    def _digest_key(self, target: str) -> str:
        return f"digest:{target}"

    def _keep_for_digest(self, target: str, announcement: Announcement, identity: str) -> RemoteRef:
        key = self._digest_key(target)
        state = self.records.load(key)
        queue: list[dict[str, Any]] = list(state.get("queue", []))
        if identity not in {item["identity"] for item in queue}:
            queue.append({"identity": identity, "at": self.clock(),
                          "changes": [_change_record(c) for c in announcement.changes]})
            self.records.save(key, {**state, "queue": queue})
            log.info("[%s] %d change(s) kept for the digest of %s", self.name, len(announcement.changes), target)
        return RemoteRef(f"digest:{identity}")

    def slot(self, at: float, tz: tzinfo) -> datetime:
        """The digest a change kept at ``at`` goes in: the first digest time after it (event
        time zone). A digest carries the changes since the previous one."""
        digest_time = self.config.digest_time
        assert digest_time is not None
        local = datetime.fromtimestamp(at, tz)
        day = local.date() if local.time() < digest_time else local.date() + timedelta(days=1)
        return datetime.combine(day, digest_time, tzinfo=tz)

    async def refresh(self, programme: Programme) -> None:
        """Send the digest of each address whose digest time has come and that has changes
        kept for it; nothing (no request) otherwise."""
        if self.config.digest_time is None:
            return
        failures: list[ConnectorError] = []
        for target in self.targets():
            try:
                await self._send_digest(target, programme)
            except ConnectorError as exc:
                failures.append(exc)
        for extra in failures[1:]:
            log.warning("[%s] another digest failed: %s", self.name, extra)
        if failures:
            raise failures[0]

    async def _send_digest(self, target: str, programme: Programme) -> None:
        key = self._digest_key(target)
        state = self.records.load(key)
        queue: list[dict[str, Any]] = list(state.get("queue", []))
        sending = state.get("sending")
        if sending is not None:
            # A run stopped between sending and recording: in doubt, never resent.
            done = set(sending["identities"])
            self.records.save(key, {**state, "queue": [q for q in queue if q["identity"] not in done],
                                    "sending": None, "in_doubt": [*state.get("in_doubt", []), sending]})
            raise DeliveryUnknown(say("error.digest_in_doubt", self.lang, day=sending["day"], recipient=target,
                                      message_id=sending["message_id"]), connector=self.name)
        now = datetime.fromtimestamp(self.clock(), programme.tz)
        due = [q for q in queue if self.slot(q["at"], programme.tz) <= now]
        if not due:
            return
        identities = {q["identity"] for q in due}
        rest = [q for q in queue if q["identity"] not in identities]
        changes = coalesce(_change_from(c) for q in due for c in q["changes"])
        if not changes:
            log.info("[%s] the changes queued for %s cancel out: no digest", self.name, target)
            self.records.save(key, {**state, "queue": rest})
            return
        day = max(self.slot(q["at"], programme.tz) for q in due).date()
        letter = digest_letter(changes, programme.venues, self.lang, day)
        message_id = self.message_id(target, f"digest:{day.isoformat()}")
        sending = {"day": day.isoformat(), "message_id": message_id, "identities": sorted(identities)}
        self.records.save(key, {**state, "sending": sending})
        try:
            await self._send(target, letter, message_id)
        except PermanentError as exc:
            # Refused for good, or perhaps sent (DeliveryUnknown): recorded, never retried.
            bucket = "in_doubt" if isinstance(exc, DeliveryUnknown) else "failed"
            self.records.save(key, {**state, "queue": rest, "sending": None,
                                    bucket: [*state.get(bucket, []), {**sending, "error": str(exc)}]})
            raise
        except ConnectorError:
            self.records.save(key, {**state, "sending": None})  # not sent: kept for the next sync
            raise
        self.records.save(key, {**state, "queue": rest, "sending": None})


def _change_record(change: Change) -> dict[str, Any]:
    return {**change.to_json(), "before": change.before, "after": change.after}


def _change_from(record: Mapping[str, Any]) -> Change:
    return Change(record["session"], record["kind"],
                  {name: (pair[0], pair[1]) for name, pair in record["fields"].items()},
                  record.get("before"), record.get("after"))


def _newest(records: dict[str, Any]) -> dict[str, Any]:
    """At most ``KEEP_RECORDS`` records, the newest."""
    if len(records) <= KEEP_RECORDS:
        return records
    ordered = sorted(records.items(), key=lambda item: float(item[1].get("at", 0)))
    return dict(ordered[-KEEP_RECORDS:])
