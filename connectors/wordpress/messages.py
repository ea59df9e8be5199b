"""French and English words of the WordPress connector (page, problems, ``hub check``)."""

from __future__ import annotations

from sync.i18n import Catalogue

MESSAGES = Catalogue({
    "page.title": {"fr": "Programme", "en": "Programme"},
    "page.empty": {
        "fr": "Le programme sera bientôt publié.",
        "en": "The programme is coming soon.",
    },
    "session.cancelled": {"fr": "Annulé", "en": "Cancelled"},
    "session.tentative": {"fr": "à confirmer", "en": "to be confirmed"},
    "session.hosts": {"fr": "Animation", "en": "Hosts"},
    "session.venue": {"fr": "Lieu", "en": "Venue"},
    "session.links": {"fr": "Liens", "en": "Links"},
    "venues.title": {"fr": "Lieux", "en": "Venues"},
    "venue.unknown": {"fr": "lieu à préciser", "en": "venue to be announced"},
    "drift.detected": {
        "fr": "la page « {slug} » (n° {id}) a été modifiée à la main le {when} UTC",
        "en": "the page '{slug}' (#{id}) was edited by hand on {when} UTC",
    },
    "drift.overwrite": {
        "fr": 'elle sera réécrite au prochain envoi (on_drift = "overwrite")',
        "en": 'it will be rewritten on the next push (on_drift = "overwrite")',
    },
    "drift.keep": {
        "fr": 'elle est conservée et n\'est plus mise à jour (on_drift = "keep") : '
        'annulez la modification ou passez on_drift à "overwrite"',
        "en": 'it is kept and no longer updated (on_drift = "keep"): '
        'undo the edit or set on_drift to "overwrite"',
    },
    "drift.status": {
        "fr": "la page « {slug} » (n° {id}) n'est plus publiée (état : {status})",
        "en": "the page '{slug}' (#{id}) is no longer published (status: {status})",
    },
    "write.altered": {
        "fr": "WordPress n'a pas enregistré la page n° {id} telle qu'envoyée (trop grande pour "
        "post_max_size de PHP, ou HTML filtré : l'utilisateur n'a pas le droit unfiltered_html)",
        "en": "WordPress did not store page #{id} as sent (too large for PHP's post_max_size, "
        "or HTML filtered: the user lacks the unfiltered_html right)",
    },
    "check.user": {
        "fr": "connecté à {url} en tant que {user} ({api})",
        "en": "logged in to {url} as {user} ({api})",
    },
    "check.rights": {
        "fr": "droits vérifiés : {rights}",
        "en": "rights proved: {rights}",
    },
    "check.missing": {
        "fr": "l'utilisateur {user} n'a pas le droit : {rights}",
        "en": "the user {user} lacks the right to: {rights}",
    },
    "check.page_found": {
        "fr": "page du programme « {slug} » trouvée (n° {id})",
        "en": "programme page '{slug}' found (#{id})",
    },
    "check.page_new": {
        "fr": "la page du programme « {slug} » sera créée au premier envoi",
        "en": "the programme page '{slug}' will be created on the first push",
    },
    "check.roles_unknown": {
        "fr": "les rôles {roles} ne disent pas si {user} peut modifier des pages et publier",
        "en": "the roles {roles} do not say whether {user} may edit pages and publish",
    },
    "right.edit_pages": {"fr": "modifier les pages", "en": "edit pages"},
    "right.publish_pages": {"fr": "publier des pages", "en": "publish pages"},
    "right.edit_published_pages": {
        "fr": "modifier les pages publiées",
        "en": "edit published pages",
    },
    "right.edit_others_pages": {
        "fr": "modifier les pages des autres",
        "en": "edit other people's pages",
    },
    "right.publish_posts": {"fr": "publier des articles", "en": "publish posts"},
    "auth.refused": {
        "fr": "identifiant ou mot de passe d'application refusé par {url}",
        "en": "user name or application password refused by {url}",
    },
    "xmlrpc.disabled": {
        "fr": "XML-RPC est désactivé sur {url}",
        "en": "XML-RPC is disabled on {url}",
    },
    "xmlrpc.fault": {
        "fr": "{what} : {endpoint} a refusé (erreur XML-RPC {code} : {reason})",
        "en": "{what}: {endpoint} refused (XML-RPC fault {code}: {reason})",
    },
    "xmlrpc.status": {"fr": "{what} : {endpoint} a répondu {status}", "en": "{what}: {endpoint} answered {status}"},
    "xmlrpc.not_xmlrpc": {
        "fr": "{what} : la réponse de {endpoint} n'est pas du XML-RPC (est-ce bien un site WordPress ?)",
        "en": "{what}: the answer of {endpoint} is not XML-RPC (is this a WordPress site?)",
    },
    "xmlrpc.unreachable": {
        "fr": "{what} : impossible de joindre {endpoint} ({reason})",
        "en": "{what}: cannot reach {endpoint} ({reason})",
    },
})


say = MESSAGES.say
