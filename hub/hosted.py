"""The hosted collective a command runs for, kept apart so that a command can ask before
loading the wiring (:mod:`hub.runtime` re-exports it)."""

from __future__ import annotations

from contextvars import ContextVar

#: The hosted collective a command runs for (``--collective ID``): its id, the hosting
#: database's URL (None: not given) and the language to refuse in; None: the configuration file's
#: own state. Set by the command line around one command (:func:`hub.hosting.cli.for_collective`).
HOSTED: ContextVar[tuple[str, str | None, str] | None] = ContextVar("hub_hosted", default=None)
