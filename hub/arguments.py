"""The command lines the quick start answers before click parses them (:mod:`hub.entry`).

Only the everyday forms: anything else (another option, ``--help``, a typo) is None here, and
click parses it and says what is wrong, as always.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def plain_arguments(args: Sequence[str], command: str) -> tuple[str | None, bool] | None:
    """``(config, as_json)`` when ``args`` are ``command`` with at most ``--config FILE`` (or
    ``--config=FILE``) and ``--json``, each once; None for anything else (click parses it)."""
    if not args or args[0] != command:
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


@dataclass(frozen=True)
class AskArguments:
    """A plain ``hub ask`` (:func:`ask_arguments`)."""

    question: str
    config: str | None = None
    as_json: bool = False
    at: str | None = None
    lang: str | None = None
    fmt: str = "text"
    after: tuple[str, ...] = ()


#: ``hub ask``'s options that take a value, with the values click accepts (None: any).
_ASK_VALUES: dict[str, tuple[str, ...] | None] = {
    "--config": None, "--at": None, "--lang": ("fr", "en"), "--format": ("text", "html", "markdown"), "--after": None,
}


def ask_arguments(args: Sequence[str]) -> AskArguments | None:
    """A ``hub ask`` with one question and only ``--config``, ``--json``, ``--at``, ``--lang``,
    ``--format`` and ``--after`` (repeated), each value valid for click; None for anything else
    (``--programme``, ``--help``, a typo...: click parses it and says what is wrong)."""
    if not args or args[0] != "ask":
        return None
    questions: list[str] = []
    values: dict[str, str] = {}
    after: list[str] = []
    as_json = False
    rest = list(args[1:])
    while rest:
        word = rest.pop(0)
        name, equals, given = word.partition("=")
        if word == "--json" and not as_json:
            as_json = True
        elif name in _ASK_VALUES and (equals or (rest and not rest[0].startswith("-"))):
            value = given if equals else rest.pop(0)
            allowed = _ASK_VALUES[name]
            if not value or (allowed is not None and value not in allowed):
                return None
            if name == "--after":
                after.append(value)
            elif name in values:
                return None
            else:
                values[name] = value
        elif word and not word.startswith("-"):
            questions.append(word)
        else:
            return None
    if len(questions) != 1:
        return None
    return AskArguments(questions[0], values.get("--config"), as_json, values.get("--at"), values.get("--lang"),
                        values.get("--format", "text"), tuple(after))
