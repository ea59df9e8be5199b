"""The configuration's problems in French and English, pydantic's own refusals included.

Field names, file names and values stay as written (they are the user's words); the rest is
said in the hub's language (:func:`config.words.config_language`). pydantic's common error types
are told from their ``type`` and ``ctx``; a rare one keeps pydantic's English text.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Mapping
from typing import Any

from config.words import Catalogue, Refusal

MESSAGES = Catalogue({
    # Where a problem is: French puts a space before the colon.
    "where.field": {"fr": "champ « {field} »", "en": "field '{field}'"},
    "where.variable": {"fr": "variable d'environnement {variable}", "en": "environment variable {variable}"},
    "said": {"fr": "{where} : {message}", "en": "{where}: {message}"},
    "quoted": {"fr": "« {name} »", "en": "'{name}'"},
    "or": {"fr": "ou", "en": "or"},
    "none": {"fr": "aucune", "en": "none"},
    "meant": {"fr": "{message} : vouliez-vous dire {meant} ?", "en": "{message}: did you mean {meant}?"},
    # The file.
    "file.missing": {"fr": "fichier de configuration introuvable", "en": "configuration file not found"},
    "file.toml": {"fr": "TOML invalide : {reason}", "en": "not valid TOML: {reason}"},
    "file.toml_at": {
        "fr": "TOML invalide (colonne {column}) : {reason}",
        "en": "not valid TOML (column {column}): {reason}",
    },
    # Sections and settings.
    "section.unknown": {"fr": "section inconnue « {name} »", "en": "unknown section '{name}'"},
    "setting.unknown": {"fr": "paramètre inconnu « {name} »", "en": "unknown setting '{name}'"},
    "connectors.not_table": {
        "fr": "doit être une table de sections de connecteurs ([connectors.<nom>])",
        "en": "must be a table of connector sections ([connectors.<name>])",
    },
    "section.not_table": {"fr": "doit être une table", "en": "must be a table"},
    "section.not_in_file": {
        "fr": "pas de section [connectors.{name}] dans {file}",
        "en": "no section [connectors.{name}] in {file}",
    },
    "type.missing": {"fr": "« type » manquant", "en": "missing 'type'"},
    "admin_chats.unknown": {
        "fr": "« {entry} » ne désigne aucune section de connecteur (connues : {known})",
        "en": "'{entry}' names no connector section (known: {known})",
    },
    "secret.unreadable": {
        "fr": "impossible de lire le fichier secret de « {name} » : {path} ({reason})",
        "en": "cannot read the secret file for '{name}': {path} ({reason})",
    },
    "secret.short": {
        "fr": "le fichier secret de « {name} » ({path}) contient moins de {length} caractères : un secret si court "
        "ne pourrait pas être masqué dans les journaux ; utilisez le vrai mot de passe ou jeton",
        "en": "the secret file for '{name}' ({path}) holds fewer than {length} characters: so short a secret could "
        "not be masked in logs; use the real password or token",
    },
    "secret.too_short": {
        "fr": "moins de {length} caractères : un secret si court ne pourrait pas être masqué dans les journaux ; "
        "utilisez le vrai mot de passe ou jeton",
        "en": "fewer than {length} characters: so short a secret could not be masked in logs; use the real "
        "password or token",
    },
    "os.ENOENT": {"fr": "fichier introuvable", "en": "no such file"},
    "os.EACCES": {"fr": "permission refusée", "en": "permission denied"},
    "os.EISDIR": {"fr": "c'est un dossier", "en": "it is a folder"},
    # pydantic's refusals, by error type.
    "pydantic.missing": {"fr": "paramètre obligatoire absent", "en": "required setting missing"},
    "pydantic.literal_error": {"fr": "doit valoir {expected}", "en": "must be {expected}"},
    "pydantic.int": {"fr": "doit être un nombre entier", "en": "must be a whole number"},
    "pydantic.float": {"fr": "doit être un nombre", "en": "must be a number"},
    "pydantic.bool": {"fr": "doit valoir true ou false", "en": "must be true or false"},
    "pydantic.string_type": {"fr": "doit être un texte", "en": "must be a text"},
    "pydantic.list_type": {
        "fr": "doit être une liste entre crochets, par exemple [\"a\", \"b\"]",
        "en": "must be a list in brackets, for example [\"a\", \"b\"]",
    },
    "pydantic.table": {"fr": "doit être une table", "en": "must be a table"},
    "pydantic.greater_than_equal": {"fr": "doit être supérieur ou égal à {ge}", "en": "must be at least {ge}"},
    "pydantic.greater_than": {"fr": "doit être strictement supérieur à {gt}", "en": "must be more than {gt}"},
    "pydantic.less_than_equal": {"fr": "doit être inférieur ou égal à {le}", "en": "must be at most {le}"},
    "pydantic.less_than": {"fr": "doit être strictement inférieur à {lt}", "en": "must be less than {lt}"},
    "pydantic.too_short": {
        "fr": "doit compter au moins {min_length} élément(s)", "en": "must have at least {min_length} item(s)",
    },
    "pydantic.too_long": {
        "fr": "doit compter au plus {max_length} élément(s)", "en": "must have at most {max_length} item(s)",
    },
    "pydantic.string_too_short": {
        "fr": "doit compter au moins {min_length} caractère(s)", "en": "must have at least {min_length} character(s)",
    },
    "pydantic.string_too_long": {
        "fr": "doit compter au plus {max_length} caractère(s)", "en": "must have at most {max_length} character(s)",
    },
})

say = MESSAGES.say

#: pydantic error types told by the same words.
_SAME = {
    "int_parsing": "int", "int_type": "int", "int_from_float": "int", "int_parsing_size": "int",
    "float_parsing": "float", "float_type": "float",
    "bool_parsing": "bool", "bool_type": "bool",
    "dict_type": "table", "model_type": "table", "model_attributes_type": "table",
    "enum": "literal_error",
}
#: A value in pydantic's list of expected values: a quoted string or a bare word (a number).
_EXPECTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"|([^\s,']+)")
#: Where tomllib says the error is.
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def quote(name: object, lang: str) -> str:
    """A name of the user's, quoted the way ``lang`` quotes."""
    return say("quoted", lang, name=name)


