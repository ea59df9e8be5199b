"""SMTP submission with the standard library's :mod:`smtplib`, each failure told apart by what
the hub must do next.

One session per message: connect (implicit TLS, or STARTTLS before anything else is said), log
in, ``MAIL FROM``, ``RCPT TO``, ``DATA``. Where it stops decides the error:

- before the message text is handed over (refused connection, a timeout, a 4xx): nothing was
  sent, :class:`TransientError`, tried again as the outbox retries;
- a refused login, a sender the account may not use, TLS that cannot be proved:
  :class:`AuthError`, the connector stops and its messages wait for a person's fix;
- a 5xx for the recipient (a moderated list refusing a non-member), for the message (too large,
  refused content): :class:`PermanentError`, recorded and not retried;
- after the text was handed over (``354`` answered, then the connection broke or timed out
  before the final reply): the message may have been taken, :class:`DeliveryUnknown`, flagged
  ``in_doubt`` and never resent.

``smtplib`` blocks, so each session runs in a worker thread (:func:`asyncio.to_thread`).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path

from connectors.email.messages import say
from sync.errors import AuthError, ConnectorError, DeliveryUnknown, PermanentError, TransientError

#: Longest server reply quoted in an error (a reply is the server's, never a secret of ours).
REPLY_LIMIT = 200


def _reply(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    text = " ".join(text.split())
    return text if len(text) <= REPLY_LIMIT else text[: REPLY_LIMIT - 1] + "…"


class _Tracking(smtplib.SMTP):
    """smtplib's client, remembering the last reply code: ``354`` last means the message text
    was being handed over when something broke."""

    last_code: int = 0

    def getreply(self) -> tuple[int, bytes]:
        code, message = super().getreply()
        self.last_code = code
        return code, message


class _TrackingTLS(smtplib.SMTP_SSL):
    """The same, over implicit TLS."""

    last_code: int = 0

    def getreply(self) -> tuple[int, bytes]:
        code, message = super().getreply()
        self.last_code = code
        return code, message


@dataclass(frozen=True)
class Server:
    """Where and how to submit."""

    host: str
    port: int
    tls: bool
    starttls: bool
    username: str | None
    password: str | None
    timeout: float
    ca_bundle: Path | None
    connector: str
    lang: str

    @property
    def label(self) -> str:
        """The server as errors name it."""
        return f"{'smtps' if self.tls else 'smtp'}://{self.host}:{self.port}"

    def context(self) -> ssl.SSLContext:
        """Certificates verified and the host name checked, against the system's authorities or
        ``ca_bundle``'s."""
        return ssl.create_default_context(cafile=str(self.ca_bundle) if self.ca_bundle else None)

    # errors -----------------------------------------------------------------------------------
    def _say(self, key: str, **values: object) -> str:
        return say(key, self.lang, server=self.label, **values)

    def transient(self, key: str, **values: object) -> TransientError:
        return TransientError(self._say(key, **values), connector=self.connector)

    def permanent(self, key: str, **values: object) -> PermanentError:
        return PermanentError(self._say(key, **values), connector=self.connector)

    def auth(self, key: str, **values: object) -> AuthError:
        return AuthError(self._say(key, **values), connector=self.connector)


@dataclass(frozen=True)
class Session:
    """An open, secured and logged-in SMTP connection, and what it proved."""

    client: _Tracking | _TrackingTLS
    security: str


def open_session(server: Server) -> Session:
    """Connect, secure and log in; raises the hub's errors (see the module's docstring)."""
    client: _Tracking | _TrackingTLS
    try:
        if server.tls:
            client = _TrackingTLS(server.host, server.port, timeout=server.timeout, context=server.context())
        else:
            client = _Tracking(server.host, server.port, timeout=server.timeout)
    except ssl.SSLError as exc:
        raise server.auth("error.tls", reason=_reason(exc)) from None
    except smtplib.SMTPConnectError as exc:
        raise server.transient("error.greeting", code=exc.smtp_code, reply=_reply(exc.smtp_error)) from None
    except OSError as exc:
        raise server.transient("error.unreachable", reason=_reason(exc)) from None
    try:
        client.ehlo_or_helo_if_needed()
        if server.tls:
            security = say("security.tls", server.lang, version=_tls_version(client))
        elif server.starttls:
            if not client.has_extn("starttls"):
                raise server.auth("error.no_starttls")
            client.starttls(context=server.context())
            client.ehlo()
            security = say("security.starttls", server.lang, version=_tls_version(client))
        else:
            security = say("security.none", server.lang)
        if server.username:
            if not client.has_extn("auth"):
                raise server.auth("error.no_auth")
            try:
                client.login(server.username, server.password or "")
            except smtplib.SMTPAuthenticationError as exc:
                raise server.auth("error.auth_refused", user=server.username, code=exc.smtp_code,
                                  reply=_reply(exc.smtp_error)) from None
            except smtplib.SMTPServerDisconnected:
                raise
            except smtplib.SMTPNotSupportedError:
                raise server.auth("error.no_auth") from None
            except smtplib.SMTPException:  # no mechanism both sides know
                raise server.auth("error.no_auth") from None
    except ConnectorError:
        _drop(client)
        raise
    except ssl.SSLError as exc:
        _drop(client)
        raise server.auth("error.tls", reason=_reason(exc)) from None
    except smtplib.SMTPResponseException as exc:
        _drop(client)
        raise server.transient("error.greeting", code=exc.smtp_code, reply=_reply(exc.smtp_error)) from None
    except OSError as exc:
        _drop(client)
        raise server.transient("error.unreachable", reason=_reason(exc)) from None
    return Session(client, security)


