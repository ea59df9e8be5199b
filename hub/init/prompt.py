"""How ``hub init`` asks: from an answers file, from a person at a terminal, or both.

Every question has a key (``caldav.url``), a prompt and a help text in the catalogue
(:mod:`hub.init.messages`). :class:`Asker` looks the key up in the answers file first
(``[caldav] url = ...``); what the file does not say is asked at the terminal, with its help
text shown above the prompt, or refused when nobody is there to answer. A wrong answer (an
unreachable address, a refused token) is explained and asked again at the terminal; from a file
it stops the wizard with the explanation, exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from hub.init.messages import MESSAGES
from sync.errors import ConfigError, Problem

T = TypeVar("T")


class Invalid(Exception):
    """An answer refused, with the reason a person reads (already in their language)."""


class NoAnswer(ConfigError):
    """The answers file lacks an answer and nobody is at a terminal to give it."""


@dataclass
class Asker:
    """Answers from a file (``answers``), else from the terminal (``interactive``)."""

    lang: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    interactive: bool = False
    source: str = "answers.toml"
    #: Questions a person answered at the terminal, and the characters they typed (Enter included).
    prompts: int = 0
    typed: int = 0
    out: Callable[[str], None] = field(default=lambda text: click.echo(text))
    #: Keys whose answer in the file was refused: asked at the terminal from then on.
    spent: set[str] = field(default_factory=set)
    #: What was answered to each question, offered as the default when it is asked again.
    last: dict[str, str] = field(default_factory=dict)

    def say(self, key: str, /, **values: Any) -> str:
        return MESSAGES.say(key, self.lang, **values)

    def tell(self, key: str, /, **values: Any) -> None:
        self.out(self.say(key, **values))

    def given(self, key: str) -> Any:
        """The answers file's value for ``key`` (``"tool.name"``), or None."""
        if key in self.spent:
            return None
        section, _, name = key.partition(".")
        table = self.answers.get(section)
        return table.get(name) if isinstance(table, Mapping) else None

    def _read(self, key: str, default: str | None, secret: bool, **values: Any) -> str:
        if not self.interactive:
            if default is not None:
                return default
            raise NoAnswer(Problem(self.say("answers.missing", file=self.source, key=key,
                                            help=self.say(f"{key}.help", **values)), lang=self.lang))
        if not secret and key in self.last:
            default = self.last[key]
        help_key = f"{key}.help"
        self.out("")
        self.out(click.style(self.say(help_key, **values), dim=True))
        text = click.prompt(self.say(key, **values), default=default, hide_input=secret,
                            show_default=not secret and bool(default), err=False)
        self.prompts += 1
        answer = str(text)
        if not secret:
            self.last[key] = answer.strip()
        self.typed += (0 if default is not None and answer == default and not secret else len(answer)) + 1
        return answer.strip()

    def ask(self, key: str, *, default: str | None = None, secret: bool = False,
            check: Callable[[str], T] | None = None, **values: Any) -> T | str:
        """One answer for ``key``, checked by ``check`` (which raises :class:`Invalid` to have it
        asked again) and returned as ``check`` turns it."""
        value = self.given(key)
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        while True:
            text = self._read(key, default, secret, **values) if value is None else str(value).strip()
            try:
                if not text:
                    raise Invalid(self.say("answer.empty"))
                return check(text) if check is not None else text
            except Invalid as exc:
                self.refuse(key, str(exc))
                self.forget(key)
                value = None

    def refuse(self, key: str, reason: str) -> None:
        """Say why an answer is refused; at the terminal it is asked again, from a file it stops."""
        if not self.interactive:
            raise ConfigError(Problem(self.say("answers.refused", file=self.source, key=key, reason=reason),
                                      lang=self.lang))
        self.out(click.style(self.say("answer.refused", reason=reason), fg="yellow"))

    def forget(self, *keys: str) -> None:
        """Ask these again at the terminal: the file's answers to them were refused."""
        self.spent.update(keys)

    def confirm(self, key: str, *, default: bool, **values: Any) -> bool:
        """Yes or no (``oui``/``non``, ``yes``/``no``, ``o``/``y``/``n``, true/false in a file)."""
        given = self.given(key)
        if isinstance(given, bool):
            return given

        def yes_no(text: str) -> bool:
            word = text.strip().lower()
            if word in ("o", "oui", "y", "yes", "true", "1"):
                return True
            if word in ("n", "non", "no", "false", "0"):
                return False
            raise Invalid(self.say("answer.yes_no"))

        shown = self.say("yes") if default else self.say("no")
        return bool(self.ask(key, default=shown, check=yes_no, **values))

    def choose(self, key: str, options: Sequence[tuple[str, str]], *, default: str | None = None,
               many: bool = False, **values: Any) -> list[str]:
        """One (or, with ``many``, several) of ``options`` (value, label): by number, by value or
        by label at the terminal; by value or label in a file (a list when ``many``)."""
        if self.interactive and self.given(key) is None:
            self.out("")
            for number, (_value, label) in enumerate(options, 1):
                self.out(f"  {number}. {label}")

        def pick(text: str) -> list[str]:
            picked: list[str] = []
            for word in _words(text) if many else [text.strip()]:
                match = _match(word, options)
                if match is None:
                    raise Invalid(self.say("answer.not_an_option", answer=word,
                                           options=", ".join(v for v, _ in options)))
                if match not in picked:
                    picked.append(match)
            if not picked:
                raise Invalid(self.say("answer.empty"))
            return picked

        chosen: list[str] = self.ask(key, default=default, check=pick, **values)  # type: ignore[assignment]
        return chosen


def _words(text: str) -> list[str]:
    """``1 3``, ``1,3`` or ``Assemblée des communs, 3``: pieces between commas, and a piece that
    is not one name split at its spaces (numbers typed with spaces)."""
    words: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        if piece:
            words.extend(piece.split() if all(w.isdigit() for w in piece.split()) else [piece])
    return words


def _match(word: str, options: Sequence[tuple[str, str]]) -> str | None:
    if word.isdigit() and 1 <= int(word) <= len(options):
        return options[int(word) - 1][0]
    lowered = word.lower()
    for value, label in options:
        if lowered in (value.lower(), label.lower(), label.split(" (")[0].lower()):
            return value
    return None


def read_answers(path: Path, lang: str) -> dict[str, Any]:
    """The answers file (TOML), or a :class:`ConfigError` saying why it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(Problem(MESSAGES.say("answers.unreadable", lang, file=path, reason=exc.strerror),
                                  lang=lang)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(Problem(MESSAGES.say("answers.unreadable", lang, file=path, reason=str(exc)),
                                  lang=lang)) from None


def at_terminal() -> bool:
    """A person can answer: standard input is a terminal."""
    return sys.stdin.isatty()
