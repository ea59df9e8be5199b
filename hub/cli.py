"""The ``hub`` command: sync, plan, status, conflicts, check.

Exit codes: 0 all went well, 1 a connector failed (the others still ran), 2 bad configuration or
bad input (nothing was pushed). ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from config.secrets import Redactor, install
from config.settings import Settings
from hub.messages import MESSAGES, say
from hub.outcome import closing_lines
from hub.review import batch_json, describe_batch, event_zone, find_batch, history_json, history_line, parse_since
from hub.review import decide as decide_batch
from hub.runtime import build_engine, load_settings, open_store, redactor
from sync.errors import ConfigError, HubError, InputError, StateUnreadable, UsageError
from sync.protocol import RequestCounter
from sync.report import Report
from sync.review import HeldSummary

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), default=None,
    help="Configuration file (default: $HUB_CONFIG or hub.toml).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def _lang(settings: Settings | None = None) -> str:
    if settings is not None:
        return settings.hub.language
    env = os.environ.get("HUB_HUB__LANGUAGE") or os.environ.get("LANG", "fr")
    return "en" if env.startswith("en") else "fr"


_redact = Redactor()


def _settings(config_path: str | None) -> Settings:
    """Load the configuration and mask its secrets in every log line and error from here on."""
    global _redact
    settings = load_settings(config_path)
    _redact = redactor(settings)
    install(_redact)
    return settings


def _fail(exc: HubError, lang: str, as_json: bool) -> int:
    code = EXIT_BAD_INPUT if isinstance(exc, (ConfigError, InputError, UsageError, StateUnreadable)) \
        else EXIT_FAILED
    title = say("error.config" if isinstance(exc, ConfigError) else
                "error.input" if isinstance(exc, InputError) else
                "error.usage" if isinstance(exc, UsageError) else
                "error.state" if isinstance(exc, StateUnreadable) else "error.run", lang)
    if as_json:
        click.echo(json.dumps({"error": title, "problems": _redact(str(exc)).splitlines()}, ensure_ascii=False))
    else:
        click.echo(f"{title}\n{_redact(str(exc))}", err=True)
    return code


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on a terminal; nothing otherwise (pipes, --json, CI logs)."""
    if not enabled:
        yield lambda phase, done, total: None
        return
    tasks: dict[str, Any] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  transient=True, console=Console(stderr=True)) as bar:
        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def _run_engine(
    config_path: str | None, as_json: bool, action: str, force_delete: bool = False,
    *, revert: int | None = None, decide: Callable[[Settings, str], str] | None = None,
) -> int:
    """Run one sync or plan and print its report. ``decide`` runs first (a review decision,
    a revert's check) and returns what to say after the report."""
    lang = _lang()
    said = ""
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        if decide is not None:
            said = decide(settings, lang)
        with _progress(not as_json and sys.stderr.isatty()) as progress:
            engine = build_engine(settings, force_delete=force_delete, progress=progress, revert=revert)
            report = asyncio.run(engine.sync() if action == "sync" else engine.plan())
            if action == "sync":
                store = engine.store
                with store.transaction() as conn:
                    stamp = datetime.now().astimezone().isoformat()
                    store.set_meta(conn, "last_report", {**report.to_json(), "at": stamp})
    except HubError as exc:
        return _fail(exc, lang, as_json)
    if as_json:
        click.echo(json.dumps(report.to_json(projections=action == "plan"), ensure_ascii=False))
    else:
        _print_report(report, lang, planned=action == "plan")
        if said:
            click.echo(said)
    return EXIT_FAILED if report.failed else EXIT_OK


