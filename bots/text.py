"""Text handling shared by the index and the question parser.

Questions arrive typed on phones: mixed case, missing or wrong accents, apostrophes of every
kind, typos. Both the programme and the questions go through the same :func:`fold` so that
"Où", "ou" and "OÙ" meet, and "l'atelier" splits into "l" and "atelier".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_NON_WORD = re.compile(r"[^0-9a-z:/]+")
_TOKEN = re.compile(r"[0-9a-z]+")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words that carry no subject in either language (articles, pronouns, auxiliaries, question
#: words, generic nouns like "session"). Kept folded (no accents).
STOPWORDS: frozenset[str] = _wordset(
    """
    a au aux avec c ce ces cet cette d de des du en et est il ils elle elles j je l la le les
    leur lui m ma me mes moi mon n ne nos notre nous on ou par pas pour qu que quel quelle
    quelles quels qui quoi s sa se ses si son sont sur t ta te tes toi ton tu un une vos votre
    vous y ya c'est cest va vais aller allons peut peux puis faire fait se passe passer
    comment combien pourquoi dis dites svp stp merci bonjour salut coucou hello hi hey please
    thanks thank the an of in on at to for from by with and or is are was were be been being do
    does did what whats which who whom whose where when how why it its this that these those
    there here me my we our you your i am can could would should will shall tell show give
    any some all please about going happening happen happens
    session sessions evenement evenements event events activite activites activity activities
    truc trucs chose choses programme program programmes schedule agenda rendez vous
    prevu prevue prevus prevues lieu lieux venue venues heure heures time
    ca cela ceci celui celle ceux celles ci there then one ones
    """
)

#: Words that say the question is French, or English. Articles and the like are only *weak*
#: hints: English speakers quote French names ("Hôtel du Nord").
FRENCH_MARKERS: frozenset[str] = _wordset(
    """
    est ou quand quel quelle quels quelles quoi qui se passe aujourd aujourdhui hui demain
    maintenant ensuite apres matin soir midi lundi mardi mercredi jeudi vendredi samedi dimanche
    cest qu que adresse cherche aide suivre prochain prochaine atelier ateliers janvier fevrier
    avril mai juin juillet aout septembre octobre novembre decembre pour avec sur dans heure
    bonjour salut coucou bonsoir merci il elle nous vous je tu y a au aux ce cette ces anime
    animee parcours hier soiree matinee commence annule annulee annules annulation annulations
    avant pendant deplace deplacee change confirmer maintenu reste journee meme endroit
    """
)
FRENCH_WEAK: frozenset[str] = _wordset("le la les des du de un une et l d c")
ENGLISH_MARKERS: frozenset[str] = _wordset(
    """
    the what whats where when who is are at on in today tomorrow now next morning afternoon
    evening tonight monday tuesday wednesday thursday friday saturday sunday happening
    address search help follow workshop workshops january february march april may june july
    august september october november december and for with about which time program
    schedule going of i you can does do please there my me hello hi hey thanks by track
    yesterday hosted run starts start begin anything cancelled canceled moved confirmed changed
    yet not since after before lunch later rest same alongside during while
    """
)
ENGLISH_WEAK: frozenset[str] = _wordset("s a an")


class _Marks(dict[int, int | None]):
    """``str.translate``'s table that drops combining marks: a code point maps to None when it is
    one, else to itself, each looked up in Unicode's data once, the first time it is met."""

    def __missing__(self, point: int) -> int | None:
        kept = None if unicodedata.combining(chr(point)) else point
        self[point] = kept
        return kept


_MARKS = _Marks()


def strip_accents(text: str) -> str:
    """'Clôture' -> 'Cloture' (and 'œ' -> 'oe', which NFKD alone leaves alone)."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    return unicodedata.normalize("NFKD", text).translate(_MARKS)


def fold(text: str) -> str:
    """Lower case, no accents, apostrophes unified: the one spelling everything is compared in."""
    return strip_accents(text.translate(_APOSTROPHES)).lower()


def words(text: str) -> str:
    """Folded text with punctuation turned into single spaces (':' and '/' kept for times)."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def tokens(text: str) -> list[str]:
    """Alphanumeric tokens of the folded text ("l'atelier" -> ["l", "atelier"])."""
    return _TOKEN.findall(fold(text))


