"""click's own refusals (an unknown option, a missing argument, a bad value) in the reader's language.

click says them in English through ``gettext`` with no French catalogue. Rather than patch the
library, ``hub`` runs click without its standalone handler and shows each refusal here: the
refusals that carry their parts (the option, the hint, the possibilities) are said from those
parts; the texts click builds itself are recognised by their English template (the table below,
click 8's own wording) and said again in French. A text no template matches keeps click's words.
"""

from __future__ import annotations

import re
from typing import IO, Any

import click

from sync.i18n import Catalogue

WORDS = Catalogue({
    "error": {"fr": "Erreur : {message}", "en": "Error: {message}"},
    "try": {"fr": "Essayez « {command} {option} » pour l'aide.", "en": "Try '{command} {option}' for help."},
    "aborted": {"fr": "Interrompu.", "en": "Aborted!"},
    "no_option": {"fr": "option inconnue {name}.", "en": "No such option {name}."},
    "no_command": {"fr": "commande inconnue {name}.", "en": "No such command {name}."},
    "meant_one": {"fr": "Vouliez-vous dire {names} ?", "en": "Did you mean {names}?"},
    "meant_many": {"fr": "(Vouliez-vous dire l'une de : {names} ?)", "en": "(Did you mean one of: {names}?)"},
    "missing.argument": {"fr": "argument manquant {hint}.", "en": "Missing argument {hint}."},
    "missing.option": {"fr": "option manquante {hint}.", "en": "Missing option {hint}."},
    "missing.parameter": {"fr": "paramètre manquant {hint}.", "en": "Missing parameter {hint}."},
    "invalid_for": {"fr": "valeur invalide pour {hint} : {message}", "en": "Invalid value for {hint}: {message}"},
    "invalid": {"fr": "valeur invalide : {message}", "en": "Invalid value: {message}"},
    "choose_from": {"fr": "Choisir parmi :", "en": "Choose from:"},
})

#: click's English templates and their French; ``{x!r}`` parts are shown quoted the French way.
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Missing command.", "commande manquante."),
    ("Got unexpected extra argument ({args})", "argument en trop ({args})"),
    ("Got unexpected extra arguments ({args})", "arguments en trop ({args})"),
    ("Option {name!r} requires an argument.", "l'option {name} demande une valeur."),
    ("Option {name!r} requires {nargs} arguments.", "l'option {name} demande {nargs} valeurs."),
    ("Option {name!r} does not take a value.", "l'option {name} ne prend pas de valeur."),
    ("Argument {name!r} takes {nargs} values.", "l'argument {name} prend {nargs} valeurs."),
    ("{value!r} is not a valid integer.", "{value} n'est pas un nombre entier."),
    ("{value!r} is not a valid integer range.", "{value} n'est pas un nombre entier."),
    ("{value!r} is not a valid float.", "{value} n'est pas un nombre."),
    ("{value!r} is not a valid float range.", "{value} n'est pas un nombre."),
    ("{value!r} is not a valid boolean.", "{value} ne vaut ni vrai ni faux."),
    ("{value} is not in the range {range}.", "{value} n'est pas dans l'intervalle {range}."),
    ("{value!r} does not match the format {format}.", "{value} ne suit pas le format {format}."),
    ("{value!r} does not match the formats {formats}.", "{value} ne suit aucun des formats {formats}."),
    ("File {filename!r} does not exist.", "le fichier {filename} n'existe pas."),
    ("Directory {filename!r} does not exist.", "le dossier {filename} n'existe pas."),
    ("Path {filename!r} does not exist.", "le chemin {filename} n'existe pas."),
    ("File {filename!r} is a directory.", "{filename} est un dossier, pas un fichier."),
    ("Directory {filename!r} is a file.", "{filename} est un fichier, pas un dossier."),
    ("File {filename!r} is not readable.", "le fichier {filename} ne peut pas être lu."),
    ("File {filename!r} is not writable.", "le fichier {filename} ne peut pas être écrit."),
    ("Directory {filename!r} is not writable.", "le dossier {filename} ne peut pas être écrit."),
    ("Could not open file {filename!r}: {message}", "impossible d'ouvrir le fichier {filename} : {message}"),
    # The widest last: "{value!r} is not {choice}." would take "... is not a valid integer.".
    ("{value!r} is not one of {choices}.", "{value} n'est pas parmi {choices}."),
    ("{value!r} is not {choice}.", "{value} n'est pas {choice}."),
)

