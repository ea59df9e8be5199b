"""The ``hub`` command's entry point.

``hub sync`` run by a timer or a script finds nothing to do most of the time, and ``hub status``
and ``hub ask`` only read the state; answering them costs less than loading the command line's
machinery (click, every command's options and help texts) and the settings' models. So a plain
``hub sync`` or ``hub status`` (at most ``--config FILE`` and ``--json``), and a ``hub ask``
with its everyday options, ask the quick start (:mod:`hub.quickstart`) first; everything else,
a sync with work to do, a status or a question without kept facts, goes to
:func:`hub.cli.main`, which parses the command line as always.
"""

from __future__ import annotations

import os
import sys

from hub.arguments import ask_arguments, plain_arguments


def main() -> None:
    # pydantic looks for plugins among every installed distribution's entry points when it builds
    # its first model (tens of milliseconds on a full environment); the hub uses none. Someone who
    # does can still say otherwise in the environment.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    checked = False
    status = plain_arguments(sys.argv[1:], "status")
    if status is not None:
        from hub.quickstart import quick_status

        if quick_status(*status):
            sys.exit(0)
    ask = ask_arguments(sys.argv[1:])
    if ask is not None:
        from hub.quickstart import quick_ask

        if quick_ask(ask):
            sys.exit(0)
    quick = plain_arguments(sys.argv[1:], "sync")
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
