"""Masking secrets in any text a person or a log reads, with the standard library alone.

:class:`Redactor` replaces known secrets with ``***`` in any text, and as a ``logging.Filter``
in every log record, tracebacks included; :func:`encodings` gives the forms a request can carry
a secret in, so an error body that echoes the request shows none of them. :func:`redact_url`
makes a URL fit to show in a message (no user or password, secret-looking query parameters
masked), and the redactor masks such parameters in any text too. Libraries sometimes put a
token in a URL or an exception text; this is the last line of defence.

Apart from :mod:`config.secrets` (which gathers the secrets from validated settings) so that the
HTTP clients and the commands that answer before the settings' models are loaded (``hub status``
on kept facts, :mod:`hub.quickstart`) mask the same way without importing pydantic.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import traceback
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote, urlsplit, urlunsplit

from config.secret_file import SECRET_MIN_LENGTH

MASK = "***"
#: Shorter values would mask ordinary words; such secrets are refused when the configuration is
#: read (:meth:`config.connector.ConnectorConfig.secret`), so every secret in use is masked.
MIN_LENGTH = SECRET_MIN_LENGTH
#: Names of query parameters and form fields that carry credentials (Etherpad's ``apikey``,
#: OAuth's ``access_token`` and ``client_secret``, a ``password``...).
SECRET_PARAMETER = re.compile(
    r"api_?key|token|secret|passw(?:or)?d|credential|session|^(?:key|pass|pwd|auth|sig|signature)$",
    re.IGNORECASE,
)
#: ``name=value`` in free text (a URL in a library's exception), for the same names.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b([\w-]*(?:api_?key|token|secret|passw(?:or)?d|credential)[\w-]*)=([^&\s'\"<>),;\]]+)"
)
#: A Telegram bot token in a path (``/bot123456:ABC.../getMe``).
_BOT_TOKEN = re.compile(r"/bot\d+:[\w-]+")
#: An ``Authorization`` value echoed back (a server's debug page, a proxy's error): the scheme
#: stays, the credentials go, whoever they belong to.
_AUTH_VALUE = re.compile(r"(?i)\b(Basic|Bearer|Token|Digest)\s+[A-Za-z0-9+/=._~:-]{8,}")


def encodings(secret: str, usernames: Iterable[str] = ()) -> set[str]:
    """``secret`` as a request can carry it, so an error body that echoes the request shows none
    of them: URL- and form-encoded (a query string, a form body), JSON- and HTML/XML-escaped, and
    base64 (alone, and as HTTP Basic's ``user:secret`` for each of ``usernames``)."""
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), html.escape(secret),
             json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    raw = secret.encode("utf-8")
    forms.add(base64.b64encode(raw).decode("ascii").rstrip("="))
    for user in usernames:
        pair = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        forms.update({pair, pair.rstrip("=")})
    return {form for form in forms if len(form) >= MIN_LENGTH}


def secret_forms(values: Iterable[str], usernames: Iterable[str] = ()) -> set[str]:
    """What a redactor masks for the secret ``values``: each in every form :func:`encodings`
    gives (a value too short to mask is left out; the settings refuse such secrets)."""
    names = list(usernames)
    return {form for value in values if len(value) >= MIN_LENGTH for form in encodings(value, names)}


def redact_url(url: object) -> str:
    """``url`` fit for a message a person reads: scheme, host, port and path, with no user or
    password, no fragment, and the values of query parameters that look like credentials
    masked (``?apikey=***``); a Telegram bot token in the path is masked too."""
    parts = urlsplit(str(url))
    netloc = parts.netloc.rpartition("@")[2]
    query = "&".join(
        f"{name}={MASK}" if sep and SECRET_PARAMETER.search(unquote(name)) else f"{name}{sep}{value}"
        for name, sep, value in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    path = _BOT_TOKEN.sub(f"/bot{MASK}", parts.path)
    return urlunsplit((parts.scheme, netloc, path, query, ""))


#: A database URL as SQLAlchemy reads one (``dialect+driver://user:password@host:port/database``):
#: its password runs to the last ``@`` before the host and may hold ``:`` and ``/``.
_DATABASE_URL = re.compile(r"^[\w+]+://(?:[^:/]*(?::(?P<password>[^@]*))?@)?")


def database_password(url: str) -> str | None:
    """The password of a database URL, percent-decoded as SQLAlchemy gives it, or None; read
    without SQLAlchemy, which every command would otherwise import just for this."""
    match = _DATABASE_URL.match(url)
    password = match["password"] if match else None
    return unquote(password) if password else None


class Redactor(logging.Filter):
    """Masks known secrets in text and in log records."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is masked whole.
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        if "=" in text:
            text = _SECRET_ASSIGNMENT.sub(rf"\1={MASK}", text)
        return _AUTH_VALUE.sub(rf"\1 {MASK}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        return True


def install(redactor: Redactor) -> None:
    """Put ``redactor`` on every handler of the root logger (and on new ones from basicConfig)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in root.handlers:
        handler.addFilter(redactor)
