"""The ``hub`` command's entry point.

``hub sync`` run by a timer or a script finds nothing to do most of the time; answering that
costs less than loading the command line's machinery (click, every command's options and help
texts). So a plain ``hub sync`` (at most ``--config FILE`` and ``--json``) asks the quick start
(:mod:`hub.quickstart`) first; everything else, and a sync with work to do, goes to
:func:`hub.cli.main`, which parses the command line as always.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def sync_arguments(args: Sequence[str]) -> tuple[str | None, bool] | None:
    """``(config, as_json)`` when ``args`` are ``sync`` with at most ``--config FILE`` (or
    ``--config=FILE``) and ``--json``, each once; None for anything else (click parses it)."""
    if not args or args[0] != "sync":
        return None
    config: str | None = None
    as_json = False
    rest = list(args[1:])
    while rest:
        word = rest.pop(0)
        if word == "--json" and not as_json:
            as_json = True
        elif word == "--config" and config is None and rest and rest[0] and not rest[0].startswith("-"):
            config = rest.pop(0)
        elif word.startswith("--config=") and config is None and len(word) > len("--config="):
            config = word[len("--config="):]
        else:
            return None
    return config, as_json


def main() -> None:
    # pydantic looks for plugins among every installed distribution's entry points when it builds
    # its first model (tens of milliseconds on a full environment); the hub uses none. Someone who
    # does can still say otherwise in the environment.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    checked = False
    quick = sync_arguments(sys.argv[1:])
    if quick is not None:
        from hub.quickstart import Verdict, quick_sync

        try:
            verdict = quick_sync(*quick)
        except KeyboardInterrupt:
            from hub.help import LANGUAGE
            from hub.usage import aborted

            print(aborted(LANGUAGE), file=sys.stderr)
            sys.exit(1)
        if verdict is Verdict.NOTHING:
            sys.exit(0)
        checked = verdict is Verdict.WORK
    from hub.cli import main as command_line

    command_line(checked=checked)