def content_tokens(text: str) -> list[str]:
    """Tokens that may name something: no stopwords, no single letters."""
    return [tok for tok in tokens(text) if tok not in STOPWORDS and (len(tok) > 1 or tok.isdigit())]


def detect_language(text: str, is_name: Callable[[str], bool] = lambda word: False) -> str | None:
    """'fr' or 'en' from the words of a question; None when it cannot tell.

    Function words count two, articles and elisions one, an accent one. Words of the
    programme itself (``is_name``) count for nothing: an English question about "Clôture"
    is still English.
    """
    french = english = 0
    for raw in re.findall(r"[\w']+", text.lower()):
        word = fold(raw)
        parts = _TOKEN.findall(word)
        if any(is_name(part) for part in parts if len(part) > 2):
            continue
        if re.search(r"[àâçéèêëîïôûùüÿœ]", raw):
            french += 1
        if re.match(r"^(?:[cdljmnst]|qu)'", word):
            french += 1
        if re.search(r"\w'(?:s|re|ll|ve|t)$", word):
            english += 1
        for part in parts:
            french += 2 * (part in FRENCH_MARKERS) + (part in FRENCH_WEAK)
            english += 2 * (part in ENGLISH_MARKERS) + (part in ENGLISH_WEAK)
    if french > english:
        return "fr"
    if english > french:
        return "en"
    return None


#: A small bilingual glossary of event and commons vocabulary, so "workshop" finds an "atelier"
#: and "déjeuner" a "lunch", whatever the programme. Folded, singular; read both ways. Names of
#: sessions, places and people never belong here: they are matched from the programme itself.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("atelier", "workshop"),
    ("pleniere", "plenary"),
    ("dejeuner", "lunch", "repas", "meal"),
    ("diner", "dinner", "souper"),
    ("accueil", "welcome", "reception", "arrivee", "registration"),
    ("cloture", "closing"),
    ("ouverture", "opening"),
    ("balade", "walk", "promenade", "visite", "tour"),
    ("cafe", "coffee"),
    ("conference", "talk", "expose"),
    ("table ronde", "panel"),
    ("recherche", "research"),
    ("jardin", "garden"),
    ("musee", "museum"),
    ("histoire", "history"),
    ("sante", "health"),
    ("environnement", "environment"),
    ("travail", "work", "labour"),
    ("juridique", "legal", "law", "droit"),
    ("culture", "cultural", "culturel"),
    ("restitution", "debrief", "wrap"),
    ("concert", "gig"),
    ("fete", "party"),
    ("projection", "screening", "film"),
    ("debat", "debate", "discussion"),
    ("reunion", "meeting"),
    ("assemblee", "assembly"),
    ("formation", "training"),
    ("energie", "energy"),
    ("logement", "housing"),
    ("habitat", "dwelling"),
    ("alimentation", "food", "nourriture"),
    ("eau", "water"),
    ("climat", "climate"),
    ("agriculture", "farming"),
    ("education", "schooling", "enseignement"),
    ("enfant", "child", "kids"),
    ("jeunesse", "youth"),
    ("numerique", "digital"),
    ("logiciel", "software"),
    ("economie", "economy"),
    ("cooperative", "coop"),
    ("quartier", "neighbourhood", "neighborhood"),
    ("ville", "city", "town"),
    ("territoire", "territory"),
    ("patrimoine", "heritage"),
    ("bibliotheque", "library"),
    ("livre", "book"),
    ("musique", "music"),
    ("danse", "dance"),
    ("theatre", "theater"),
    ("exposition", "exhibition"),
    ("soin", "care"),
    ("solidarite", "solidarity"),
    ("democratie", "democracy"),
    ("gouvernance", "governance"),
)
_SYNONYM_OF: dict[str, tuple[str, ...]] = {}
for _group in SYNONYMS:
    for _word in _group:
        _SYNONYM_OF[_word] = tuple(w for w in _group if w != _word)


def synonyms(word: str) -> tuple[str, ...]:
    """Other words for the same generic thing (empty for names and unknown words)."""
    return _SYNONYM_OF.get(word, ())
