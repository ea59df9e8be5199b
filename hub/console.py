"""What every ``hub`` command shares: the configuration read with its secrets masked from then
on, printing through the redactor, and failing with the exit code the README documents.

Its own module so that each command module (:mod:`hub.commands`, :mod:`hub.poll`...) builds on it
and none on another.
"""

from __future__ import annotations

import json
from typing import Any

import click

from config.redaction import Redactor, install
from config.settings import Settings
from hub.help import startup_language
from hub.logs import speak
from hub.messages import say
from hub.runtime import load_settings, redactor
from sync.errors import ConfigError, HubError, InputError, LockBusy, StateUnreadable, UsageError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

#: The secrets' redactor of the configuration read last (none before one is read).
_redactor = Redactor()


def language(settings: Settings | None = None) -> str:
    """The configuration's language once it is read; before that, the environment's."""
    return settings.hub.language if settings is not None else startup_language()


def redact(text: str) -> str:
    """``text`` with the configuration's secrets masked, in every encoding."""
    return _redactor(text)


def echo(message: object = None, **options: Any) -> None:
    """Everything a command prints goes through the secrets' redactor: a report, a check line
    or an error may quote what a server answered, which may echo the request."""
    click.echo(redact(message) if isinstance(message, str) else message, **options)


def settings(config_path: str | None) -> Settings:
    """Load the configuration and mask its secrets in every log line and error from here on."""
    global _redactor
    loaded = load_settings(config_path)
    _redactor = redactor(loaded)
    install(_redactor)
    speak(loaded.hub.language)
    return loaded


def fail(exc: HubError, lang: str, as_json: bool) -> int:
    """Say why a command stopped (a title, then the problems) and give its exit code: 2 for bad
    input (configuration, programme, command line, state database), 1 otherwise."""
    # A configuration error knows the language it was said in (the file's, even when invalid).
    lang = getattr(exc, "lang", None) or lang
    code = EXIT_BAD_INPUT if isinstance(exc, (ConfigError, InputError, UsageError, StateUnreadable)) \
        else EXIT_FAILED
    if isinstance(exc, LockBusy):
        wait = float(getattr(exc, "waited", 0.0))
        title, detail = say("error.busy", lang), say("busy.detail", lang, wait=wait)
        if as_json:
            echo(json.dumps({"error": title, "problems": [detail]}, ensure_ascii=False))
        else:
            echo(f"{title}\n{detail}", err=True)
        return code
    title = say("error.config" if isinstance(exc, ConfigError) else
                "error.input" if isinstance(exc, InputError) else
                "error.usage" if isinstance(exc, UsageError) else
                "error.state" if isinstance(exc, StateUnreadable) else "error.run", lang)
    if as_json:
        echo(json.dumps({"error": title, "problems": redact(str(exc)).splitlines()}, ensure_ascii=False))
    else:
        echo(f"{title}\n{redact(str(exc))}", err=True)
    return code