def _print_report(report: Report, lang: str, planned: bool) -> None:
    console = Console()
    table = Table(title=say("plan.title" if planned else "sync.title", lang))
    columns = ("connector", "merged", "created", "updated", "deleted", "unchanged", "failed", "requests")
    for column in columns:
        table.add_column(say(f"col.{column}", lang), justify="left" if column == "connector" else "right")
    for name, r in report.connectors.items():
        table.add_row(name, *(str(v) for v in (r.merged, r.created, r.updated, r.deleted, r.unchanged, r.failed,
                                               r.requests)))
    console.print(table)
    if planned:
        for name, ops in report.planned.items():
            for op in ops:
                sign = {"create": "+", "update": "~", "delete": "-"}[op.action]
                console.print(f"  {sign} {name}: {op.key}", markup=False)
    for problem in report.problems:
        console.print(f"[yellow]![/yellow] {escape(problem)}", highlight=False)
    for batch in report.held:
        console.print(say("held.line", lang, connector=batch["connector"], sessions=batch["sessions"],
                          batch=batch["batch"] if batch["batch"] is not None else "?"), markup=False)
    if report.conflicts:
        console.print(say("conflicts.new", lang, n=len(report.conflicts)), markup=False)
    if report.announcement is not None:
        console.print()
        console.print(say("announce.preview" if planned else "announce.sent", lang), markup=False)
        console.print(report.announcement.render(lang, "text"), markup=False, highlight=False)
    console.print()
    for line in closing_lines(report, lang, planned=planned):
        console.print(line, markup=False, highlight=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Log everything (DEBUG), tracebacks of unexpected errors included.")
def cli(debug: bool) -> None:
    """Commons Hub: one programme, kept in step across every tool of the collective."""
    if debug:  # secrets are still masked: the redactor goes on this handler with the settings
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)


@cli.command()
@config_option
@json_option
@click.option("--force-delete", is_flag=True, help="Accept a mass disappearance as intended.")
def sync(config_path: str | None, as_json: bool, force_delete: bool) -> None:
    """Pull every source, merge, and push the changes everywhere (once)."""
    sys.exit(_run_engine(config_path, as_json, "sync", force_delete))


@cli.command()
@config_option
@json_option
def plan(config_path: str | None, as_json: bool) -> None:
    """Show what a sync would change, and the announcement it would send; write nothing."""
    sys.exit(_run_engine(config_path, as_json, "plan"))


@cli.command()
@config_option
@json_option
def status(config_path: str | None, as_json: bool) -> None:
    """The last sync's figures, the outbox, held connectors and messages in doubt."""
    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        store = open_store(settings)
    except HubError as exc:
        sys.exit(_fail(exc, lang, as_json))
    last = store.get_meta("last_report") or {"connectors": {}, "changes": [], "conflicts": []}
    in_doubt = store.outbox_entries(states=("in_doubt",))
    extra: dict[str, Any] = {
        "last_sync": last.get("at"),
        "outbox": store.outbox_counts(),
        "in_doubt": [{"connector": e.connector, "target": e.target, "op": e.op, "error": e.error} for e in in_doubt],
        "held": store.open_breakers(),
        "open_conflicts": len(store.open_conflicts()),
        "review": [batch_json(b) for b in store.held_batches()],
    }
    if as_json:
        click.echo(json.dumps({"connectors": last["connectors"], "changes": last["changes"],
                               "conflicts": last["conflicts"], "status": extra}, ensure_ascii=False))
        return
    console = Console()
    console.print(say("status.last", lang, at=extra["last_sync"] or say("never", lang)), markup=False)
    for name, figures in last["connectors"].items():
        shown = ", ".join(f"{say('col.' + k, lang) if 'col.' + k in MESSAGES else k} {v}" for k, v in figures.items())
        console.print(f"  {name}: {shown}", markup=False)
    for name, states in extra["outbox"].items():
        listed = ", ".join(f"{say('state.' + k, lang) if 'state.' + k in MESSAGES else k} {v}"
                           for k, v in states.items())
        console.print(say("status.outbox", lang, name=name, states=listed), markup=False)
    for entry in extra["in_doubt"]:
        line = say("status.in_doubt", lang, connector=entry["connector"], target=entry["target"])
        console.print(line, markup=False)
    for name, reason in extra["held"].items():
        console.print(say("status.held", lang, name=name, reason=reason), markup=False)
    for batch in store.held_batches():
        sessions = HeldSummary.from_json(batch.summary).sessions
        console.print(say("status.review", lang, batch=batch.id, connector=batch.connector, sessions=sessions),
                      markup=False)


