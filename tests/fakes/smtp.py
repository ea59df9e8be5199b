"""A real SMTP submission server on loopback (aiosmtpd), recording what it receives.

Not a fake in the protocol sense: aiosmtpd speaks ESMTP itself (EHLO, STARTTLS, AUTH PLAIN and
LOGIN after TLS only, SIZE, DATA with dot-stuffing), with a certificate from a throw-away
authority (trustme) the client is told to trust through ``ca_bundle``. What a mail server adds
on top is played with Postfix's replies, which are what a collective's submission server
(Postfix in front of Sympa, usually) answers:

- a login that is refused: ``535 5.7.8 Error: authentication failed``;
- a sender the account does not own (``reject_sender_login_mismatch``):
  ``553 5.7.1 <from>: Sender address rejected: not owned by user <login>``;
- MAIL before AUTH on submission: ``530 5.7.0 Authentication required``;
- a moderated list refusing a non-member at SMTP time (a policy service, as Sympa set-ups use):
  ``550 5.7.1 <list>: Recipient address rejected: ...``; an unknown address: ``550 5.1.1``;
- a message over ``message_size_limit``: SIZE advertised, ``552 5.3.4`` at MAIL or after DATA.

Test-side API: :meth:`received` (what was accepted), :meth:`fail_next` (a reply at a phase),
:meth:`hold` (take the next message, keep the final reply back until :meth:`release`: a client
killed between sending and recording), :meth:`drop_next` (take it and cut the connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.fakes.loopback import free_port

# aiosmtpd warns of its own deprecated attribute on every login; nothing for a reader here.
logging.getLogger("mail.log").setLevel(logging.ERROR)

USER, PASSWORD = "hub", "correct horse battery staple"
SENDER = "programme@assemblee.example.org"
LIST = "assemblee@listes.example.org"


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: str | None
    tls: bool
    size_option: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """The server's world: accounts, what each may send as, lists and their members."""

    users: dict[str, str] = field(default_factory=lambda: {USER: PASSWORD})
    senders: dict[str, set[str]] = field(default_factory=lambda: {USER: {SENDER}})
    #: list address -> members allowed to post (None: an open list).
    lists: dict[str, set[str] | None] = field(default_factory=lambda: {LIST: {SENDER}})


