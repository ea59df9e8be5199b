"""``hub ask``: the answer a bot would give, printed on a terminal.

Kept here rather than in ``hub/cli.py`` so the command stays a thin hook there and the bots
and the command share one code path (same engine, same programme, same rendering).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from bots.answering import ChangeReader, answer
from bots.live import indexed_programme, synced_changes
from bots.memory import Context
from bots.messages import say
from config.settings import Settings
from sync.announce import Format
from sync.errors import HubError

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def parse_at(value: str | None, lang: str) -> datetime:
    """``--at``: an ISO time, in the event's zone when it has no offset; now when absent."""
    if value is None:
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(say("bad.at", lang, value=value), param_hint="--at") from None


def run_ask(
    question: str,
    *,
    at: str | None,
    lang: str | None,
    fmt: str,
    settings: Callable[[], Settings],
    programme_path: str | None,
    as_json: bool,
    after: Sequence[str] = (),
) -> int:
    """Answer and print; the exit code says whether a programme could be read.

    ``after``: questions asked before in the same conversation, in order (``--after``), so a
    follow-up ("et après ?", "where is it?") can be tried from a terminal as in a chat.
    """
    moment = parse_at(at, lang or "fr")
    channel: Format = "html" if fmt == "html" else "markdown" if fmt == "markdown" else "text"
    default = None
    changes: ChangeReader | None = None
    try:
        if programme_path is not None:
            from sync.programme_reader import load_programme

            programme = load_programme(Path(programme_path))
        else:
            configured = settings()
            default = configured.hub.language
            # The index kept beside the state store when it is current, else built and kept.
            programme = indexed_programme(configured)
            changes = synced_changes(configured)
    except HubError as exc:
        click.echo(str(exc), err=True)
        return EXIT_BAD_INPUT
    context: Context | None = None
    for earlier in after:
        said = answer(programme, earlier, at=moment, lang=lang, default_lang=default, context=context, changes=changes)
        context = Context.of(said) or context
    reply = answer(programme, question, at=moment, lang=lang, default_lang=default, context=context, changes=changes)
    if as_json:
        payload = reply.to_json()
        payload["rendered"] = reply.render(channel)
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        click.echo(reply.render(channel))
    return EXIT_OK