@cli.command()
@config_option
@json_option
@click.option("--resolve", "resolve_id", type=int, default=None, help="Conflict number to resolve.")
@click.option("--keep", type=click.Choice(["ours", "theirs"]), default=None,
              help="With --resolve: keep the hub's value (ours) or the connector's (theirs).")
def conflicts(config_path: str | None, as_json: bool, resolve_id: int | None, keep: str | None) -> None:
    """List edits that could not be merged; resolve one by choosing a side."""
    from hub.conflicts import list_conflicts, resolve_conflict

    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        if resolve_id is not None:
            if keep is None:
                raise ConfigError(say("conflicts.keep_required", lang))
            message = resolve_conflict(settings, resolve_id, keep, lang)
            click.echo(json.dumps({"resolved": resolve_id}) if as_json else message)
            return
        rows = list_conflicts(settings)
    except HubError as exc:
        sys.exit(_fail(exc, lang, as_json))
    if as_json:
        click.echo(json.dumps({"conflicts": rows}, ensure_ascii=False, default=str))
        return
    if not rows:
        click.echo(say("conflicts.none", lang))
    for row in rows:
        click.echo(say("conflicts.row", lang, **row))


@cli.command()
@config_option
@json_option
@click.argument("batch", type=int, required=False)
@click.option("--accept", "accept_id", type=int, default=None, help="Merge this held batch and push it everywhere.")
@click.option("--reject", "reject_id", type=int, default=None,
              help="Drop this held batch and write the programme back over the source.")
def review(config_path: str | None, as_json: bool, batch: int | None, accept_id: int | None,
           reject_id: int | None) -> None:
    """List the changes held for review (a mass edit of a pad, say); accept or reject one.

    Accepting or rejecting runs a sync at once, so the outcome reaches every channel.
    """
    if accept_id is not None or reject_id is not None:
        def decide(settings: Settings, lang: str) -> str:
            if accept_id is not None and reject_id is not None:
                raise UsageError(say("review.both", lang))
            number = accept_id if accept_id is not None else reject_id
            assert number is not None
            store = open_store(settings)
            try:
                decide_batch(store, number, "accepted" if accept_id is not None else "rejected", lang)
            finally:
                store.close()
            return say("review.accepted" if accept_id is not None else "review.rejected", lang, batch=number)

        sys.exit(_run_engine(config_path, as_json, "sync", decide=decide))
    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        store = open_store(settings)
        batches = store.held_batches()
        if batch is not None:
            batches = [find_batch(store, batch, lang)]
        zone = event_zone(store)
    except HubError as exc:
        sys.exit(_fail(exc, lang, as_json))
    if as_json:
        click.echo(json.dumps({"held": [batch_json(b) for b in batches]}, ensure_ascii=False, default=str))
        return
    if not batches:
        click.echo(say("review.none", lang))
        return
    for held in batches:
        for line in describe_batch(held, lang, zone):
            click.echo(line)
    click.echo(say("review.hint", lang))


@cli.command()
@config_option
@json_option
@click.option("--session", "session_id", default=None, help="Only this session (its id).")
@click.option("--since", default=None, help="Only changes since: 2h, 3d, 30m, 2026-12-01 or 2026-12-01T14:00.")
@click.option("--limit", type=int, default=200, show_default=True, help="At most this many, the newest.")
def history(config_path: str | None, as_json: bool, session_id: str | None, since: str | None, limit: int) -> None:
    """Which source changed which field of which session, run by run (undo one: hub revert N)."""
    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        store = open_store(settings)
        zone = event_zone(store)
        start = parse_since(since, zone, lang) if since else None
        rows = store.history(session=session_id, since=start, limit=limit)
    except HubError as exc:
        sys.exit(_fail(exc, lang, as_json))
    if as_json:
        click.echo(json.dumps({"history": [history_json(r) for r in rows]}, ensure_ascii=False, default=str))
        return
    if not rows:
        click.echo(say("history.none", lang))
    for row in rows:
        click.echo(history_line(row, lang, zone))