def envelope(server: Server, session: Session, sender: str, recipient: str, size: int | None) -> None:
    """``MAIL FROM`` and ``RCPT TO``; ``size`` is announced (and checked against the server's
    SIZE) when given."""
    client = session.client
    options: list[str] = []
    if size is not None and client.has_extn("size"):
        limit = int(client.esmtp_features.get("size") or 0)
        if limit and size > limit:
            raise server.permanent("error.too_large", recipient=recipient, size=size, limit=limit)
        options.append(f"SIZE={size}")
    code, reply = client.mail(sender, options)
    if code != 250:
        if code == 530:
            raise server.auth("error.auth_required", code=code, reply=_reply(reply))
        if code == 552:
            raise server.permanent("error.too_large_reply", recipient=recipient, code=code, reply=_reply(reply))
        if 400 <= code < 500:
            raise server.transient("error.deferred", recipient=recipient, code=code, reply=_reply(reply))
        raise server.auth("error.sender_refused", sender=sender, code=code, reply=_reply(reply))
    code, reply = client.rcpt(recipient)
    if code not in (250, 251):
        if code == 530:
            raise server.auth("error.auth_required", code=code, reply=_reply(reply))
        if 400 <= code < 500:
            raise server.transient("error.deferred", recipient=recipient, code=code, reply=_reply(reply))
        raise server.permanent("error.recipient_refused", recipient=recipient, sender=sender, code=code,
                               reply=_reply(reply))


def submit(server: Server, sender: str, recipient: str, payload: bytes, message_id: str) -> str:
    """Send one message; the server's final reply (its queue id, usually)."""
    session = open_session(server)
    client = session.client
    reply: bytes | str
    try:
        try:
            envelope(server, session, sender, recipient, len(payload))
            client.last_code = 0
            code, reply = client.data(payload)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing was handed over
            code, reply = exc.smtp_code, exc.smtp_error
        except smtplib.SMTPResponseException as exc:
            raise server.transient("error.deferred", recipient=recipient, code=exc.smtp_code,
                                   reply=_reply(exc.smtp_error)) from None
        except OSError as exc:
            if client.last_code == 354:
                raise DeliveryUnknown(say("error.unknown_fate", server.lang, server=server.label,
                                          message_id=message_id, recipient=recipient),
                                      connector=server.connector) from None
            raise server.transient("error.unreachable", reason=_reason(exc)) from None
        if code == 250:
            return _reply(reply)
        if code == 552:
            raise server.permanent("error.too_large_reply", recipient=recipient, code=code, reply=_reply(reply))
        if 400 <= code < 500:
            raise server.transient("error.deferred", recipient=recipient, code=code, reply=_reply(reply))
        raise server.permanent("error.refused", recipient=recipient, code=code, reply=_reply(reply))
    finally:
        _quit(client)


def probe(server: Server, sender: str, recipients: list[str]) -> list[str]:
    """What ``hub check`` proves: the connection, its encryption, the login, and that the server
    takes the sender and each recipient; ``RSET`` then, so nothing is sent."""
    session = open_session(server)
    proofs = [say("check.connected", server.lang, server=server.label, security=session.security),
              say("check.login", server.lang, user=server.username) if server.username
              else say("check.no_login", server.lang)]
    try:
        for index, recipient in enumerate(recipients):
            try:
                envelope(server, session, sender, recipient, None)
                session.client.rset()
            except OSError as exc:
                raise server.transient("error.unreachable", reason=_reason(exc)) from None
            if index == 0:
                proofs.append(say("check.sender", server.lang, sender=sender))
            proofs.append(say("check.recipient", server.lang, recipient=recipient))
    finally:
        _quit(session.client)
    return proofs


def _tls_version(client: smtplib.SMTP) -> str:
    sock = client.sock
    version = sock.version() if isinstance(sock, ssl.SSLSocket) else None
    return version or "TLS"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or "certificate verification failed"
    if isinstance(exc, TimeoutError):
        return "timeout"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


def _quit(client: smtplib.SMTP) -> None:
    """Say goodbye; what the server answers then changes nothing."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        _drop(client)


def _drop(client: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        client.close()
