"""The ``hub`` command line: sync, plan, status, review, history, revert, conflicts, check...

Exit codes: 0 all went well, 1 a connector failed (the others still ran), 2 bad configuration,
bad input or a wrong command (nothing was pushed). ``--json`` prints exactly one JSON object.

This module only parses the command line, with its help in French and English
(:mod:`hub.help`); what each command does lives in :mod:`hub.commands`, imported when it runs,
so ``hub --help`` starts fast.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from hub.export import export
from hub.help import HubGroup, h
from hub.hosting.cli import collective, database_option, for_collective, for_collective_writing, hosting_option, worker

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), default=None, help=h("opt.config"),
)
json_option = click.option("--json", "as_json", is_flag=True, help=h("opt.json"))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # a tenth of a second: only for --version

    try:
        return version("commons-hub")
    except PackageNotFoundError:  # run from a source tree that was not installed
        return "0+unknown"


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"hub {_version()}")
        ctx.exit()


@click.group(cls=HubGroup, help=h("hub"), context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", "-V", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help=h("click.version"))
@click.option("--debug", is_flag=True, help=h("opt.debug"))
def cli(debug: bool) -> None:
    if debug:  # secrets are still masked: the redactor goes on this handler with the settings
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)


@cli.command(help=h("sync"))
@for_collective_writing()
@config_option
@json_option
@click.option("--force-delete", is_flag=True, help=h("sync.force_delete"))
@click.option("--full", is_flag=True, help=h("sync.full"))
def sync(config_path: str | None, as_json: bool, force_delete: bool, full: bool) -> None:
    # hub.entry may have run the quick check already: a second one would ask the sources again.
    checked = bool((click.get_current_context().obj or {}).get("checked"))
    if not (checked or full or force_delete or logging.getLogger().isEnabledFor(logging.DEBUG)):
        # Nothing to do is answered before the settings' models and the engine are loaded.
        from hub.quickstart import Verdict, quick_sync

        verdict = quick_sync(config_path, as_json)
        if verdict is Verdict.NOTHING:
            sys.exit(0)
        checked = verdict is Verdict.WORK
    from hub.commands import sync_command

    sys.exit(sync_command(config_path, as_json, force_delete, full=full, checked=checked))


@cli.command(help=h("plan"))
@for_collective
@config_option
@json_option
def plan(config_path: str | None, as_json: bool) -> None:
    from hub.commands import plan_command

    sys.exit(plan_command(config_path, as_json))


@cli.command(help=h("status"))
@for_collective
@config_option
@json_option
def status(config_path: str | None, as_json: bool) -> None:
    from hub.commands import status_command

    sys.exit(status_command(config_path, as_json))


@cli.command(help=h("conflicts"))
@for_collective_writing("resolve_id")
@config_option
@json_option
@click.option("--resolve", "resolve_id", type=int, default=None, help=h("conflicts.resolve"))
@click.option("--keep", type=click.Choice(["ours", "theirs"]), default=None, help=h("conflicts.keep"))
def conflicts(config_path: str | None, as_json: bool, resolve_id: int | None, keep: str | None) -> None:
    from hub.commands import conflicts_command

    sys.exit(conflicts_command(config_path, as_json, resolve_id, keep))


@cli.command(help=h("review"))
@for_collective_writing("accept_id", "reject_id")
@config_option
@json_option
@click.argument("batch", type=int, required=False)
@click.option("--accept", "accept_id", type=int, default=None, help=h("review.accept"))
@click.option("--reject", "reject_id", type=int, default=None, help=h("review.reject"))
def review(config_path: str | None, as_json: bool, batch: int | None, accept_id: int | None,
           reject_id: int | None) -> None:
    from hub.commands import review_command

    sys.exit(review_command(config_path, as_json, batch, accept_id, reject_id))


@cli.command(help=h("history"))
@for_collective
@config_option
@json_option
@click.option("--session", "session_id", default=None, help=h("history.session"))
@click.option("--since", default=None, help=h("history.since"))
@click.option("--limit", type=int, default=200, show_default=True, help=h("history.limit"))
def history(config_path: str | None, as_json: bool, session_id: str | None, since: str | None, limit: int) -> None:
    from hub.commands import history_command

    sys.exit(history_command(config_path, as_json, session_id, since, limit))


@cli.command(help=h("revert"))
@for_collective_writing()
@config_option
@json_option
@click.argument("sync_id", type=int)
def revert(config_path: str | None, as_json: bool, sync_id: int) -> None:
    from hub.commands import revert_command

    sys.exit(revert_command(config_path, as_json, sync_id))


@cli.command(help=h("check"))
@config_option
def check(config_path: str | None) -> None:
    from hub.commands import check_command

    sys.exit(check_command(config_path))


@cli.group(help=h("connector"))
def connector() -> None:
    pass


@connector.command("reset", help=h("connector.reset"))
@for_collective_writing()
@config_option
@click.argument("name")
def connector_reset(config_path: str | None, name: str) -> None:
    from hub.commands import connector_reset_command

    sys.exit(connector_reset_command(config_path, name))


@cli.command(help=h("ask"))
@config_option
@json_option
@click.argument("question")
@click.option("--at", "at", default=None, help=h("ask.at"))
@click.option("--lang", type=click.Choice(["fr", "en"]), default=None, help=h("ask.lang"))
@click.option("--format", "fmt", type=click.Choice(["text", "html", "markdown"]), default="text",
              help=h("ask.format"))
@click.option("--programme", "programme_path", default=None, type=click.Path(dir_okay=False, exists=True),
              help=h("ask.programme"))
@click.option("--after", "after", multiple=True, help=h("ask.after"))
def ask(question: str, config_path: str | None, as_json: bool, at: str | None, lang: str | None,
        fmt: str, programme_path: str | None, after: tuple[str, ...]) -> None:
    from hub.commands import ask_command

    sys.exit(ask_command(question, config_path, as_json, at, lang, fmt, programme_path, after))


@cli.group(help=h("pad"))
def pad() -> None:
    pass


@pad.command("new", help=h("pad.new"))
@config_option
@json_option
@click.argument("title")
@click.option("--connector", "connector_name", default=None, help=h("pad.connector"))
@click.option("--lang", type=click.Choice(["fr", "en"]), default=None, help=h("pad.lang"))
def pad_new(title: str, config_path: str | None, as_json: bool, connector_name: str | None,
            lang: str | None) -> None:
    from hub.commands import pad_new_command

    sys.exit(pad_new_command(title, config_path, as_json, connector_name, lang))


@cli.group(help=h("poll"))
def poll() -> None:
    pass


@poll.group("create", help=h("poll.create"))
def poll_create() -> None:
    pass


poll_options = [
    config_option, json_option,
    click.option("--connector", "connector_name", default=None, help=h("poll.connector")),
]


def _poll_options(func: Any) -> Any:
    for option in reversed(poll_options):
        func = option(func)
    return for_collective_writing()(func)


@poll_create.command("dates", help=h("poll.dates"))
@_poll_options
@click.argument("title")
@click.option("--slot", "slots", multiple=True, required=True, help=h("poll.slot"))
@click.option("--until", default=None, help=h("poll.until"))
@click.option("--description", default="", help=h("poll.description"))
@click.option("--announce", is_flag=True, help=h("poll.announce"))
def poll_create_dates(config_path: str | None, as_json: bool, connector_name: str | None, title: str,
                      slots: tuple[str, ...], until: str | None, description: str, announce: bool) -> None:
    from hub.poll import create_dates_command

    sys.exit(create_dates_command(config_path, as_json, connector_name, title, slots, until, description, announce))


@poll_create.command("signup", help=h("poll.signup"))
@_poll_options
@click.option("--day", required=True, help=h("poll.day"))
@click.option("--kind", "kinds", multiple=True, default=("workshop",), help=h("poll.kind"))
@click.option("--title", default=None, help=h("poll.title"))
@click.option("--until", default=None, help=h("poll.until"))
@click.option("--description", default="", help=h("poll.description"))
@click.option("--announce", is_flag=True, help=h("poll.announce"))
def poll_create_signup(config_path: str | None, as_json: bool, connector_name: str | None, day: str,
                       kinds: tuple[str, ...], title: str | None, until: str | None, description: str,
                       announce: bool) -> None:
    from hub.poll import create_signup_command

    sys.exit(create_signup_command(config_path, as_json, connector_name, day, kinds, title, until, description,
                                   announce))


@poll.command("status", help=h("poll.status"))
@_poll_options
@click.argument("poll_ref", metavar="POLL", required=False)
def poll_status(config_path: str | None, as_json: bool, connector_name: str | None, poll_ref: str | None) -> None:
    from hub.poll import status_command as run

    sys.exit(run(config_path, as_json, connector_name, poll_ref))


@poll.command("close", help=h("poll.close"))
@_poll_options
@click.argument("poll_ref", metavar="POLL")
def poll_close(config_path: str | None, as_json: bool, connector_name: str | None, poll_ref: str) -> None:
    from hub.poll import status_command as run

    sys.exit(run(config_path, as_json, connector_name, poll_ref, close=True))


@cli.command("bots", help=h("bots"))
@config_option
def bots_command(config_path: str | None) -> None:
    from hub.commands import bots_command as run

    sys.exit(run(config_path))


@cli.command("daemon", help=h("daemon"))
@config_option
@click.option("--listen", default=None, metavar="HOST:PORT", help=h("daemon.listen"))
@hosting_option
@database_option
def daemon_command(config_path: str | None, listen: str | None, hosting: bool, database: str | None) -> None:
    if hosting:
        from hub.hosting.web import hosting_command

        sys.exit(hosting_command(database, listen))
    from hub.daemon import daemon_command as run

    sys.exit(run(config_path, listen))


@cli.command("init", help=h("init"))
@click.argument("directory", metavar="DIR", required=False, type=click.Path(file_okay=False))
@click.option("--answers", "answers", default=None, type=click.Path(dir_okay=False), help=h("init.answers"))
def init_command(directory: str | None, answers: str | None) -> None:
    from hub.init.wizard import init_command as run

    sys.exit(run(directory, answers))


cli.add_command(export)
cli.add_command(collective)
cli.add_command(worker)


def main(*, checked: bool = False) -> None:
    """``hub``: click without its standalone handler, so its own refusals (an unknown option, a
    missing argument) are said in the start-up language like everything else. ``checked``: the
    quick check ran already and found work (:mod:`hub.entry`)."""
    from hub.help import LANGUAGE

    try:
        code = cli.main(prog_name="hub", standalone_mode=False, obj={"checked": checked})
    except click.ClickException as exc:
        from hub.usage import show

        show(exc, LANGUAGE)
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt, EOFError):
        from hub.usage import aborted

        click.echo(aborted(LANGUAGE), err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