_FIELD = re.compile(r"\{(\w+)(!r)?\}")
#: A Python repr inside a list click built (the choices: 'yaml', 'ics', 'json').
_REPR = re.compile(r"'(?:[^'\\]|\\.)*'")
_ONE_REPR = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _pattern(template: str) -> re.Pattern[str]:
    """A template as a regex: ``{x!r}`` matches a Python repr, ``{x}`` any text."""
    parts, last = [], 0
    for match in _FIELD.finditer(template):
        parts.append(re.escape(template[last:match.start()]))
        quoted = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
        parts.append(f"(?P<{match.group(1)}>{quoted if match.group(2) else '.+?'})")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


_TEMPLATES = [(_pattern(english), french) for english, french in TEMPLATES]


def quoted(text: str, lang: str) -> str:
    """A name as the French quote it (« --config »); English keeps click's quotes."""
    if lang != "fr":
        return text
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return f"« {text} »"


def _said_text(text: str, lang: str) -> str:
    """One of click's built texts in ``lang``."""
    if lang == "en":
        return text
    for pattern, french in _TEMPLATES:
        match = pattern.match(text)
        if match:
            parts = {k: quoted(v, lang) if _ONE_REPR.fullmatch(v) else _REPR.sub(lambda m: quoted(m.group(0), lang), v)
                     for k, v in match.groupdict().items()}
            return french.format(**parts)
    return text


def _hint(param: click.Parameter | None, ctx: click.Context | None, given: Any, lang: str) -> str:
    if given is not None:
        names = [given] if isinstance(given, str) else list(given)
    elif param is not None:
        names = [param.get_error_hint(ctx).strip("'")] if ctx is not None else [param.name or ""]
        names = [n.strip("'") for n in names[0].split(" / ")]
    else:
        return ""
    return " / ".join(quoted(f"'{n.strip(chr(39))}'", lang) for n in names)


def _meant(possibilities: list[str] | None, lang: str) -> str:
    if not possibilities:
        return ""
    names = ", ".join(quoted(repr(p), lang) for p in sorted(possibilities))
    return " " + WORDS.say("meant_one" if len(possibilities) == 1 else "meant_many", lang, names=names)


def message(exc: click.ClickException, lang: str) -> str:
    """What went wrong, in ``lang`` (without the "Error:" prefix)."""
    if lang == "en":
        return exc.format_message()
    if isinstance(exc, click.NoSuchOption):
        return WORDS.say("no_option", lang, name=quoted(repr(exc.option_name), lang)) + _meant(exc.possibilities, lang)
    no_command = getattr(click.exceptions, "NoSuchCommand", None)
    if no_command is not None and isinstance(exc, no_command):
        name = quoted(repr(exc.command_name), lang)
        return WORDS.say("no_command", lang, name=name) + _meant(exc.possibilities, lang)
    if isinstance(exc, click.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "parameter")
        key = f"missing.{kind}" if f"missing.{kind}" in WORDS else "missing.parameter"
        said = WORDS.say(key, lang, hint=_hint(exc.param, exc.ctx, exc.param_hint, lang))
        extra = exc.param.type.get_missing_message(param=exc.param, ctx=exc.ctx) if exc.param is not None else ""
        extra = (extra or "").replace("Choose from:", WORDS.say("choose_from", lang))
        detail = " ".join(t for t in (_said_text(exc.message, lang) if exc.message else "", extra) if t)
        return f"{said} {detail}" if detail else said
    if isinstance(exc, click.BadParameter):
        inner = _said_text(exc.message, lang)
        if exc.param_hint is None and exc.param is None:
            return WORDS.say("invalid", lang, message=inner)
        return WORDS.say("invalid_for", lang, hint=_hint(exc.param, exc.ctx, exc.param_hint, lang), message=inner)
    return _said_text(exc.format_message(), lang)


def show(exc: click.ClickException, lang: str, file: IO[str] | None = None) -> None:
    """click's own way of showing a refusal (usage, a hint, the error), in ``lang``."""
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        ctx = exc.ctx
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = WORDS.say("try", lang, command=ctx.command_path, option=ctx.help_option_names[0]) + "\n"
        click.echo(f"{ctx.get_usage()}\n{hint}", file=file, err=file is None, color=ctx.color)
    click.echo(WORDS.say("error", lang, message=message(exc, lang)), file=file, err=file is None)


def aborted(lang: str) -> str:
    """What Ctrl-C at a prompt says."""
    return WORDS.say("aborted", lang)