@cli.command()
@config_option
@json_option
@click.argument("sync_id", type=int)
def revert(config_path: str | None, as_json: bool, sync_id: int) -> None:
    """Undo one run (its number in `hub history`): every session it changed is put back,
    everywhere, with one correction announced."""
    def check_run(settings: Settings, lang: str) -> str:
        store = open_store(settings)
        try:
            rows = store.sync_changes(sync_id)
        finally:
            store.close()
        if not rows:
            raise UsageError(say("revert.unknown", lang, sync=sync_id))
        return say("revert.done", lang, sync=sync_id, n=len(rows))

    sys.exit(_run_engine(config_path, as_json, "sync", revert=sync_id, decide=check_run))


@cli.command()
@config_option
def check(config_path: str | None) -> None:
    """Validate the configuration and the programme file, then reach every connector."""
    from hub.checks import run_checks

    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        code = asyncio.run(run_checks(settings, lang, click.echo))
    except HubError as exc:
        sys.exit(_fail(exc, lang, False))
    sys.exit(code)


@cli.group()
def connector() -> None:
    """Manage one connector."""


@connector.command("reset")
@config_option
@click.argument("name")
def connector_reset(config_path: str | None, name: str) -> None:
    """Release a connector held after a rate limit or CAPTCHA."""
    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        released = open_store(settings).reset_breaker(name)
    except HubError as exc:
        sys.exit(_fail(exc, lang, False))
    click.echo(say("reset.done" if released else "reset.none", lang, name=name))


@cli.command()
@config_option
@json_option
@click.argument("question")
@click.option("--at", "at", default=None, help="The moment taken as 'now' (2021-11-13T11:00).")
@click.option("--lang", type=click.Choice(["fr", "en"]), default=None, help="Answer language.")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "markdown"]), default="text",
              help="Channel format: text (Signal), html (Telegram), markdown (Talk).")
@click.option("--programme", "programme_path", default=None,
              type=click.Path(dir_okay=False, exists=True),
              help="Answer from this programme file instead of the configured hub.")
def ask(question: str, config_path: str | None, as_json: bool, at: str | None, lang: str | None,
        fmt: str, programme_path: str | None) -> None:
    """Answer a question about the programme the way the chat bots do."""
    from bots.cli import run_ask

    sys.exit(run_ask(question, at=at, lang=lang, fmt=fmt, settings=lambda: load_settings(config_path),
                     programme_path=programme_path, as_json=as_json))


@cli.group()
def pad() -> None:
    """Etherpad pads beside the programme pad."""


@pad.command("new")
@config_option
@json_option
@click.argument("title")
@click.option("--connector", "connector_name", default=None,
              help="Etherpad connector section (default: the only one).")
@click.option("--lang", type=click.Choice(["fr", "en"]), default=None, help="Template language.")
def pad_new(title: str, config_path: str | None, as_json: bool, connector_name: str | None,
            lang: str | None) -> None:
    """Create a meeting-notes pad (agenda, participants, decisions) and print its URL."""
    from hub.runtime import new_meeting_pad

    out = _lang()
    try:
        settings = _settings(config_path)
        out = _lang(settings)
        url = asyncio.run(new_meeting_pad(settings, title, connector=connector_name, lang=lang))
    except HubError as exc:
        sys.exit(_fail(exc, out, as_json))
    click.echo(json.dumps({"title": title, "url": url}, ensure_ascii=False) if as_json else url)


@cli.command("bots")
@config_option
def bots_command(config_path: str | None) -> None:
    """Run the chat bots (Telegram, Signal, Talk) in the foreground until Ctrl-C."""
    from bots.run import main as run_bots
    from hub.runtime import announcing_connectors, sync_once

    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        run_bots(settings, announcing_connectors(settings, RequestCounter()), lambda: sync_once(settings))
    except HubError as exc:
        sys.exit(_fail(exc, lang, False))


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
