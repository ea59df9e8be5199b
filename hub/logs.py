"""Log lines in the reader's language.

The code logs in English with ``%``-templates (what a developer greps for); this table gives each
template's French (a module may declare its own with :func:`sync.i18n.log_texts`; a connector
keeps its log lines' French in its own files), and :class:`Translate`, put on the log handlers once the configuration is
read, shows a record in the configured language, its level name too. A test checks that every
template the product logs is here.
"""

from __future__ import annotations

import logging

from config.words import LOGGED
from sync.i18n import log_texts

LOG_TEXTS = log_texts({
        "pull from %s failed: %s": "lecture de %s en échec : %s",
        "apply to %s failed: %s": "écriture vers %s en échec : %s",
        "refresh of %s failed: %s": "mise à jour périodique de %s en échec : %s",
        "[%s] receive failed: %s": "[%s] réception en échec : %s",
        "[%s] polling failed: %s": "[%s] lecture des messages en échec : %s",
        "[%s] Talk polling failed: %s": "[%s] lecture des messages Talk en échec : %s",
        "old programme part not removed: %s": "ancienne partie du programme non retirée : %s",
        "[%s] group %s: %d member(s) did not get the message (%s)":
            "[%s] groupe %s : %d membre(s) n'ont pas reçu le message (%s)",
        "cannot remove %s: %s": "impossible de supprimer %s : %s",
        "[%s] cannot pin the programme in chat %s: %s": "[%s] impossible d'épingler le programme dans %s : %s",
        "[%s] chat %s rate limited for %.0f s": "[%s] discussion %s limitée en débit pendant %.0f s",
        "[%s] revision %d of pad %s, written by a person just before the hub's write, was replaced; "
        "it stays in the pad's history":
            "[%s] la révision %d du pad %s, écrite par une personne juste avant l'écriture du hub, a été "
            "remplacée ; elle reste dans l'historique du pad",
        "day message not edited, replying instead: %s": "message du jour non modifié, réponse à la place : %s",
        "[%s] /%s refused: %r is not one of this channel's admins":
            "[%s] /%s refusé : %r n'est pas parmi les admins de ce canal",
        "[%s] sign-in link given to %r": "[%s] lien de connexion donné à %r",
        "bots running on %s": "bots en route sur %s",
        "announcement from %s": "annonce de %s",
        "[%s] the bot stopped on an error (%s: %s); restarting in 10 s":
            "[%s] le bot s'est arrêté sur une erreur (%s : %s) ; redémarrage dans 10 s",
        "[%s] announcement not sent: %s": "[%s] annonce non envoyée : %s",
        "[%s] change notice not sent: %s": "[%s] avis de changement non envoyé : %s",
        "reminder to %s on %s not sent: %s": "rappel à %s sur %s non envoyé : %s",
        "%s: position after writing not read (%s)": "%s : position après écriture non relue (%s)",
})

LEVELS = {
    "fr": {"DEBUG": "DÉBOGAGE", "INFO": "INFO", "WARNING": "ATTENTION", "ERROR": "ERREUR", "CRITICAL": "CRITIQUE"},
}


class Translate(logging.Filter):
    """Shows log records in ``lang``: the product's templates and the level name."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg in LOGGED:
            record.msg = LOGGED[record.msg].get(self.lang) or record.msg
        record.levelname = LEVELS.get(self.lang, {}).get(record.levelname, record.levelname)
        return True


def speak(lang: str) -> None:
    """Put one :class:`Translate` for ``lang`` first on every handler of the root logger (before
    the secrets' redactor, which fills the template in)."""
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, Translate)]:
            handler.removeFilter(old)
        handler.filters.insert(0, Translate(lang))
