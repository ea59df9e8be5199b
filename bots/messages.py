"""Everything the bots say, in French and English.

Templates are our own text and are never escaped; the values put into them (titles, venue
names, what the user typed) always are, by :mod:`bots.answer` at render time. Keep markup
characters out of the templates so they read the same in text, HTML and Markdown.
"""

from __future__ import annotations

from sync.i18n import Catalogue

BOT_MESSAGES = Catalogue({
    # headings
    "now": {"fr": "En ce moment", "en": "Happening now"},
    "now.none": {"fr": "Rien en cours en ce moment", "en": "Nothing is on right now"},
    "now.none.next": {
        "fr": "Rien en cours en ce moment ; ensuite :",
        "en": "Nothing is on right now; next:",
    },
    "next": {"fr": "Ensuite, {when}", "en": "Next, {when}"},
    "next.none": {"fr": "Plus rien au programme après ceci", "en": "Nothing more on the programme"},
    "today": {"fr": "Aujourd'hui, {day}", "en": "Today, {day}"},
    "today.rest": {"fr": "Encore aujourd'hui, {day}", "en": "Still to come today, {day}"},
    "day": {"fr": "{day}", "en": "{day}"},
    "day.part": {"fr": "{day}, {part}", "en": "{day}, {part}"},
    "day.none": {"fr": "Rien au programme {day}", "en": "Nothing on the programme on {day}"},
    "day.part.none": {
        "fr": "Rien au programme {day}, {part}",
        "en": "Nothing on the programme on {day}, {part}",
    },
    "at": {"fr": "{when}", "en": "{when}"},
    "at.none": {"fr": "Rien en cours {when}", "en": "Nothing on at {when}"},
    "at.none.next": {
        "fr": "Rien en cours {when} ; ensuite :",
        "en": "Nothing on at {when}; after that:",
    },
    "from": {"fr": "À partir de {when}", "en": "From {when}"},
    "chat.only": {
        "fr": "Cette commande s'utilise dans une discussion avec le bot.",
        "en": "This command works in a chat with the bot.",
    },
    "where": {"fr": "Où", "en": "Where"},
    "when": {"fr": "Quand", "en": "When"},
    "found": {"fr": "Au programme", "en": "On the programme"},
    "found.for": {"fr": "Au programme : {query}", "en": "On the programme: {query}"},
    "venue.sessions": {"fr": "À {venue}", "en": "At {venue}"},
    "venue.nothing": {
        "fr": "Rien de prévu à {venue} pour ce moment-là.",
        "en": "Nothing planned at {venue} then.",
    },
    "host.sessions": {"fr": "Avec {host}", "en": "With {host}"},
    "track.sessions": {"fr": "Parcours {track}", "en": "Track {track}"},
    "programme": {"fr": "{title} : le programme", "en": "{title}: the programme"},
    "programme.day": {
        "fr": "{day} ({theme}) : {count} rendez-vous, de {first} à {last}",
        "en": "{day} ({theme}): {count} sessions, from {first} to {last}",
    },
    "programme.day.plain": {
        "fr": "{day} : {count} rendez-vous, de {first} à {last}",
        "en": "{day}: {count} sessions, from {first} to {last}",
    },
    "programme.more": {
        "fr": "Demandez « aujourd'hui », « demain » ou un jour, ou /aide.",
        "en": "Ask “today”, “tomorrow” or a day, or /help.",
    },
    "programme.website": {"fr": "Tout le programme : {url}", "en": "The whole programme: {url}"},
    # notes
    "more": {
        "fr": "… et {count} de plus. Précisez un jour, une heure ou un lieu.",
        "en": "… and {count} more. Add a day, a time or a venue.",
    },
    "line.hosts": {"fr": "avec {hosts}", "en": "with {hosts}"},
    "cancelled": {"fr": "annulé", "en": "cancelled"},
    "tentative": {"fr": "à confirmer", "en": "to be confirmed"},
    "not.found": {
        "fr": "Je n'ai rien trouvé au programme pour « {query} ».",
        "en": "I found nothing on the programme for “{query}”.",
    },
    "did.you.mean": {"fr": "Vouliez-vous dire : {names} ?", "en": "Did you mean: {names}?"},
    "not.understood": {
        "fr": "Je n'ai pas compris la question.",
        "en": "I did not understand the question.",
    },
    "try": {
        "fr": "Essayez « c'est où {example} ? », « et ensuite ? », « demain matin », ou /aide.",
        "en": "Try “where is {example}?”, “what's next?”, “tomorrow morning”, or /help.",
    },
    "need.subject": {
        "fr": "De quel rendez-vous ou de quel lieu parlez-vous ? Par exemple : {example}",
        "en": "Which session or venue do you mean? For example: {example}",
    },
    "search.empty": {
        "fr": "Que cherchez-vous ? Par exemple : {example}",
        "en": "What are you looking for? For example: {example}",
    },
    "before.event": {"fr": "Le programme commence {day}.", "en": "The programme starts on {day}."},
    "after.event": {
        "fr": "Le programme s'est terminé {day}.",
        "en": "The programme ended on {day}.",
    },
    "next.on": {"fr": "Prochain rendez-vous : {when}.", "en": "Next session: {when}."},
    "address": {"fr": "Adresse", "en": "Address"},
    # parts of the day
    "part.morning": {"fr": "le matin", "en": "morning"},
    "part.noon": {"fr": "à midi", "en": "noon"},
    "part.afternoon": {"fr": "l'après-midi", "en": "afternoon"},
    "part.evening": {"fr": "le soir", "en": "evening"},
    # sections of a day's list
    "section.morning": {"fr": "Matin", "en": "Morning"},
    "section.afternoon": {"fr": "Après-midi", "en": "Afternoon"},
    "section.evening": {"fr": "Soir", "en": "Evening"},
    "day.rest": {
        "fr": "… et {count} de plus ; la suite : {commands}",
        "en": "… and {count} more; for the rest: {commands}",
    },
    # relations to a session
    "rel.after": {"fr": "Après « {title} » ({when})", "en": "After “{title}” ({when})"},
    "rel.before": {"fr": "Juste avant « {title} » ({when})", "en": "Just before “{title}” ({when})"},
    "rel.during": {
        "fr": "En même temps que « {title} » ({when})",
        "en": "At the same time as “{title}” ({when})",
    },
    "rel.venue": {"fr": "Ensuite à {venue}, après « {title} »", "en": "Next at {venue}, after “{title}”"},
    "rel.after.none": {
        "fr": "Plus rien au programme ce jour-là après « {title} » ({when}).",
        "en": "Nothing more on the programme that day after “{title}” ({when}).",
    },
    "rel.before.none": {
        "fr": "Rien au programme ce jour-là avant « {title} » ({when}).",
        "en": "Nothing on the programme that day before “{title}” ({when}).",
    },
    "rel.during.none": {
        "fr": "Rien d'autre en même temps que « {title} » ({when}).",
        "en": "Nothing else at the same time as “{title}” ({when}).",
    },
    "rel.venue.none": {
        "fr": "Plus rien à {venue} après « {title} ».",
        "en": "Nothing more at {venue} after “{title}”.",
    },
    "rel.meal": {"fr": "Après {meal}, {day}", "en": "After {meal}, {day}"},
    "rel.unknown": {
        "fr": "J'ai compris « {relation} », mais pas de quel rendez-vous : {query}",
        "en": "I understood “{relation}”, but not which session: {query}",
    },
    "rel.word.after": {"fr": "après", "en": "after"},
    "rel.word.before": {"fr": "avant", "en": "before"},
    "rel.word.during": {"fr": "en même temps que", "en": "at the same time as"},
    # status questions
    "status.cancelled": {"fr": "Annulé", "en": "Cancelled"},
    "status.cancelled.none": {
        "fr": "Aucun rendez-vous annulé : tout est maintenu.",
        "en": "Nothing is cancelled: everything is on as planned.",
    },
    "status.tentative": {"fr": "À confirmer", "en": "To be confirmed"},
    "status.tentative.none": {
        "fr": "Tous les rendez-vous sont confirmés.",
        "en": "Every session is confirmed.",
    },
    "status.scheduled.one": {
        "fr": "Maintenu et confirmé, comme prévu :",
        "en": "On and confirmed, as planned:",
    },
    "status.cancelled.one": {"fr": "Oui, c'est annulé :", "en": "Yes, it is cancelled:"},
    "status.tentative.one": {"fr": "Pas encore confirmé :", "en": "Not confirmed yet:"},
    "status.changed": {"fr": "Changé depuis {since}", "en": "Changed since {since}"},
    "status.moved": {"fr": "Déplacé depuis {since}", "en": "Moved since {since}"},
    "status.changed.none": {
        "fr": "Rien n'a changé au programme depuis {since}.",
        "en": "Nothing on the programme has changed since {since}.",
    },
    "status.moved.none": {
        "fr": "Rien n'a été déplacé depuis {since}.",
        "en": "Nothing has been moved since {since}.",
    },
    "status.no.log": {
        "fr": "Je n'ai pas l'historique des changements ici ; voici l'état actuel.",
        "en": "I do not have the change history here; this is how things stand.",
    },
    "change.start": {"fr": "avant : {old}", "en": "was: {old}"},
    "change.venue": {"fr": "avant : {old}", "en": "was: {old}"},
    "change.status": {"fr": "maintenant {new}", "en": "now {new}"},
    "change.new": {"fr": "nouveau", "en": "new"},
    "change.field": {"fr": "{fields} modifié(s)", "en": "{fields} changed"},
    "scheduled": {"fr": "maintenu", "en": "on as planned"},
    "change.line": {"fr": "« {title} » : {what}", "en": "“{title}”: {what}"},
    "field.title": {"fr": "titre", "en": "title"},
    "field.track": {"fr": "parcours", "en": "track"},
    "field.format": {"fr": "format", "en": "format"},
    "field.kind": {"fr": "type", "en": "kind"},
    "field.hosts": {"fr": "intervenants", "en": "hosts"},
    "field.description": {"fr": "description", "en": "description"},
    "field.capacity": {"fr": "jauge", "en": "capacity"},
    "field.links": {"fr": "liens", "en": "links"},
    # acting on an answer
    "map": {"fr": "Carte : {url}", "en": "Map: {url}"},
    "link.pad": {"fr": "Pad : {url}", "en": "Pad: {url}"},
    "link.visio": {"fr": "Visio : {url}", "en": "Video call: {url}"},
    "link.other": {"fr": "Lien : {url}", "en": "Link: {url}"},
    # what was understood
    "understood.day": {
        "fr": "J'ai compris : {day}. Je n'ai pas reconnu « {query} » au programme.",
        "en": "I understood: {day}. I did not recognise “{query}” on the programme.",
    },
    "closest": {"fr": "Les plus proches : {names}", "en": "The closest: {names}"},
    # the benchmark command (python -m bots.bench)
    "bench.index": {
        "fr": "Index de {sessions} rendez-vous construit en {ms} ms",
        "en": "Index of {sessions} sessions built in {ms} ms",
    },
    "bench.result": {
        "fr": "{count} questions : p50 {p50} ms, p99 {p99} ms, max {max} ms",
        "en": "{count} questions: p50 {p50} ms, p99 {p99} ms, max {max} ms",
    },
    "bench.ok": {"fr": "p99 sous la cible de {target} ms", "en": "p99 under the {target} ms target"},
    "bench.slow": {"fr": "p99 AU-DESSUS de la cible de {target} ms", "en": "p99 OVER the {target} ms target"},
    # following, reminders
    "reminder": {"fr": "Dans {minutes} minutes", "en": "In {minutes} minutes"},
    "followed.changed": {
        "fr": "Un rendez-vous que vous suivez change",
        "en": "A session you follow has changed",
    },
    "follow.done": {
        "fr": "C'est noté : je vous écrirai en privé {minutes} minutes avant, et s'il change.",
        "en": "Noted: I will write to you in private {minutes} minutes before, and if it changes.",
    },
    "follow.unavailable": {
        "fr": "Les rappels ne sont pas encore envoyés sur ce service : je ne peux pas suivre ce rendez-vous "
              "pour vous. Demandez-moi le programme quand vous voulez.",
        "en": "Reminders are not sent on this service yet: I cannot follow this session for you. "
              "Ask me for the programme whenever you like.",
    },
    "follow.private.first": {
        "fr": "Pour recevoir des rappels, écrivez-moi d'abord en privé, puis /suivre.",
        "en": "To get reminders, write to me in private first, then /follow.",
    },
    "follow.which": {
        "fr": "Lequel ? Précisez le titre :",
        "en": "Which one? Give the title:",
    },
    "following": {"fr": "Vous suivez", "en": "You follow"},
    "following.none": {"fr": "Vous ne suivez aucun rendez-vous.", "en": "You follow no session."},
    "unfollow.done": {"fr": "Vous ne suivez plus", "en": "You no longer follow"},
    "unfollow.all": {
        "fr": "Vous ne suivez plus aucun rendez-vous.",
        "en": "You no longer follow any session.",
    },
    "unfollow.unknown": {
        "fr": "Vous ne suivez rien qui corresponde à « {query} ».",
        "en": "You follow nothing matching “{query}”.",
    },
    # admin commands
    "admin.refused": {
        "fr": "Désolé, cette commande est réservée aux organisateurs.",
        "en": "Sorry, this command is for the organisers only.",
    },
    "admin.unavailable": {
        "fr": "Cette commande n'est pas disponible ici.",
        "en": "This command is not available here.",
    },
    "admin.synced": {
        "fr": "Synchronisation faite : {changes} changement(s), {failed} échec(s), {conflicts} conflit(s).",
        "en": "Sync done: {changes} change(s), {failed} failure(s), {conflicts} conflict(s).",
    },
    "admin.sync.queued": {
        "fr": "Synchronisation demandée : elle part dès qu'un travailleur est libre.",
        "en": "Sync asked for: it starts as soon as a worker is free.",
    },
    "admin.announce.empty": {
        "fr": "Écrivez le texte après la commande : /annonce Le déjeuner est servi.",
        "en": "Write the text after the command: /announce Lunch is served.",
    },
    "admin.announced": {
        "fr": "Annonce envoyée ({count} discussion(s)).",
        "en": "Announcement sent ({count} chat(s)).",
    },
    "signin.link": {
        "fr": "Votre lien vers la page des organisateurs, valable {minutes} minutes et une seule fois : {url}",
        "en": "Your link to the organisers' page, valid for {minutes} minutes and once only: {url}",
    },
    "signin.private": {
        "fr": "Écrivez-moi /connexion en message privé : le lien ne se donne pas dans un groupe.",
        "en": "Send me /login in a private message: the link is not given in a group.",
    },
    "status": {"fr": "État du hub", "en": "Hub status"},
    "status.last": {"fr": "Dernière synchronisation : {at}", "en": "Last sync: {at}"},
    "status.outbox": {
        "fr": "En attente d'envoi : {pending} ; incertains : {in_doubt}",
        "en": "Waiting to be sent: {pending}; in doubt: {in_doubt}",
    },
    "status.followers": {"fr": "Rendez-vous suivis : {count}", "en": "Sessions followed: {count}"},
    "status.held": {"fr": "En pause : {name}", "en": "Held: {name}"},
    "never": {"fr": "jamais", "en": "never"},
    "bad.at": {
        "fr": "« {value} » n'est pas une heure comme 2021-11-13T11:00",
        "en": "“{value}” is not a time like 2021-11-13T11:00",
    },
    # help
    "help": {
        "fr": "Je réponds aux questions sur le programme",
        "en": "I answer questions about the programme",
    },
    "help.programme": {
        "fr": "/programme : les jours et leurs thèmes",
        "en": "/programme: the days and their themes",
    },
    "help.now": {
        "fr": "/maintenant : ce qui se passe en ce moment",
        "en": "/now: what is on right now",
    },
    "help.next": {"fr": "/ensuite : ce qui vient après", "en": "/next: what comes next"},
    "help.today": {
        "fr": "/aujourdhui, /demain : le programme du jour",
        "en": "/today, /tomorrow: the day's programme",
    },
    "help.where": {
        "fr": "/ou suivi d'un rendez-vous ou d'un lieu : où c'est, avec l'adresse",
        "en": "/where followed by a session or a venue: where it is, with the address",
    },
    "help.when": {
        "fr": "/quand suivi d'un rendez-vous : quand c'est",
        "en": "/when followed by a session: when it is",
    },
    "help.search": {
        "fr": "/cherche suivi de quelques mots : chercher dans le programme",
        "en": "/search followed by a few words: search the programme",
    },
    "help.follow": {
        "fr": "/suivre suivi d'un rendez-vous : un rappel 15 minutes avant et un message "
        "s'il change ; /neplussuivre pour arrêter",
        "en": "/follow followed by a session: a reminder 15 minutes before and a message "
        "if it changes; /unfollow to stop",
    },
    "help.relations": {
        "fr": "« après {example} », « en même temps que … », « et après ? », « c'est où ? », "
        "« qu'est-ce qui est annulé ? », « qu'est-ce qui a changé depuis hier ? »",
        "en": "“after {example}”, “at the same time as …”, “and after?”, “where is it?”, "
        "“is anything cancelled?”, “what changed since yesterday?”",
    },
    "host.none": {
        "fr": "Personne n'est indiqué pour l'animer.",
        "en": "No host is given for it.",
    },
    "help.free": {
        "fr": "Ou demandez simplement : « c'est où {example} ? », "
        "« qu'est-ce qui se passe demain matin ? », « et à 11 h 30 ? »",
        "en": "Or just ask: “where is {example}?”, “what's on tomorrow morning?”, “what about 11:30?”",
    },
})


say = BOT_MESSAGES.say
