"""What the ``hub`` command says to a person, in French and English."""

from __future__ import annotations

from sync.i18n import Catalogue

MESSAGES = Catalogue({
    "error.config": {"fr": "Configuration invalide :", "en": "Invalid configuration:"},
    "error.input": {"fr": "Programme invalide, rien n'a été envoyé :", "en": "Invalid programme, nothing was pushed:"},
    "error.run": {"fr": "La synchronisation s'est arrêtée :", "en": "The sync stopped:"},
    "plan.title": {"fr": "Ce que ferait la synchronisation", "en": "What a sync would do"},
    "sync.title": {"fr": "Synchronisation", "en": "Sync"},
    "col.connector": {"fr": "connecteur", "en": "connector"},
    "col.created": {"fr": "créés", "en": "created"},
    "col.updated": {"fr": "modifiés", "en": "updated"},
    "col.deleted": {"fr": "supprimés", "en": "deleted"},
    "col.unchanged": {"fr": "inchangés", "en": "unchanged"},
    "col.failed": {"fr": "échecs", "en": "failed"},
    "col.requests": {"fr": "requêtes", "en": "requests"},
    "conflicts.new": {"fr": "{n} conflit(s) : voir `hub conflicts`.", "en": "{n} conflict(s): see `hub conflicts`."},
    "conflicts.none": {"fr": "Aucun conflit.", "en": "No conflicts."},
    "conflicts.row": {
        "fr": "#{id} {session} · {field} : le hub a {ours!r}, {connector} propose {theirs!r}",
        "en": "#{id} {session} · {field}: the hub has {ours!r}, {connector} proposes {theirs!r}",
    },
    "conflicts.keep_required": {"fr": "--resolve demande --keep ours ou --keep theirs",
                                "en": "--resolve needs --keep ours or --keep theirs"},
    "conflicts.unknown": {"fr": "aucun conflit ouvert n°{id}", "en": "no open conflict #{id}"},
    "conflicts.resolved": {"fr": "Conflit n°{id} résolu ; `hub sync` le propage.",
                           "en": "Conflict #{id} resolved; `hub sync` propagates it."},
    "announce.preview": {"fr": "Annonce qui serait envoyée :", "en": "Announcement that would be sent:"},
    "announce.sent": {"fr": "Annonce :", "en": "Announcement:"},
    "nothing": {"fr": "Rien à faire : tout est à jour.", "en": "Nothing to do: everything is up to date."},
    "never": {"fr": "jamais", "en": "never"},
    "status.last": {"fr": "Dernière synchronisation : {at}", "en": "Last sync: {at}"},
    "status.outbox": {"fr": "  file d'envoi {name} : {states}", "en": "  outbox {name}: {states}"},
    "status.in_doubt": {
        "fr": "  ⚠ message incertain vers {connector}/{target} : vérifiez qu'il est arrivé",
        "en": "  ⚠ message in doubt to {connector}/{target}: check whether it arrived",
    },
    "status.held": {"fr": "  ⏸ {name} en pause : {reason}", "en": "  ⏸ {name} held: {reason}"},
    "reset.done": {"fr": "{name} reprend au prochain passage.", "en": "{name} resumes at the next run."},
    "reset.none": {"fr": "{name} n'était pas en pause.", "en": "{name} was not held."},
    "check.ok": {"fr": "✓ {name} : {detail}", "en": "✓ {name}: {detail}"},
    "check.failed": {"fr": "✗ {name} : {detail}", "en": "✗ {name}: {detail}"},
    "check.programme": {"fr": "{sessions} sessions, {venues} lieux", "en": "{sessions} sessions, {venues} venues"},
    "state.pending": {"fr": "en attente", "en": "pending"},
    "state.sending": {"fr": "en cours d'envoi", "en": "sending"},
    "state.done": {"fr": "faits", "en": "done"},
    "state.failed": {"fr": "en échec", "en": "failed"},
    "state.in_doubt": {"fr": "incertains", "en": "in doubt"},
    "state.superseded": {"fr": "remplacés", "en": "superseded"},
    "check.config": {"fr": "configuration lue ({n} connecteurs)", "en": "configuration read ({n} connectors)"},
})


say = MESSAGES.say
