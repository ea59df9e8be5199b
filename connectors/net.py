"""What every connector's network code shares, whichever HTTP library it uses: the statuses
that may be retried, the process's TLS contexts, and the errors an answer or a failure maps to,
told in the hub's language.

Kept apart from :mod:`connectors.http` (the httpx client) so that a connector with a transport
of its own (caldav's niquests, the Telegram client's h11) tells the same errors without importing
httpx, about 60 ms of a command's start.

TLS: one :class:`ssl.SSLContext` per way of verifying (:func:`ssl_context`) serves every client
the process makes. Building a context loads the whole CA bundle (about 0.8 MiB of OpenSSL
memory that glibc seldom gives back once freed), and a long-running daemon builds its
connectors' clients again at every sync and probe. caldav's and nc-py-api's niquests sessions
need nothing of this: urllib3-future keeps one context per set of TLS parameters already.
"""

from __future__ import annotations

import email.utils
import functools
import os
import ssl
import time
from collections.abc import Collection, Mapping

from config.redaction import redact_url
from sync.errors import (
    AuthError,
    ConnectorError,
    NotFound,
    PermanentError,
    PreconditionFailed,
    TransientError,
)
from sync.i18n import Catalogue

#: Methods that may be sent twice without harm (RFC 9110 idempotent, plus WebDAV reads).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PROPFIND", "REPORT"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: The messages' language when neither the caller nor the client says (they were English first).
DEFAULT_LANGUAGE = "en"

MESSAGES = Catalogue({
    "status": {"fr": "{method} {url} : {status} {meaning}", "en": "{method} {url}: {status} {meaning}"},
    "unreachable": {"fr": "impossible de joindre {url} : {reason}", "en": "cannot reach {url}: {reason}"},
    "what": {"fr": "{what} : {message}", "en": "{what}: {message}"},
    "detail": {"fr": "{message} ({detail})", "en": "{message} ({detail})"},
    "status.auth": {"fr": "identifiants refusés ou droit manquant", "en": "credentials refused or right missing"},
    "status.not_found": {"fr": "introuvable", "en": "not found"},
    "status.changed": {"fr": "modifié entre-temps", "en": "changed meanwhile"},
    "status.timeout": {
        "fr": "le serveur a cessé d'attendre la requête",
        "en": "the server stopped waiting for the request",
    },
    "status.rate": {"fr": "trop de requêtes", "en": "too many requests"},
    "status.locked": {
        "fr": "verrouillé par un autre client, réessayé plus tard",
        "en": "locked by another client, tried again later",
    },
    "status.rate_after": {
        "fr": "trop de requêtes, réessayer dans {seconds} s",
        "en": "too many requests, try again in {seconds} s",
    },
    "status.unavailable": {"fr": "serveur indisponible", "en": "server unavailable"},
    "status.server": {"fr": "erreur du serveur", "en": "server error"},
    "status.refused": {"fr": "requête refusée", "en": "request refused"},
    "reason.refused": {"fr": "connexion refusée", "en": "connection refused"},
    "reason.dns": {"fr": "nom d'hôte inconnu", "en": "unknown host name"},
    "reason.tls": {"fr": "certificat TLS non reconnu", "en": "TLS certificate not trusted"},
    "reason.connect_timeout": {"fr": "pas de réponse à la connexion", "en": "connection timed out"},
    "reason.timeout": {"fr": "pas de réponse à temps", "en": "no answer in time"},
    "reason.closed": {"fr": "le serveur a coupé la connexion", "en": "the server closed the connection"},
    "reason.unreachable": {"fr": "réseau injoignable", "en": "network unreachable"},
    "reason.connect": {"fr": "connexion impossible", "en": "connection failed"},
})
say = MESSAGES.say


