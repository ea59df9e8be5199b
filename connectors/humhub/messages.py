"""French and English words of the HumHub connector (marks, problems, errors, ``hub check``)."""

from __future__ import annotations

from sync.i18n import Catalogue

MESSAGES = Catalogue({
    # what an entry's title carries for a status the REST API cannot set itself
    "mark.cancelled": {"fr": "Annulé : ", "en": "Cancelled: "},
    "mark.tentative": {"fr": "À confirmer : ", "en": "To be confirmed: "},
    # hub check
    "check.user": {
        "fr": "connecté à {url} en tant que {user} ({auth})",
        "en": "logged in to {url} as {user} ({auth})",
    },
    "check.space": {
        "fr": "espace « {name} » (n° {id}, conteneur {container}) : membre, contenus lisibles",
        "en": "space “{name}” (#{id}, container {container}): a member, contents readable",
    },
    "check.listing": {
        "fr": "changements lus par content/find-by-container?orderBy=lastUpdate (une requête quand "
        "rien n'a changé) ; le module calendrier n'a ni orderBy ni dateUpdatedFrom",
        "en": "changes read through content/find-by-container?orderBy=lastUpdate (one request when "
        "nothing changed); the calendar module has neither orderBy nor dateUpdatedFrom",
    },
    "check.post": {
        "fr": "droit de publier dans l'espace vérifié (message vide refusé, rien de publié)",
        "en": "right to post in the space proved (an empty message refused, nothing posted)",
    },
    "check.calendar": {
        "fr": "droit d'écrire dans le calendrier de l'espace vérifié (entrée vide refusée, rien de créé)",
        "en": "right to write the space's calendar proved (an empty entry refused, nothing created)",
    },
    "auth.basic": {"fr": "utilisateur et mot de passe", "en": "user name and password"},
    "auth.bearer": {"fr": "jeton d'accès", "en": "access token"},
    "auth.jwt": {"fr": "connexion JWT", "en": "JWT login"},
    # errors
    "auth.refused_bearer": {
        "fr": "{url} a refusé le jeton d'accès ({detail}) : vérifiez token_file, ou émettez un nouveau jeton "
        "(Administration → Modules → REST API → jetons d'accès)",
        "en": "{url} refused the access token ({detail}): check token_file, or issue a new token "
        "(Administration → Modules → REST API → access tokens)",
    },
    "auth.refused_basic": {
        "fr": "{url} a refusé l'utilisateur {user} ({detail}) : vérifiez le mot de passe, que l'authentification "
        "HTTP Basic est activée et que l'utilisateur est autorisé à utiliser l'API "
        "(Administration → Modules → REST API)",
        "en": "{url} refused the user {user} ({detail}): check the password, that HTTP Basic authentication is "
        "enabled and that the user is enabled for the API (Administration → Modules → REST API)",
    },
    "auth.refused_jwt": {
        "fr": "{url} a refusé le jeton JWT de {user} même renouvelé ({detail}) : "
        "l'authentification JWT est-elle activée ?",
        "en": "{url} refused {user}'s JWT even after a new login ({detail}): is JWT authentication enabled?",
    },
    "auth.login_refused": {
        "fr": "{url} : connexion refusée pour {user} ({detail}) : vérifiez username et password_file",
        "en": "{url}: login refused for {user} ({detail}): check username and password_file",
    },
    "auth.not_enabled": {
        "fr": "{url} : l'utilisateur {user} n'est pas autorisé à utiliser l'API ({detail}) : ajoutez-le "
        "dans Administration → Modules → REST API",
        "en": "{url}: the user {user} is not enabled for the API ({detail}): add them in "
        "Administration → Modules → REST API",
    },
    "auth.jwt_off": {
        "fr": "{url} : l'authentification JWT est désactivée (auth/login introuvable) : activez-la dans le "
        "module REST API, ou choisissez auth = \"basic\" ou \"bearer\"",
        "en": "{url}: JWT authentication is off (no auth/login): enable it in the REST API module, or use "
        "auth = \"basic\" or \"bearer\"",
    },
    "auth.forbidden": {
        "fr": "{what} : refusé ({detail}) ; il manque au compte le droit de {right}",
        "en": "{what}: refused ({detail}); the account lacks the right to {right}",
    },
    "right.space": {
        "fr": "voir l'espace : rendez le compte membre de l'espace",
        "en": "view the space: make the account a member of the space",
    },
    "right.calendar_create": {
        "fr": "créer des événements (calendrier de l'espace → permission « Créer un événement » pour son rôle)",
        "en": "create events (the space's calendar → “Create entry” permission for its role)",
    },
    "right.calendar_edit": {
        "fr": "modifier cet événement (seuls son auteur et les modérateurs de l'espace le peuvent)",
        "en": "edit this event (only its author and the space's moderators may)",
    },
    "right.post": {"fr": "publier dans l'espace", "en": "post in the space"},
    "right.post_edit": {
        "fr": "modifier ce message (seuls son auteur et les modérateurs de l'espace le peuvent)",
        "en": "edit this post (only its author and the space's moderators may)",
    },
    "right.unknown": {"fr": "faire cette opération", "en": "do this"},
    "not_json": {
        "fr": "{url} n'a pas répondu en JSON : est-ce bien un HumHub avec le module REST API "
        "(adresses lisibles activées) ?",
        "en": "{url} did not answer JSON: is this a HumHub with the REST API module (pretty URLs on)?",
    },
    "calendar.off": {
        "fr": "{url} : le module calendrier n'est pas actif ou ses routes REST sont désactivées "
        "(Administration → Modules → REST API → modules)",
        "en": "{url}: the calendar module is not enabled or its REST routes are off "
        "(Administration → Modules → REST API → modules)",
    },
    "space.missing": {
        "fr": "aucun espace « {space} » visible par le compte sur {url} "
        "(nom d'URL comme dans /s/<nom>/, guid ou nom affiché)",
        "en": "no space “{space}” visible to the account on {url} (URL name as in /s/<name>/, guid or display name)",
    },
    "space.ambiguous": {
        "fr": "plusieurs espaces s'appellent « {space} » sur {url} : donnez son nom d'URL ({names})",
        "en": "several spaces are called “{space}” on {url}: give its URL name ({names})",
    },
    "write.timezone": {
        "fr": "HumHub a enregistré « {title} » à {stored} (heure du serveur) au lieu de {expected} : le fuseau "
        "du serveur n'est pas {zone} ; mettez server_timezone au fuseau par défaut du réseau "
        "(Administration → Paramètres → Général)",
        "en": "HumHub stored “{title}” at {stored} (server time) instead of {expected}: the server's zone is "
        "not {zone}; set server_timezone to the network's default time zone (Administration → Settings → General)",
    },
    "write.closed": {
        "fr": "l'événement n° {id} « {title} » a été annulé dans HumHub (bouton « Annuler l'événement ») et "
        "l'API ne peut pas le rétablir : rouvrez-le dans HumHub",
        "en": "event #{id} “{title}” was cancelled in HumHub (“Cancel event” button) and the API cannot "
        "reopen it: reopen it in HumHub",
    },
    "problem.duplicate": {
        "fr": "événement n° {id} : un autre événement porte déjà la séance {key}, ignoré",
        "en": "event #{id}: another event already carries the session {key}, ignored",
    },
    "problem.location": {
        "fr": "événement n° {id} : lieu « {location} » inconnu du programme, lieu inchangé",
        "en": "event #{id}: location “{location}” is not a venue of the programme, venue unchanged",
    },
    "problem.unreadable": {
        "fr": "événement n° {id} : dates illisibles ({start} – {end}), ignoré",
        "en": "event #{id}: unreadable dates ({start} – {end}), ignored",
    },
})


say = MESSAGES.say
