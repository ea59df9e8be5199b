"""French and English words of the e-mail connector: subjects, bodies, problems, ``hub check``,
and the French of what it logs."""

from __future__ import annotations

from sync.i18n import Catalogue, log_texts

MESSAGES = Catalogue({
    # subjects ----------------------------------------------------------------------------------
    "subject": {"fr": "Programme : {what}", "en": "Programme: {what}"},
    "subject.correction": {"fr": "Programme, rectificatif : {what}", "en": "Programme correction: {what}"},
    "what.retimed": {"fr": "{title} déplacé à {new}", "en": "{title} moved to {new}"},
    "what.ends": {"fr": "{title} finit désormais à {end}", "en": "{title} now ends at {end}"},
    "what.moved": {"fr": "{title} déplacé à {new}, {venue}", "en": "{title} moved to {new}, {venue}"},
    "what.moved_venue": {"fr": "{title} change de lieu, {venue}", "en": "{title} moves to {venue}"},
    "what.cancelled": {"fr": "{title} annulé", "en": "{title} cancelled"},
    "what.reinstated": {"fr": "{title} de nouveau au programme", "en": "{title} back on the programme"},
    "what.added": {"fr": "nouvelle séance, {title}", "en": "new session, {title}"},
    "what.removed": {"fr": "{title} retiré du programme", "en": "{title} removed from the programme"},
    "what.renamed": {"fr": "« {old} » devient « {new} »", "en": "“{old}” is now “{new}”"},
    "what.edited": {"fr": "{title} mis à jour", "en": "{title} updated"},
    "what.many": {"fr": "{n} changements", "en": "{n} changes"},
    "what.digest": {"fr": "les changements du {day}", "en": "the changes of {day}"},
    # bodies ------------------------------------------------------------------------------------
    "body.digest": {"fr": "Les changements au programme du {day}", "en": "Programme changes on {day}"},
    "body.when": {"fr": "Quand : {when}", "en": "When: {when}"},
    "body.where": {"fr": "Où : {where}", "en": "Where: {where}"},
    "body.programme": {"fr": "Le programme complet", "en": "The whole programme"},
    "body.ics": {"fr": "L'agenda à importer ou à suivre (ICS)", "en": "The calendar to import or follow (ICS)"},
    "body.footer": {
        "fr": "Ce message part automatiquement quand le programme change.",
        "en": "This message is sent automatically when the programme changes.",
    },
    # problems ----------------------------------------------------------------------------------
    "error.not_configured": {
        "fr": "{target} ne fait pas partie de to : rien n'y est envoyé",
        "en": "{target} is not in to: nothing is sent there",
    },
    "error.password_missing": {
        "fr": "connectors.{name} : username est indiqué sans password ni password_file",
        "en": "connectors.{name}: username is set without password or password_file",
    },
    "error.unreachable": {
        "fr": "{server} injoignable ({reason}) ; nouvel essai à la prochaine synchronisation",
        "en": "{server} is unreachable ({reason}); tried again at the next sync",
    },
    "error.greeting": {
        "fr": "{server} refuse la connexion ({code} {reply}) ; nouvel essai à la prochaine synchronisation",
        "en": "{server} refuses the connection ({code} {reply}); tried again at the next sync",
    },
    "error.tls": {
        "fr": "{server} : la connexion chiffrée échoue ({reason}) ; vérifiez host, port, tls, starttls "
        "et, pour une autorité privée, ca_bundle",
        "en": "{server}: the encrypted connection fails ({reason}); check host, port, tls, starttls "
        "and, for a private authority, ca_bundle",
    },
    "error.no_starttls": {
        "fr": "{server} ne propose pas STARTTLS : rien n'y est envoyé en clair ; utilisez tls = true "
        "(port 465) ou, sur un réseau de confiance seulement, starttls = false",
        "en": "{server} does not offer STARTTLS: nothing is sent there in clear; use tls = true "
        "(port 465) or, on a trusted network only, starttls = false",
    },
    "error.no_auth": {
        "fr": "{server} ne propose pas de connexion par mot de passe (AUTH) : vérifiez le port "
        "(587 ou 465, pas 25) ou retirez username si le serveur relaie sans connexion",
        "en": "{server} offers no password login (AUTH): check the port (587 or 465, not 25) or "
        "remove username if the server relays without login",
    },
    "error.auth_refused": {
        "fr": "{server} refuse l'identifiant {user} ou son mot de passe ({code} {reply}) : "
        "vérifiez username et password_file",
        "en": "{server} refuses the login {user} or its password ({code} {reply}): "
        "check username and password_file",
    },
    "error.auth_required": {
        "fr": "{server} demande une connexion ({code} {reply}) : indiquez username et password_file",
        "en": "{server} requires a login ({code} {reply}): set username and password_file",
    },
    "error.sender_refused": {
        "fr": "{server} refuse l'expéditeur {sender} ({code} {reply}) : le compte doit avoir le droit "
        "d'écrire avec l'adresse de from",
        "en": "{server} refuses the sender {sender} ({code} {reply}): the account must be allowed to "
        "write with the from address",
    },
    "error.recipient_refused": {
        "fr": "{server} refuse le destinataire {recipient} ({code} {reply}) : une liste modérée "
        "n'accepte que ses abonnés ou ses expéditeurs autorisés ; abonnez {sender} ou autorisez-le, "
        "puis relancez l'annonce : ce message n'est pas réessayé",
        "en": "{server} refuses the recipient {recipient} ({code} {reply}): a moderated list only "
        "takes its subscribers or allowed senders; subscribe or allow {sender}, then announce "
        "again: this message is not retried",
    },
    "error.deferred": {
        "fr": "{server} diffère le message pour {recipient} ({code} {reply}) ; nouvel essai plus tard",
        "en": "{server} defers the message to {recipient} ({code} {reply}); tried again later",
    },
    "error.refused": {
        "fr": "{server} refuse le message pour {recipient} ({code} {reply}) ; il n'est pas réessayé",
        "en": "{server} refuses the message to {recipient} ({code} {reply}); it is not retried",
    },
    "error.too_large": {
        "fr": "le message pour {recipient} fait {size} octets, plus que les {limit} que {server} "
        "accepte ; il n'est pas envoyé",
        "en": "the message to {recipient} is {size} bytes, more than the {limit} {server} accepts; "
        "it is not sent",
    },
    "error.too_large_reply": {
        "fr": "{server} refuse le message pour {recipient}, trop gros ({code} {reply}) ; "
        "il n'est pas réessayé",
        "en": "{server} refuses the message to {recipient} as too large ({code} {reply}); "
        "it is not retried",
    },
    "error.unknown_fate": {
        "fr": "{server} : la connexion est coupée après l'envoi du message {message_id} à {recipient} ; "
        "remise inconnue, pas de nouvel envoi (cherchez ce Message-ID dans les archives de la liste)",
        "en": "{server}: the connection broke after the message {message_id} to {recipient} was sent; "
        "delivery unknown, not resent (look for that Message-ID in the list's archive)",
    },
    "error.digest_in_doubt": {
        "fr": "le résumé du {day} pour {recipient} ({message_id}) a peut-être été envoyé : le passage "
        "précédent s'est arrêté entre l'envoi et l'enregistrement ; il n'est pas renvoyé "
        "(cherchez ce Message-ID dans les archives de la liste)",
        "en": "the digest of {day} to {recipient} ({message_id}) may have been sent: the previous run "
        "stopped between sending and recording; it is not resent (look for that Message-ID in the "
        "list's archive)",
    },
    # hub check ---------------------------------------------------------------------------------
    "check.connected": {"fr": "{server} joignable ({security})", "en": "{server} reachable ({security})"},
    "security.tls": {"fr": "TLS dès la connexion, {version}", "en": "TLS from the start, {version}"},
    "security.starttls": {"fr": "STARTTLS, {version}", "en": "STARTTLS, {version}"},
    "security.none": {"fr": "sans chiffrement", "en": "unencrypted"},
    "check.login": {"fr": "connecté en tant que {user}", "en": "logged in as {user}"},
    "check.no_login": {"fr": "le serveur relaie sans connexion", "en": "the server relays without login"},
    "check.sender": {"fr": "expéditeur {sender} accepté", "en": "sender {sender} accepted"},
    "check.recipient": {"fr": "destinataire {recipient} accepté", "en": "recipient {recipient} accepted"},
    "check.digest": {
        "fr": "un résumé par jour, envoyé par la première synchronisation à partir de {time}",
        "en": "one digest a day, sent by the first sync from {time} on",
    },
})

say = MESSAGES.say

LOG_TEXTS = log_texts({
    "[%s] sending %s to %s as %s": "[%s] envoi de %s à %s sous %s",
    "[%s] %s accepted by %s: %s": "[%s] %s accepté par %s : %s",
    "[%s] %d change(s) kept for the digest of %s": "[%s] %d changement(s) gardé(s) pour le résumé destiné à %s",
    "[%s] the changes queued for %s cancel out: no digest":
        "[%s] les changements en attente pour %s s'annulent : pas de résumé",
    "[%s] message in doubt: %s": "[%s] message incertain : %s",
    "[%s] message not sent: %s": "[%s] message non envoyé : %s",
    "[%s] another digest failed: %s": "[%s] un autre résumé a échoué : %s",
})
