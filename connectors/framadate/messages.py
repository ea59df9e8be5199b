"""French and English words of the Framadate connector: errors, check lines, polls and meetings."""

from __future__ import annotations

from sync.i18n import Catalogue

MESSAGES = Catalogue({
    # check
    "check.form": {
        "fr": "{url} répond : formulaire de création de sondage trouvé ({fields})",
        "en": "{url} answers: poll creation form found ({fields})",
    },
    "check.mail": {
        "fr": "l'instance demande une adresse électronique : admin_email = {mail}",
        "en": "the instance asks for an e-mail address: admin_email = {mail}",
    },
    "check.polls": {"fr": "{n} sondage(s) suivi(s)", "en": "{n} poll(s) followed"},
    # refusals
    "error.mail": {
        "fr": "{url} exige une adresse électronique pour créer un sondage (il y envoie le lien "
        "d'administration) : renseignez admin_email dans [connectors.{name}]",
        "en": "{url} requires an e-mail address to create a poll (it sends the admin link there): "
        "set admin_email in [connectors.{name}]",
    },
    "error.captcha": {
        "fr": "{url} demande un CAPTCHA pour créer un sondage : le hub ne peut pas le remplir ; créez le "
        "sondage dans un navigateur, ou utilisez une instance sans CAPTCHA",
        "en": "{url} asks for a CAPTCHA to create a poll: the hub cannot solve it; create the poll in a "
        "browser, or use an instance without a CAPTCHA",
    },
    "error.refused": {
        "fr": "{url} a refusé le formulaire ({step}) : {why}",
        "en": "{url} refused the form ({step}): {why}",
    },
    "error.unexpected": {
        "fr": "{url} n'a pas répondu comme Framadate ({step}) : pas de {expected} ; est-ce bien une "
        "instance Framadate 1.1 ?",
        "en": "{url} did not answer like Framadate ({step}): no {expected}; is it a Framadate 1.1 instance?",
    },
    "error.gone": {
        "fr": "le sondage {poll} n'existe plus sur {url} (supprimé par son administrateur ou expiré) : "
        "« {said} »",
        "en": "the poll {poll} no longer exists on {url} (deleted by its admin or expired): “{said}”",
    },
    "error.admin": {
        "fr": "le lien d'administration du sondage {poll} est refusé par {url} alors que le sondage existe : "
        "« {said} » ; le lien gardé par le hub est faux",
        "en": "{url} refuses the admin link of poll {poll}, yet the poll exists: “{said}”; the link the hub "
        "keeps is wrong",
    },
    "error.answer": {
        "fr": "export CSV du sondage {poll} : réponse « {word} » inconnue",
        "en": "CSV export of poll {poll}: unknown answer “{word}”",
    },
    "error.csv": {
        "fr": "export CSV du sondage {poll} illisible : {why}",
        "en": "CSV export of poll {poll} unreadable: {why}",
    },
    "step.1": {"fr": "étape 1, titre et auteur", "en": "step 1, title and author"},
    "step.2": {"fr": "étape 2, choix", "en": "step 2, choices"},
    "step.3": {"fr": "étape 3, confirmation", "en": "step 3, confirmation"},
    "field.title": {"fr": "le titre", "en": "the title"},
    "field.name": {"fr": "le nom de l'auteur", "en": "the author's name"},
    "field.mail": {"fr": "l'adresse électronique", "en": "the e-mail address"},
    "field.description": {"fr": "la description", "en": "the description"},
    "expected.redirect": {"fr": "redirection vers l'étape suivante", "en": "redirect to the next step"},
    "expected.step3": {"fr": "page de confirmation", "en": "confirmation page"},
    "expected.admin": {"fr": "lien d'administration", "en": "admin link"},
    "expected.form": {"fr": "formulaire de création", "en": "creation form"},
})

say = MESSAGES.say