class SMTPServer:
    """aiosmtpd on 127.0.0.1, STARTTLS (or implicit TLS) and AUTH, recording what it gets."""

    def __init__(self, folder: Path, *, encryption: str = "starttls", size_limit: int = 10_000_000,
                 mailbox: Mailbox | None = None) -> None:
        """``encryption``: "starttls" (port 587 style), "tls" (465 style) or "none" (a server
        with no certificate: it offers neither STARTTLS nor, without TLS, AUTH)."""
        self.mailbox = mailbox or Mailbox()
        self.encryption = encryption
        self.size_limit = size_limit
        self.port = free_port()
        self.host = "127.0.0.1"
        authority = trustme.CA()
        certificate = authority.issue_cert("localhost", "127.0.0.1")
        self.ca_bundle = folder / "smtp-ca.pem"
        authority.cert_pem.write_to_path(str(self.ca_bundle))
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(self.context)
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._faults: list[tuple[str, str]] = []
        self._hold: threading.Event | None = None
        self._released = threading.Event()
        self._drop = False
        self.connections = 0
        self.commands: list[str] = []
        self._controller: Controller | None = None

    # test-side API ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def running(self) -> Iterator[SMTPServer]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def start(self) -> None:
        kwargs: dict[str, Any] = {
            "authenticator": self._authenticate,
            "auth_required": True,
            "auth_require_tls": True,
            "data_size_limit": self.size_limit,
            "server_hostname": "smtp.assemblee.example.org",
        }
        if self.encryption == "tls":
            kwargs["ssl_context"] = self.context
            # aiosmtpd counts only STARTTLS as TLS for AUTH; here the socket is TLS from the start
            kwargs["auth_require_tls"] = False
        elif self.encryption == "starttls":
            kwargs["tls_context"] = self.context
            kwargs["require_starttls"] = True
        self._controller = _Controller(self, hostname=self.host, port=self.port, **kwargs)
        self._controller.start()
        with self._lock:
            self.connections = 0  # the controller's own start-up probe

    def stop(self) -> None:
        self._released.set()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def fail_next(self, phase: str, reply: str) -> None:
        """Answer the next ``phase`` ("MAIL", "RCPT" or "DATA", the final reply) with ``reply``."""
        with self._lock:
            self._faults.append((phase, reply))

    def hold(self) -> threading.Event:
        """Take the next message but keep the final reply back until :meth:`release`; the event
        is set once the message is taken."""
        taken = threading.Event()
        with self._lock:
            self._hold = taken
        return taken

    def release(self) -> None:
        self._released.set()

    def drop_next(self) -> None:
        """Take the next message, then cut the connection before the final reply."""
        with self._lock:
            self._drop = True

    # server side -------------------------------------------------------------------------------
    def _fault(self, phase: str) -> str | None:
        with self._lock:
            for index, (name, reply) in enumerate(self._faults):
                if name == phase:
                    del self._faults[index]
                    return reply
        return None

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        if self.mailbox.users.get(login) != password:
            return AuthResult(success=False, handled=False,
                              message="535 5.7.8 Error: authentication failed: authentication failure")
        return AuthResult(success=True, auth_data=auth_data)

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        with self._lock:
            self.commands.append("EHLO")
        return responses

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        with self._lock:
            self.commands.append("MAIL")
        if (fault := self._fault("MAIL")) is not None:
            return fault
        login = _login(session)
        if address.lower() not in {a.lower() for a in self.mailbox.senders.get(login or "", set())}:
            return f"553 5.7.1 <{address}>: Sender address rejected: not owned by user {login}"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        with self._lock:
            self.commands.append("RCPT")
        if (fault := self._fault("RCPT")) is not None:
            return fault
        if address not in self.mailbox.lists:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        members = self.mailbox.lists[address]
        if members is not None and (envelope.mail_from or "").lower() not in {m.lower() for m in members}:
            return (f"550 5.7.1 <{address}>: Recipient address rejected: "
                    "only subscribers and allowed senders may post to this list")
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_RSET(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            self.commands.append("RSET")
        return "250 2.0.0 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            self.commands.append("DATA")
        if (fault := self._fault("DATA")) is not None:
            return fault
        content = envelope.original_content or b""
        size = next((o.split("=", 1)[1] for o in envelope.mail_options if o.upper().startswith("SIZE=")), None)
        record = Received(envelope.mail_from or "", list(envelope.rcpt_tos), content, _login(session),
                          self.encryption == "tls" or session.ssl is not None, size)
        with self._lock:
            self._received.append(record)
            held, self._hold = self._hold, None
            drop, self._drop = self._drop, False
        if drop:
            assert server.transport is not None
            server.transport.close()
            return "421 4.4.2 connection dropped"
        if held is not None:
            held.set()
            await asyncio.get_running_loop().run_in_executor(None, self._released.wait, 60)
        return f"250 2.0.0 Ok: queued as {len(self._received):05X}"


class _Controller(Controller):
    """Counts connections; otherwise aiosmtpd's own threaded controller."""

    def __init__(self, owner: SMTPServer, **kwargs: Any) -> None:
        self.owner = owner
        super().__init__(owner, **kwargs)

    def factory(self) -> SMTP:
        with self.owner._lock:
            self.owner.connections += 1
        with warnings.catch_warnings():  # implicit TLS: AUTH without STARTTLS is safe, not a risk
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()


def _login(session: Session) -> str | None:
    data = session.auth_data
    return data.login.decode() if isinstance(data, LoginPassword) else None
