"""What each ``hub`` command does; :mod:`hub.cli` only parses the command line.

Kept apart so that ``hub --help`` loads nothing heavy: the engine, the state store and the
connectors are imported when a command runs.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from config.settings import Settings
from hub.console import EXIT_FAILED, EXIT_OK
from hub.console import echo as _echo
from hub.console import fail as _fail
from hub.console import language as _lang
from hub.console import settings as _settings
from hub.messages import MESSAGES, say
from hub.review import (
    batch_json,
    describe_batch,
    event_zone,
    find_batch,
    history_json,
    history_line,
    parse_since,
    say_when,
)
from hub.review import decide as decide_batch
from hub.runtime import build_engine, load_settings, open_store
from sync.errors import HubError, LockBusy, UsageError
from sync.state_reader import ReadState, open_reader

if TYPE_CHECKING:  # the engine and the report are imported by the commands that use them
    from sync.report import Report

log = logging.getLogger(__name__)

@contextmanager
def _progress(enabled: bool, lang: str) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on a terminal; nothing otherwise (pipes, --json, CI logs)."""
    if not enabled:
        yield lambda phase, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    tasks: dict[str, Any] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  transient=True, console=Console(stderr=True)) as bar:
        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                label = say(f"phase.{phase}", lang) if f"phase.{phase}" in MESSAGES else phase
                tasks[phase] = bar.add_task(label, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def _run_engine(
    config_path: str | None, as_json: bool, action: str, force_delete: bool = False,
    *, revert: int | None = None, decide: Callable[[Settings, str], str] | None = None,
    settings: Settings | None = None,
) -> int:
    """Run one sync or plan and print its report. ``decide`` runs first (a review decision,
    a revert's check) and returns what to say after the report. ``settings``: already read."""
    lang = _lang()
    said = ""
    try:
        settings = settings or _settings(config_path)
        lang = _lang(settings)
        if decide is not None:
            said = decide(settings, lang)
        with _progress(not as_json and sys.stderr.isatty(), lang) as progress:
            engine = build_engine(settings, force_delete=force_delete, progress=progress, revert=revert)
            import asyncio

            started = time.monotonic()
            try:
                report = asyncio.run(engine.sync() if action == "sync" else engine.plan())
            except HubError as exc:
                if action == "sync" and settings.state_schema and not isinstance(exc, LockBusy):
                    _on_registry(settings, None, time.monotonic() - started, error=str(exc))
                raise
            if action == "sync":
                store = engine.store
                with store.transaction() as conn:
                    stamp = datetime.now().astimezone().isoformat()
                    store.set_meta(conn, "last_report", {**report.to_json(), "at": stamp})
                if settings.state_schema:  # a hosted collective's: its registry row says so too
                    _on_registry(settings, report, time.monotonic() - started)
    except HubError as exc:
        return _fail(exc, lang, as_json)
    if as_json:
        _echo(json.dumps(report.to_json(projections=action == "plan"), ensure_ascii=False))
    else:
        _print_report(report, lang, planned=action == "plan")
        if said:
            _echo(said)
    return EXIT_FAILED if report.failed else EXIT_OK


def _on_registry(settings: Settings, report: Report | None, seconds: float, error: str | None = None) -> None:
    """A hosted collective's sync by hand: its outcome on its registry row, as a worker's
    (secrets masked as in the workers' rows)."""
    from hub.hosting.handrun import record_hand_sync
    from hub.runtime import redactor

    record_hand_sync(report, seconds, error=error, redact=redactor(settings))


def _print_report(report: Report, lang: str, planned: bool) -> None:
    """The run's table and what a person should read after it, through the secrets' redactor
    (problems quote servers' answers). The table is :mod:`hub.table`'s box; a terminal shows
    each problem's mark in yellow (click drops the colour elsewhere)."""
    import click

    from hub.outcome import closing_lines
    from hub.table import box_table

    columns = ("connector", "merged", "created", "updated", "deleted", "unchanged", "failed", "requests")
    rows = [[name, *(str(v) for v in (r.merged, r.created, r.updated, r.deleted, r.unchanged, r.failed,
                                      r.requests))] for name, r in report.connectors.items()]
    _echo(box_table(say("plan.title" if planned else "sync.title", lang),
                    [say(f"col.{column}", lang) for column in columns], rows))
    if planned:
        for name, ops in report.planned.items():
            for op in ops:
                sign = {"create": "+", "update": "~", "delete": "-"}[op.action]
                _echo(f"  {sign} {name}: {op.key}")
    for problem in report.problems:
        _echo(f"{click.style('!', fg='yellow')} {problem}")
    for batch in report.held:
        _echo(say("held.line", lang, connector=batch["connector"], sessions=batch["sessions"],
                  batch=batch["batch"] if batch["batch"] is not None else "?"))
    if report.conflicts:
        _echo(say("conflicts.new", lang, n=len(report.conflicts)))
    if report.announcement is not None:
        _echo()
        _echo(say("announce.preview" if planned else "announce.sent", lang))
        _echo(report.announcement.render(lang, "text"))
    _echo()
    for line in closing_lines(report, lang, planned=planned):
        _echo(line)


def sync_command(config_path: str | None, as_json: bool, force_delete: bool, *, full: bool = False,
                 checked: bool = False) -> int:
    """A sync; first, unless ``full``, ``force_delete`` or ``checked`` (:mod:`hub.quickstart`
    checked already), the quick check (:mod:`sync.quick`) that says "nothing to do" without the
    engine when that is certain, and what it read of the settings kept for the next sync."""
    if full or force_delete or checked:
        return _run_engine(config_path, as_json, "sync", force_delete)
    try:
        settings = _settings(config_path)
    except HubError as exc:
        return _fail(exc, _lang(), as_json)
    from connectors.registry import quick_probe
    from hub.quickstart import remember
    from sync.quick import check, inputs_of, record, section_secrets

    inputs = inputs_of(settings, quick_probe)
    remember(settings, inputs)
    noop = None if inputs is None else check(inputs, section_secrets(settings))
    if noop is None:
        return _run_engine(config_path, as_json, "sync", settings=settings)
    record(settings.database_url, noop, datetime.now().astimezone().isoformat())
    lang = _lang(settings)
    _echo(json.dumps(noop.to_json(), ensure_ascii=False) if as_json else say("nothing", lang))
    return EXIT_OK


def plan_command(config_path: str | None, as_json: bool) -> int:
    return _run_engine(config_path, as_json, "plan")


def status_command(config_path: str | None, as_json: bool) -> int:
    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        # Looking needs no SQLAlchemy: a current SQLite state file is read with sqlite3.
        store: ReadState = open_reader(settings.database_url) or open_store(settings)
    except HubError as exc:
        return _fail(exc, lang, as_json)
    from connectors.registry import quick_probe
    from hub.quickstart import remember
    from hub.status import StatusFacts, status_output
    from sync.quick import inputs_of

    try:
        lines = status_output(StatusFacts.of(settings), store, as_json)
    finally:
        store.close()
    remember(settings, inputs_of(settings, quick_probe))  # the next `hub status` answers from them
    for line in lines:
        _echo(line)
    return EXIT_OK


def conflicts_command(config_path: str | None, as_json: bool, resolve_id: int | None, keep: str | None) -> int:
    from hub.conflicts import list_conflicts, resolve_conflict

    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        if resolve_id is not None:
            if keep is None:
                raise UsageError(say("conflicts.keep_required", lang))
            message = resolve_conflict(settings, resolve_id, keep, lang)
            _echo(json.dumps({"resolved": resolve_id}) if as_json else message)
            return EXIT_OK
        if keep is not None:
            raise UsageError(say("conflicts.resolve_required", lang))
        rows = list_conflicts(settings)
        store = open_store(settings)
        zone = event_zone(store)
        store.close()
    except HubError as exc:
        return _fail(exc, lang, as_json)
    if as_json:
        _echo(json.dumps({"conflicts": rows}, ensure_ascii=False, default=str))
        return EXIT_OK
    if not rows:
        _echo(say("conflicts.none", lang))
    for row in rows:
        when = say_when(row["created_at"], zone, lang) if row.get("created_at") else ""
        _echo(say("conflicts.row", lang, **{**row, "created_at": when}))
    return EXIT_OK


def review_command(config_path: str | None, as_json: bool, batch: int | None, accept_id: int | None,
                   reject_id: int | None) -> int:
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

        return _run_engine(config_path, as_json, "sync", decide=decide)
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
        return _fail(exc, lang, as_json)
    if as_json:
        _echo(json.dumps({"held": [batch_json(b) for b in batches]}, ensure_ascii=False, default=str))
        return EXIT_OK
    if not batches:
        _echo(say("review.none", lang))
        return EXIT_OK
    for held in batches:
        for line in describe_batch(held, lang, zone):
            _echo(line)
    _echo(say("review.hint", lang))
    return EXIT_OK


def history_command(config_path: str | None, as_json: bool, session_id: str | None, since: str | None,
                    limit: int) -> int:
    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        store = open_store(settings)
        zone = event_zone(store)
        start = parse_since(since, zone, lang) if since else None
        rows = store.history(session=session_id, since=start, limit=limit)
    except HubError as exc:
        return _fail(exc, lang, as_json)
    if as_json:
        _echo(json.dumps({"history": [history_json(r) for r in rows]}, ensure_ascii=False, default=str))
        return EXIT_OK
    if not rows:
        _echo(say("history.none", lang))
    for row in rows:
        _echo(history_line(row, lang, zone))
    return EXIT_OK


def revert_command(config_path: str | None, as_json: bool, sync_id: int) -> int:
    def check_run(settings: Settings, lang: str) -> str:
        store = open_store(settings)
        try:
            rows = store.sync_changes(sync_id)
        finally:
            store.close()
        if not rows:
            raise UsageError(say("revert.unknown", lang, sync=sync_id))
        return say("revert.done", lang, sync=sync_id, n=len(rows))

    return _run_engine(config_path, as_json, "sync", revert=sync_id, decide=check_run)


def check_command(config_path: str | None) -> int:
    from hub.checks import run_checks

    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        # A check line quotes what a server answered, which may echo the request: masked too.
        import asyncio

        return asyncio.run(run_checks(settings, lang, _echo))
    except HubError as exc:
        return _fail(exc, lang, False)


def connector_reset_command(config_path: str | None, name: str) -> int:
    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        released = open_store(settings).reset_breaker(name)
    except HubError as exc:
        return _fail(exc, lang, False)
    _echo(say("reset.done" if released else "reset.none", lang, name=name))
    return EXIT_OK


def pad_new_command(title: str, config_path: str | None, as_json: bool, connector_name: str | None,
                    lang: str | None) -> int:
    from hub.runtime import new_meeting_pad

    out = _lang()
    try:
        settings = _settings(config_path)
        out = _lang(settings)
        import asyncio

        url = asyncio.run(new_meeting_pad(settings, title, connector=connector_name, lang=lang))
    except HubError as exc:
        return _fail(exc, out, as_json)
    _echo(json.dumps({"title": title, "url": url}, ensure_ascii=False) if as_json else url)
    return EXIT_OK


def bots_command(config_path: str | None) -> int:
    from bots.run import main as run_bots
    from hub.runtime import announcing_connectors, sync_once
    from sync.protocol import RequestCounter

    lang = _lang()
    try:
        settings = _settings(config_path)
        lang = _lang(settings)
        run_bots(settings, announcing_connectors(settings, RequestCounter()), lambda: sync_once(settings))
    except HubError as exc:
        return _fail(exc, lang, False)
    return EXIT_OK


def ask_command(question: str, config_path: str | None, as_json: bool, at: str | None, lang: str | None,
                fmt: str, programme_path: str | None, after: tuple[str, ...] = ()) -> int:
    from bots.cli import run_ask

    return run_ask(question, at=at, lang=lang, fmt=fmt, settings=lambda: load_settings(config_path),
                   programme_path=programme_path, as_json=as_json, after=after)
