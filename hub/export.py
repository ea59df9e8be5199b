"""``hub export``: the programme as the hub holds it after the last sync, in one file.

``--format yaml`` writes it in the programme file's own format (it reads back to the same
programme), ``ics`` and ``json`` (frab) exactly as the ``files`` connector renders them. To
stdout, or to ``--output FILE`` (replaced atomically). Nothing is pulled or pushed: this is what
the state store holds, so it is what every tool was last given.

The command is a :class:`click.Command` of its own (``cli.add_command(export)``); what it needs
beyond click is imported when it runs.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hub.help import HubCommand, h, startup_language
from hub.hosting.cli import for_collective
from sync.i18n import Catalogue

if TYPE_CHECKING:  # the rest is imported when the command runs, so `hub --help` stays fast
    from sync.model import Programme, Session
    from sync.state import HistoryRow, StateStore

FORMATS = ("yaml", "ics", "json")
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".ics": "ics", ".json": "json"}
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

MESSAGES = Catalogue({
    "error.config": {"fr": "Configuration invalide :", "en": "Invalid configuration:"},
    "error.state": {"fr": "Base d'état illisible :", "en": "Unreadable state database:"},
    "error.output": {"fr": "Impossible d'écrire {file} : {why}", "en": "Cannot write {file}: {why}"},
    "no_programme": {
        "fr": "Pas encore de programme : lancez d'abord `hub sync` (avec [hub] programme dans la configuration).",
        "en": "No programme yet: run `hub sync` first (with [hub] programme in the configuration).",
    },
    "written": {"fr": "Programme écrit dans {file} ({n} séances).",
                "en": "Programme written to {file} ({n} sessions)."},
})
say = MESSAGES.say


def render(programme: Programme, fmt: str, *, language: str, history: Sequence[HistoryRow] = ()) -> str:
    """The programme in ``fmt``: yaml, ics or json (frab).

    ICS and frab come from the same fragments the ``files`` connector writes; each VEVENT's
    SEQUENCE counts the runs that changed its session and its DTSTAMP is the last of them
    (from ``history``), so the same state exports the same calendar.
    """
    from connectors.exports import frab_document, frab_fragment, ics_document, ics_fragment
    from sync.programme_writer import programme_yaml

    if fmt == "yaml":
        return programme_yaml(programme)
    event = programme.event
    order = [s.id for s in programme.sorted_sessions()]
    projections = {key: projection(programme.sessions[key], programme) for key in order}
    if fmt == "ics":
        revisions = _revisions(history)
        now = datetime.now(UTC).replace(microsecond=0)
        fragments = []
        for key in order:
            runs = revisions.get(key, [])
            stamp = max(runs).astimezone(UTC).replace(microsecond=0) if runs else now
            fragments.append(ics_fragment(projections[key], event.id, max(0, len(runs) - 1), stamp, event.timezone))
        return ics_document(programme, fragments)
    document = frab_document(programme, {key: frab_fragment(projections[key], event.id, language, event.website)
                                         for key in order})
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def projection(session: Session, programme: Programme) -> dict[str, Any]:
    """What every document sink renders of a session: its fields, its venue's name and address."""
    record = session.to_record()
    venue = programme.venue_of(session)
    return {**record, "venue_name": venue.name if venue else None,
            "venue_address": venue.address if venue else None}


def _revisions(history: Sequence[HistoryRow]) -> dict[str, list[datetime]]:
    """Per session, when each run that created or changed it did (one time per run)."""
    from sync.model import EXISTENCE

    runs: dict[str, dict[Any, datetime]] = {}
    for row in history:
        if row.field == EXISTENCE and row.new is None:
            runs.pop(row.session, None)  # removed: a session added again starts afresh
            continue
        runs.setdefault(row.session, {})[row.sync if row.sync is not None else row.at] = row.at
    return {key: sorted(times.values()) for key, times in runs.items()}


def stored_programme(store: StateStore) -> Programme | None:
    """The canonical programme the state store holds, or None before the first sync."""
    from sync.engine import programme_from

    meta: Mapping[str, Any] | None = store.get_meta("programme")
    if meta is None:
        return None
    return programme_from(meta, store.load_sessions())


def _format(fmt: str | None, output: str | None) -> str:
    if fmt is not None:
        return fmt
    return SUFFIXES.get(Path(output).suffix.lower(), "yaml") if output else "yaml"


def _write(path: Path, text: str) -> None:
    """Replace ``path`` atomically: a reader (a web server, a calendar) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _no_database(url: str) -> bool:
    """A SQLite state file that does not exist yet (opening it would create it)."""
    return url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists()


def run(fmt: str | None, output: str | None, config_path: str | None) -> int:
    """What ``hub export`` does; the exit code."""
    from hub.runtime import load_settings, open_store
    from sync.errors import ConfigError, HubError, StateUnreadable

    lang = startup_language()
    try:
        settings = load_settings(config_path)
        lang = settings.hub.language
        if _no_database(settings.database_url):
            click.echo(say("no_programme", lang), err=True)
            return EXIT_BAD_INPUT
        store = open_store(settings)
    except ConfigError as exc:
        click.echo(f"{say('error.config', lang)}\n{exc}", err=True)
        return EXIT_BAD_INPUT
    except StateUnreadable as exc:
        click.echo(f"{say('error.state', lang)}\n{exc}", err=True)
        return EXIT_BAD_INPUT
    except HubError as exc:
        click.echo(str(exc), err=True)
        return EXIT_BAD_INPUT
    try:
        programme = stored_programme(store)
        if programme is None:
            click.echo(say("no_programme", lang), err=True)
            return EXIT_BAD_INPUT
        chosen = _format(fmt, output)
        history = store.history() if chosen == "ics" else ()
        text = render(programme, chosen, language=lang, history=history)
    finally:
        store.close()
    if output is None or output == "-":
        click.echo(text, nl=not text.endswith("\n"))
        return EXIT_OK
    path = Path(output)
    try:
        _write(path, text)
    except OSError as exc:
        click.echo(say("error.output", lang, file=path, why=exc.strerror), err=True)
        return EXIT_FAILED
    click.echo(say("written", lang, file=path, n=len(programme.sessions)), err=True)
    return EXIT_OK


@click.command("export", cls=HubCommand, help=h("export"))
@for_collective
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help=h("export.format"))
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), default=None, help=h("export.output"))
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help=h("opt.config"))
def export(fmt: str | None, output: str | None, config_path: str | None) -> None:
    sys.exit(run(fmt, output, config_path))