def ssl_context(verify: bool | str | ssl.SSLContext = True) -> ssl.SSLContext:
    """The process's TLS context for ``verify`` (a connector's ``verify``: True for the usual
    authorities, False for none, or the path of a CA bundle file or folder), made once and shared.

    The same trust as httpx's own: with True, ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when set,
    else certifi's bundle. Read again after :func:`forget_ssl_contexts` (a reloaded configuration,
    a CA bundle replaced on disk).
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is True:
        return _ssl_context(True, os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None)
    return _ssl_context(verify, None, None)


@functools.lru_cache(maxsize=16)
def _ssl_context(verify: bool | str, cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify is True:
        if cert_file:
            return ssl.create_default_context(cafile=cert_file)
        if cert_dir:
            return ssl.create_default_context(capath=cert_dir)
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


def forget_ssl_contexts() -> None:
    """Drop the shared TLS contexts: the next client reads its CA bundle again."""
    _ssl_context.cache_clear()


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The ``Retry-After`` header in seconds (delta or HTTP date), or None."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def error_for_status(
    status: int,
    message: str,
    *,
    connector: str | None,
    retry_after: float | None = None,
    auth: Collection[int] = (401, 403),
    conditional: bool = True,
    transient: bool = True,
) -> ConnectorError:
    """The error the engine acts on for an HTTP status: one table for every connector.

    ``auth`` lists the statuses meaning "credentials or rights" for this API; ``conditional``
    says whether 404/410/412 answer a conditional write (re-pull and re-plan) or are plain
    refusals; ``transient`` says whether 408/423/429/5xx mean "try again later" (False for an
    application's fault codes that borrow HTTP numbers for a definite answer). 423 is WebDAV's
    "Locked" (RFC 4918): another client holds the resource for now, as Xandikos answers a
    write racing another.
    """
    if status in auth:
        return AuthError(message, connector=connector)
    if conditional and status in (404, 410):
        return NotFound(message, connector=connector)
    if conditional and status == 412:
        return PreconditionFailed(message, connector=connector)
    if transient and (status in (408, 423, 429) or status >= 500):
        return TransientError(message, connector=connector, retry_after=retry_after)
    return PermanentError(message, connector=connector)


def status_meaning(status: int, lang: str, retry_after: float | None = None) -> str:
    """What an HTTP status means to the person reading the error."""
    if status in (401, 403):
        return say("status.auth", lang)
    if status in (404, 410):
        return say("status.not_found", lang)
    if status == 412:
        return say("status.changed", lang)
    if status == 408:
        return say("status.timeout", lang)
    if status == 423:
        return say("status.locked", lang)
    if status == 429:
        if retry_after:
            return say("status.rate_after", lang, seconds=f"{retry_after:.0f}")
        return say("status.rate", lang)
    if status in (502, 503, 504):
        return say("status.unavailable", lang)
    if status >= 500:
        return say("status.server", lang)
    return say("status.refused", lang)


def told(message: str, lang: str, what: str = "", detail: str = "") -> str:
    """``message`` after what was being done (``what: message``) and before a detail the
    server gave (``message (detail)``), with each language's punctuation."""
    if detail:
        message = say("detail", lang, message=message, detail=detail)
    return say("what", lang, what=what, message=message) if what else message


def request_error(
    status: int,
    method: str,
    url: object,
    *,
    connector: str | None,
    lang: str | None = None,
    what: str = "",
    detail: str = "",
    retry_after: float | None = None,
    auth: Collection[int] = (401, 403),
    conditional: bool = True,
    transient: bool = True,
) -> ConnectorError:
    """The error for an HTTP answer, telling the request and the status:
    ``[what: ]METHOD URL: STATUS meaning[ (detail)]``; the kind as in :func:`error_for_status`."""
    lang = lang or DEFAULT_LANGUAGE
    meaning = status_meaning(status, lang, retry_after)
    message = say("status", lang, method=method, url=redact_url(url), status=status, meaning=meaning)
    return error_for_status(
        status,
        told(message, lang, what, detail),
        connector=connector,
        retry_after=retry_after,
        auth=auth,
        conditional=conditional,
        transient=transient,
    )


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


_DNS_WORDS = ("name or service not known", "nodename nor servname", "name resolution", "getaddrinfo",
              "no address associated", "failed to resolve", "could not resolve")


def network_reason(exc: BaseException, lang: str) -> str:
    """Why a request got no answer, in words (the exception's type name when nothing fits).

    Read from the types and texts of the exception and its causes, whichever library raised it
    (httpx, niquests, urllib3, the socket module)."""
    chain = _causes(exc)
    names = {cls.__name__ for error in chain for cls in type(error).__mro__}
    text = " ".join(str(error) for error in chain).lower()
    # urllib3's NewConnectionError is a ConnectTimeoutError: the precise causes come first.
    if names & {"SSLError", "SSLCertVerificationError"} or "certificate verify failed" in text:
        key = "tls"
    elif "ConnectionRefusedError" in names or "refused" in text:
        key = "refused"
    elif "gaierror" in names or "NameResolutionError" in names or any(w in text for w in _DNS_WORDS):
        key = "dns"
    elif "unreachable" in text:
        key = "unreachable"
    elif names & {"ConnectTimeout", "ConnectTimeoutError"}:
        key = "connect_timeout"
    elif any("Timeout" in name for name in names) or "timed out" in text:
        key = "timeout"
    elif names & {"RemoteProtocolError", "RemoteDisconnected", "ConnectionResetError", "ReadError",
                  "IncompleteRead", "ProtocolError", "ChunkedEncodingError"}:
        key = "closed"
    elif names & {"ConnectError", "ConnectionError", "NewConnectionError"}:
        key = "connect"
    else:
        return type(exc).__name__
    return say(f"reason.{key}", lang)


def network_error(
    exc: BaseException, url: object, *, connector: str | None, lang: str | None = None, what: str = ""
) -> TransientError:
    """A request that got no answer: ``[what: ]cannot reach URL: reason``, to be tried later."""
    lang = lang or DEFAULT_LANGUAGE
    message = say("unreachable", lang, url=redact_url(url), reason=network_reason(exc, lang))
    return TransientError(told(message, lang, what), connector=connector)
