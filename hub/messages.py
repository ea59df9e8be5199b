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
    "error.usage": {"fr": "Commande invalide :", "en": "Invalid command:"},
    "col.held": {"fr": "en attente", "en": "held"},
    "review.none": {"fr": "Aucune modification en attente de relecture.", "en": "No changes waiting for review."},
    "review.row": {
        "fr": "Lot n°{batch} · {connector} · {at} · {state}",
        "en": "Batch #{batch} · {connector} · {at} · {state}",
    },
    "review.state.open": {"fr": "en attente", "en": "waiting"},
    "review.state.accepted": {"fr": "accepté, fusionné au prochain passage", "en": "accepted, merged at the next run"},
    "review.state.rejected": {"fr": "refusé, rétabli au prochain passage", "en": "rejected, restored at the next run"},
    "review.hint": {
        "fr": "Accepter : hub review --accept N · refuser et rétablir la source : hub review --reject N",
        "en": "Accept: hub review --accept N · reject and restore the source: hub review --reject N",
    },
    "review.unknown": {"fr": "aucun lot en attente n°{batch} (voir `hub review`)",
                       "en": "no batch #{batch} waiting (see `hub review`)"},
    "review.both": {"fr": "choisissez --accept ou --reject, pas les deux",
                    "en": "choose --accept or --reject, not both"},
    "review.accepted": {"fr": "Lot n°{batch} accepté.", "en": "Batch #{batch} accepted."},
    "review.rejected": {"fr": "Lot n°{batch} refusé : la source est rétablie.",
                        "en": "Batch #{batch} rejected: the source is restored."},
    "review.still": {
        "fr": "Le lot n°{batch} n'a pas pu être traité pendant ce passage ({connector} injoignable ou modifié "
              "depuis) : voir `hub review`.",
        "en": "Batch #{batch} could not be carried out in this run ({connector} unreachable or changed since): "
              "see `hub review`.",
    },
    "held.line": {
        "fr": "⏸ {connector} : {sessions} séance(s) en attente de relecture (lot n°{batch}) ; rien n'a été publié. "
              "Voir `hub review`.",
        "en": "⏸ {connector}: {sessions} session(s) held for review (batch #{batch}); nothing was published. "
              "See `hub review`.",
    },
    "status.review": {"fr": "  ⏸ lot n°{batch} de {connector} en attente de relecture ({sessions} séance(s))",
                      "en": "  ⏸ batch #{batch} from {connector} waiting for review ({sessions} session(s))"},
    "history.none": {"fr": "Aucun changement enregistré.", "en": "No recorded change."},
    "history.sync": {"fr": "n°{sync}", "en": "#{sync}"},
    "history.added": {"fr": "ajoutée", "en": "added"},
    "history.removed": {"fr": "supprimée", "en": "removed"},
    "history.bad_since": {
        "fr": "--since {value!r} : attendu une durée (2h, 3d, 30m) ou une date (2026-12-01, 2026-12-01T14:00)",
        "en": "--since {value!r}: expected a duration (2h, 3d, 30m) or a date (2026-12-01, 2026-12-01T14:00)",
    },
    "revert.unknown": {"fr": "aucun passage n°{sync} n'a changé le programme (voir `hub history`)",
                       "en": "no run #{sync} changed the programme (see `hub history`)"},
    "revert.done": {"fr": "Passage n°{sync} annulé : {n} changement(s) défait(s), une correction annoncée.",
                    "en": "Run #{sync} reverted: {n} change(s) undone, one correction announced."},
    "check.config": {"fr": "configuration lue ({n} connecteurs)", "en": "configuration read ({n} connectors)"},
})


say = MESSAGES.say