def expected_values(expected: str, lang: str) -> str:
    """pydantic's ``'fr' or 'en'`` said in ``lang``: ``« fr » ou « en »``."""
    values = []
    for match in _EXPECTED.finditer(expected):
        string = match.group(1) if match.group(1) is not None else match.group(2)
        if string is not None:
            values.append(quote(string, lang))
        elif match.group(3) != "or":
            values.append(match.group(3))
    if not values:
        return expected
    if len(values) == 1:
        return values[0]
    return f"{', '.join(values[:-1])} {say('or', lang)} {values[-1]}"


def pydantic_message(error: Mapping[str, Any], lang: str) -> str:
    """One of pydantic's errors (an item of ``ValidationError.errors()``) said in ``lang``."""
    kind = str(error.get("type", ""))
    kind = _SAME.get(kind, kind)
    ctx = dict(error.get("ctx") or {})
    key = f"pydantic.{kind}"
    refusal = ctx.get("error")
    if isinstance(refusal, Refusal):
        return refusal.say(lang)
    if isinstance(ctx.get("fr"), str) and isinstance(ctx.get("en"), str):
        return str(ctx[lang] if lang in ("fr", "en") else ctx["en"])
    if key not in MESSAGES:
        message = str(error.get("msg", kind))
        return message.removeprefix("Value error, ")
    if kind == "literal_error":
        ctx["expected"] = expected_values(str(ctx.get("expected", "")), lang)
    try:
        return say(key, lang, **ctx)
    except (KeyError, IndexError):
        return str(error.get("msg", kind))


def toml_problem(reason: str, lang: str) -> tuple[str, int | None]:
    """tomllib's refusal in ``lang`` (its own words kept), and the line it names (for the
    problem's place: ``hub.toml:3``)."""
    at = _TOML_AT.search(reason)
    if at is None:
        return say("file.toml", lang, reason=reason), None
    line, column = int(at.group(1)), int(at.group(2))
    return say("file.toml_at", lang, column=column, reason=reason[: at.start()]), line


def os_reason(exc: OSError, lang: str) -> str:
    """Why a file could not be read, in ``lang`` for the usual reasons."""
    name = errno.errorcode.get(exc.errno or 0, "")
    key = f"os.{name}"
    return say(key, lang) if key in MESSAGES else str(exc.strerror or exc)
