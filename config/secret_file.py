"""Reading a secret from its ``*_file`` setting, without pydantic.

:meth:`config.connector.ConnectorConfig.secret` reads a connector's secrets through this, and so
does ``hub sync``'s quick check (:mod:`hub.quickstart`), which answers before the settings'
models are loaded: both read the same file the same way.
"""

from __future__ import annotations

from pathlib import Path

#: Secrets shorter than this are refused: they could not be told from ordinary words, so they
#: could not be masked in logs and errors (:mod:`config.redaction`).
SECRET_MIN_LENGTH = 6


class SecretTooShort(ValueError):
    """The file holds a secret shorter than :data:`SECRET_MIN_LENGTH`."""


def read_secret(path: Path) -> str | None:
    """The file's text, stripped (a trailing newline is not part of a password); None when it is
    empty. Raises ``OSError`` when the file cannot be read, :class:`SecretTooShort` when the
    secret is too short to be masked."""
    secret = path.read_text(encoding="utf-8").strip()
    if 0 < len(secret) < SECRET_MIN_LENGTH:
        raise SecretTooShort(path)
    return secret or None
