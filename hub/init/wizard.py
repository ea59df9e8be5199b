"""``hub init [DIR] [--answers FILE]``: from an empty folder to a configuration that ``hub check``
passes, asking only what a person knows (addresses, logins) and discovering the rest.

The steps: the language; the configuration already there (channels are added to it, never
overwritten); the programme file (one given, or a first one written from the event's title and
dates); the tools the collective uses; one step per tool (:data:`TOOLS`, a module each, which
asks, discovers and proves access with the connector's own code); then ``hub.toml`` (commented)
and one file per secret (mode 0600) are written, ``hub check`` runs, and the next steps are said.
"""

from __future__ import annotations

import asyncio
import importlib
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import click

from hub.init.messages import MESSAGES
from hub.init.prompt import Asker, Invalid, at_terminal, read_answers
from hub.init.section import Section
from hub.init.setup import Setup, slug
from sync.errors import ConfigError, HubError, Problem
from sync.model import Programme

#: The tools, in the order they are offered: answer key -> module (its ``configure(setup)``).
TOOLS: dict[str, str] = {
    "nextcloud": "hub.init.nextcloud",
    "caldav": "hub.init.caldav",
    "etherpad": "hub.init.etherpad",
    "wordpress": "hub.init.wordpress",
    "telegram": "hub.init.telegram",
    "signal": "hub.init.signal",
    "humhub": "hub.init.humhub",
    "framadate": "hub.init.framadate",
    "files": "hub.init.files",
}
CONFIG = "hub.toml"


def run(folder: Path, answers_path: Path | None, lang: str) -> int:
    """The whole wizard; the exit code (that of ``hub check`` once written, 2 for a refused
    answers file, 0 when nothing was to be done)."""
    answers: dict[str, Any] = read_answers(answers_path, lang) if answers_path is not None else {}
    interactive = at_terminal()
    asker = Asker(lang, answers, interactive, str(answers_path or ""))
    lang = str(asker.choose("hub.language", [("fr", "français"), ("en", "English")], default=lang)[0])
    asker.lang = lang
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / CONFIG
    setup = Setup(asker, folder)
    existing = ""
    if config.exists():
        existing = config.read_text(encoding="utf-8")
        setup.taken = _section_names(existing, config, lang)
        asker.tell("exists", path=config, sections=", ".join(sorted(setup.taken)) or "-")
        if not asker.confirm("hub.add", default=True):
            asker.tell("nothing_done")
            return 0
        setup.programme = _programme_of(existing, folder)
        header = ""
    else:
        asker.tell("welcome", folder=folder.resolve())
        programme_path, setup.programme = _programme(setup)
        header = _header(setup, programme_path)
    sections = _tools(setup)
    _write(config, existing, header, sections, folder)
    asker.tell("written", path=config, n=len(sections))
    code = _check(config, lang, asker)
    asker.tell("next", config=config)
    if asker.interactive:
        asker.tell("typed", prompts=asker.prompts, typed=asker.typed)
    return code


def _section_names(text: str, path: Path, lang: str) -> set[str]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(Problem(MESSAGES.say("config.unreadable", lang, path=path, reason=str(exc)),
                                  lang=lang)) from None
    connectors = raw.get("connectors")
    return set(connectors) if isinstance(connectors, dict) else set()


def _programme_of(text: str, folder: Path) -> Programme | None:
    from sync.programme_reader import load_programme

    programme = tomllib.loads(text).get("hub", {}).get("programme")
    if not programme:
        return None
    try:
        return load_programme(folder / programme)
    except HubError:
        return None


def _programme(setup: Setup) -> tuple[str, Programme]:
    """The programme file: an existing one (checked now: a bad one is explained), or a first
    one written from the event's title, dates and time zone."""
    from sync.programme_reader import load_programme

    ask = setup.asker

    def check(text: str) -> tuple[str, Programme]:
        path = (setup.folder / text).resolve() if not Path(text).is_absolute() else Path(text)
        if not path.exists():
            if not ask.confirm("hub.starter", default=True, path=text):
                raise Invalid(setup.say("programme.absent", path=path))
            _starter(setup, path)
        try:
            return text, load_programme(path)
        except HubError as exc:
            raise Invalid(str(exc)) from None

    found: tuple[str, Programme] = ask.ask("hub.programme", default="programme.yaml", check=check)  # type: ignore[assignment]
    ask.tell("programme.read", sessions=len(found[1].sessions), title=found[1].event.title)
    return found


def _starter(setup: Setup, path: Path) -> None:
    """A first programme file: the event, its days, no session yet (they are added in the file,
    the pad or the calendar)."""
    ask = setup.asker
    title = str(ask.ask("hub.event"))

    def day(text: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise Invalid(setup.say("answer.not_date", answer=text)) from None

    first: date = ask.ask("hub.first_day", check=day)  # type: ignore[assignment]
    zone = str(ask.ask("hub.timezone", default="Europe/Paris"))
    lines = ["event:", f"  id: {slug(title) or 'evenement'}", f"  title: {_yaml(title)}",
             f"  timezone: {zone}", f"  language: {setup.lang}", "days:", f"  - date: {first.isoformat()}",
             "venues: []", "sessions: []", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    ask.tell("programme.starter", path=path)


def _yaml(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _header(setup: Setup, programme: str) -> str:
    say = setup.say
    return "\n".join([
        f"# {say('toml.head')}",
        "[hub]",
        f"programme = {_yaml(programme):<32}# {say('toml.programme')}",
        f"database = {_yaml('sqlite:///state/hub.db'):<33}# {say('toml.database')}",
        f"language = {_yaml(setup.lang):<33}# {say('toml.language')}",
        "",
    ])


def _tools(setup: Setup) -> list[Section]:
    ask = setup.asker
    options = [(key, setup.say(f"tool.{key}")) for key in TOOLS]
    chosen = ask.choose("hub.tools", options, many=True)
    sections = []
    for key in TOOLS:
        if key in chosen:
            ask.tell("tool.start", tool=setup.say(f"tool.{key}"))
            module = importlib.import_module(TOOLS[key])
            sections.append(module.configure(setup))
    return sections


def _write(config: Path, existing: str, header: str, sections: list[Section], folder: Path) -> None:
    """The sections appended to the configuration (or after a new ``[hub]`` table); the secret
    files first, so a configuration never names a secret file that is not there."""
    for section in sections:
        section.write_secrets(folder)
    ignore = folder / "secrets" / ".gitignore"
    if (folder / "secrets").is_dir() and not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    body = "\n".join(section.toml() for section in sections)
    text = (existing.rstrip("\n") + "\n\n" + body) if existing else (header + "\n" + body)
    temporary = config.with_suffix(".toml.new")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(config)


def _check(config: Path, lang: str, asker: Asker) -> int:
    """``hub check`` on what was written, printed as the command prints it."""
    from hub.checks import run_checks
    from hub.runtime import load_settings

    asker.tell("checking")
    try:
        settings = load_settings(config)
    except HubError as exc:
        asker.out(str(exc))
        return 2
    return asyncio.run(run_checks(settings, lang, asker.out))


def init_command(directory: str | None, answers: str | None) -> int:
    """``hub init``: said in the start-up language until the person picks one."""
    from hub.console import EXIT_BAD_INPUT, fail, language

    lang = language()
    try:
        return run(Path(directory or "."), Path(answers) if answers else None, lang)
    except HubError as exc:
        return fail(exc, getattr(exc, "lang", None) or lang, False)
    except click.Abort:
        click.echo(MESSAGES.say("aborted", lang), err=True)
        return EXIT_BAD_INPUT
