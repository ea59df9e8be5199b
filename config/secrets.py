"""Gathering every secret the validated settings hold, for the redactor.

:func:`secret_values` gathers every secret the configuration holds (``SecretStr`` settings, the
contents of ``*_file`` settings, the database password), in every encoding a request can carry
it; :class:`config.redaction.Redactor` masks them.
"""

from __future__ import annotations

from pydantic import SecretStr

from config.errors import ConfigError
from config.redaction import database_password, secret_forms
from config.settings import Settings


def secret_values(settings: Settings) -> set[str]:
    """Every secret value in the configuration, in every encoding a request can carry it
    (:func:`encodings`); unreadable secret files are skipped here."""
    found: set[str] = set()
    usernames: set[str] = set()
    for section in settings.connectors:
        config = section.config
        for key in ("username", "user", "client_id"):
            if isinstance(getattr(config, key, None), str):
                usernames.add(getattr(config, key))
        for name in type(config).model_fields:
            value = getattr(config, name, None)
            if isinstance(value, SecretStr):
                found.add(value.get_secret_value())
            elif name.endswith("_file") and value:
                try:
                    secret = config.secret(name[: -len("_file")], settings.base_dir)
                except ConfigError:
                    continue
                if secret:
                    found.add(secret)
    password = database_password(settings.database_url)
    if password:
        found.add(password)
    return secret_forms(found, usernames)
