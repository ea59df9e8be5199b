"""The one way a message is said in French or English, and the language chosen at start-up.

:class:`Catalogue` lives here, at the bottom layer, so that the configuration's own problems
can be said in the hub's language too; :mod:`sync.i18n` re-exports it for every layer above.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

#: The languages every message ships in.
LANGUAGES = ("fr", "en")

class Catalogue(dict[str, dict[str, str]]):
    """One module's messages, each in French and English, by key.

    :meth:`say` is the one way a message is looked up, so the fallback (French when the language
    is unknown) and the filling of placeholders are the same everywhere.
    """

    def say(self, key: str, lang: str, /, **values: Any) -> str:
        """``key`` in ``lang`` (French when the language is unknown), filled in with ``values``."""
        entry = self[key]
        text = entry.get(lang) or entry["fr"]
        return text.format(**values) if values else text

class Refusal(ValueError):
    """A value refused, with the reason in French and English.

    Settings validators raise it instead of a bare ``ValueError`` so the configuration's problems
    (:func:`config.messages.pydantic_message`) say the reason in the reader's language.
    """

    def __init__(self, fr: str, en: str) -> None:
        super().__init__(en)
        self.texts = {"fr": fr, "en": en}

    def say(self, lang: str) -> str:
        """The reason in ``lang`` (English when the language is unknown)."""
        return self.texts.get(lang) or self.texts["en"]


#: Every log template the product logs, with its French: filled by :func:`log_texts` as modules
#: are imported, read by the log handlers' translator.
LOGGED: dict[str, dict[str, str]] = {}


def log_texts(french_by_template: Mapping[str, str]) -> Catalogue:
    """Declare a module's log templates (English, as logged) with their French.

    Each module keeps the French of what it logs beside the code that logs it (a new connector
    touches only its own files), and the handlers' translator finds it here.
    """
    catalogue = Catalogue({template: {"en": template, "fr": french} for template, french in french_by_template.items()})
    LOGGED.update(catalogue)
    return catalogue


def startup_language(environ: Mapping[str, str] | None = None) -> str:
    """The language before any configuration is read: ``fr`` or ``en``.

    ``HUB_LANGUAGE``, else the configuration's ``HUB_HUB__LANGUAGE`` override, else the system
    locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``); French when nothing says otherwise.
    """

    environ = os.environ if environ is None else environ
    for name in ("HUB_LANGUAGE", "HUB_HUB__LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (environ.get(name) or "").strip().lower()
        if value:
            return "en" if value.startswith("en") else "fr"
    return "fr"

def config_language(raw: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None) -> str:
    """The language a configuration's problems are said in: its ``[hub] language`` (or the
    ``HUB_HUB__LANGUAGE`` override) when it names one the hub speaks, even if the rest of the
    file is wrong; else :func:`startup_language`. ``raw`` is the parsed file, None if unreadable."""

    environ = os.environ if environ is None else environ
    override = environ.get("HUB_HUB__LANGUAGE")
    if override in LANGUAGES:
        return override
    hub = raw.get("hub") if isinstance(raw, Mapping) else None
    language = hub.get("language") if isinstance(hub, Mapping) else None
    if isinstance(language, str) and language in LANGUAGES:
        return language
    return startup_language(environ)
