"""``hub ask``: the answer a bot would give, printed on a terminal.

Kept here rather than in ``hub/cli.py`` so the command stays a thin hook there and the bots
and the command share one code path (same engine, same programme, same rendering).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bots.answering import ChangeReader, answer
from bots.live import changes_reader, indexed_programme, kept_index_programme, synced_changes
from bots.memory import Context
from bots.messages import say
from sync.announce import Format
from sync.errors import HubError
from sync.model import Programme

if TYPE_CHECKING:
    from config.settings import Settings

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def parse_at(value: str | None, lang: str) -> datetime:
    """``--at``: an ISO time, in the event's zone when it has no offset; now when absent."""
    if value is None:
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        import click

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
    import click

    moment = parse_at(at, lang or "fr")
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
    click.echo(reply_text(programme, question, moment=moment, lang=lang, default=default, changes=changes,
                          after=after, fmt=fmt, as_json=as_json))
    return EXIT_OK


def reply_text(programme: Programme, question: str, *, moment: datetime, lang: str | None, default: str | None,
               changes: ChangeReader | None, after: Sequence[str], fmt: str, as_json: bool) -> str:
    """What ``hub ask`` prints: the answer rendered for ``fmt``, or its JSON with the rendering;
    ``after``: the conversation's earlier questions, ``default``: the configuration's language."""
    channel: Format = "html" if fmt == "html" else "markdown" if fmt == "markdown" else "text"
    context: Context | None = None
    for earlier in after:
        said = answer(programme, earlier, at=moment, lang=lang, default_lang=default, context=context, changes=changes)
        context = Context.of(said) or context
    reply = answer(programme, question, at=moment, lang=lang, default_lang=default, context=context, changes=changes)
    if as_json:
        payload = reply.to_json()
        payload["rendered"] = reply.render(channel)
        return json.dumps(payload, ensure_ascii=False)
    return reply.render(channel)


def kept_index_reply(database_url: str, language: str, question: str, *, at: str | None, lang: str | None,
                     fmt: str, as_json: bool, after: Sequence[str] = ()) -> str | None:
    """What ``hub ask`` prints, answered from the index kept beside a SQLite state when it is
    current, for settings known by their database and language only (:mod:`hub.quickstart`);
    None when there is no such index or ``at`` is no time (the command line answers, or says
    what is wrong, as always)."""
    try:
        moment = datetime.now(UTC) if at is None else datetime.fromisoformat(at)
    except ValueError:
        return None
    programme = kept_index_programme(database_url)
    if programme is None:
        return None
    return reply_text(programme, question, moment=moment, lang=lang, default=language,
                      changes=changes_reader(database_url, language), after=after, fmt=fmt, as_json=as_json)
