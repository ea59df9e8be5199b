"""The pad connector's words, in French and English: pad labels, problems, checks, templates.

Labels are *read* in both languages whatever the pad's language, so a person may write "Venue:"
in a French pad; they are *written* in the configured language.
"""

from __future__ import annotations

from sync.i18n import Catalogue

MESSAGES = Catalogue({
    # what the pad shows
    "pad.title": {"fr": "{event} : programme détaillé", "en": "{event}: detailed programme"},
    "pad.help": {
        "fr": "Ce pad suit le programme : vous pouvez y changer l'heure, le titre, le lieu "
        "(par son nom), l'animation ou la description d'une session. Pour annuler une session, "
        "écrivez ANNULÉ au début de sa ligne. Gardez les repères [#...] en fin de ligne : ils "
        "relient chaque session au programme.",
        "en": "This pad follows the programme: you may change a session's time, title, venue "
        "(by its name), hosts or description here. To cancel a session, write CANCELLED at the "
        "start of its line. Keep the [#...] markers at the end of lines: they tie each session "
        "to the programme.",
    },
    "pad.help_new": {
        "fr": "Pour ajouter une session, écrivez une ligne comme « 14:00-15:30 Titre » sous son jour.",
        "en": "To add a session, write a line such as “14:00-15:30 Title” under its day.",
    },
    "pad.venues": {"fr": "Lieux : {names}", "en": "Venues: {names}"},
    "label.venue": {"fr": "Lieu", "en": "Venue"},
    "label.hosts": {"fr": "Animation", "en": "Hosts"},
    "venue.none": {"fr": "à préciser", "en": "to be announced"},
    "status.cancelled": {"fr": "ANNULÉ", "en": "CANCELLED"},
    "status.tentative": {"fr": "À CONFIRMER", "en": "TO BE CONFIRMED"},
    "untitled": {"fr": "(sans titre)", "en": "(untitled)"},
    # problems found while reading the pad (prefixed with "line N: ")
    "where": {
        "fr": "pad « {pad} », ligne {line} : {what}",
        "en": "pad “{pad}”, line {line}: {what}",
    },
    "problem.time": {
        "fr": "heure illisible dans « {text} » (attendu : 14:00-15:30 Titre [#repère])",
        "en": "unreadable time in “{text}” (expected: 14:00-15:30 Title [#marker])",
    },
    "problem.order": {
        "fr": "la session finit ({end}) avant de commencer ({start})",
        "en": "the session ends ({end}) before it starts ({start})",
    },
    "problem.title": {"fr": "titre manquant", "en": "missing title"},
    "problem.venue": {
        "fr": "lieu inconnu « {name} » (lieux connus : {known})",
        "en": "unknown venue “{name}” (known venues: {known})",
    },
    "problem.day": {
        "fr": "date illisible dans « {text} » (attendu : == samedi 13 novembre 2021 ==)",
        "en": "unreadable date in “{text}” (expected: == Saturday 13 November 2021 ==)",
    },
    "problem.no_day": {
        "fr": "session hors de tout jour : placez-la sous un titre de jour",
        "en": "session outside any day: put it under a day heading",
    },
    "problem.stray": {
        "fr": "ligne qui n'appartient à aucune session : « {text} » "
        "(une session commence par son heure, ex. 14:00-15:30 Titre)",
        "en": "line that belongs to no session: “{text}” (a session starts with its time, e.g. 14:00-15:30 Title)",
    },
    "problem.duplicate": {
        "fr": "le repère [#{key}] apparaît déjà ligne {first} ; cette copie est ignorée",
        "en": "the marker [#{key}] already appears on line {first}; this copy is ignored",
    },
    "problem.unknown_key": {
        "fr": "repère inconnu [#{key}] : ce pad ne crée pas de sessions",
        "en": "unknown marker [#{key}]: this pad does not create sessions",
    },
    "problem.no_create": {
        "fr": "nouvelle session ignorée : ce pad ne crée pas de sessions (create_sessions = false)",
        "en": "new session ignored: this pad does not create sessions (create_sessions = false)",
    },
    "problem.kept": {
        "fr": "{fields} inchangé(s) pour [#{key}]",
        "en": "{fields} left unchanged for [#{key}]",
    },
    # check()
    "check.auth": {
        "fr": "identifiants acceptés ({method})",
        "en": "credentials accepted ({method})",
    },
    "error.too_long": {
        "fr": "le pad « {pad} » compte {length} caractères, plus que max_pad_chars ({limit}) : il n'est pas lu ; "
        "raccourcissez-le (ou revenez à une révision antérieure dans l'historique du pad) ou relevez max_pad_chars",
        "en": "pad '{pad}' holds {length} characters, more than max_pad_chars ({limit}): it is not read; "
        "shorten it (or restore an earlier revision from the pad's history) or raise max_pad_chars",
    },
    "check.pad": {
        "fr": "pad « {pad} » lisible, révision {rev}",
        "en": "pad “{pad}” readable, revision {rev}",
    },
    "check.no_pad": {
        "fr": "pad « {pad} » absent : il sera créé à la première synchronisation",
        "en": "pad “{pad}” missing: it will be created at the first sync",
    },
    "check.version": {"fr": "API Etherpad {version}", "en": "Etherpad API {version}"},
})


say = MESSAGES.say

def variants(key: str) -> tuple[str, ...]:
    """Every language's spelling of ``key`` (what the parser accepts)."""
    return tuple(MESSAGES[key].values())
