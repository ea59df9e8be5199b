"""An index over one version of the programme, built once and shared by every question.

Two structures make answers cheap on a programme of any size:

- sessions sorted by start, with the longest duration, so "what is on at 11:30" is two
  bisections and a short scan instead of a walk over every session;
- an inverted index from folded, de-pluralised words to the *entities* that contain them
  (sessions, venues, hosts, tracks), with an inverse document frequency per word, so a
  question's words score only the entities they touch. Typos are absorbed by matching each
  question word against the vocabulary with rapidfuzz, once per distinct word.

Nothing here knows any particular programme: every name comes from the data.
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import json
import math
import os
import pickle
import sys
import tempfile
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from rapidfuzz import fuzz, process

from bots.text import STOPWORDS, synonyms, tokens
from sync.model import Programme, Session, Venue, quick_pickle

EntityKind = Literal["session", "venue", "host", "track"]

#: How much a word counts depending on where it was found.
FIELD_WEIGHTS: dict[str, float] = {
    "title": 1.0,
    "name": 1.0,
    "format": 0.8,
    "kind": 0.4,
    "address": 0.5,
    "note": 0.3,
    "description": 0.25,
}


def stem(token: str) -> str:
    """A crude plural folding shared by both languages: 'ateliers' and 'atelier' meet."""
    if len(token) > 3 and token[-1] in "sx" and not token[-2].isdigit():
        return token[:-1]
    return token


def index_terms(text: str) -> list[str]:
    """The words of a programme text as the index stores them."""
    return [stem(tok) for tok in tokens(text) if tok not in STOPWORDS and (len(tok) > 1 or tok.isdigit())]


@quick_pickle
@dataclass(frozen=True, slots=True)
class Entity:
    """Something a question can name: a session, a venue, a host or a track."""

    kind: EntityKind
    key: str
    label: str
    sessions: tuple[str, ...]


@quick_pickle
@dataclass(frozen=True, slots=True)
class WordMatch:
    """A question word matched to a vocabulary word, with a similarity in (0, 1]."""

    query: str
    term: str
    similarity: float


class ProgrammeIndex:
    """Lookups over one programme; immutable once built."""

    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self.tz = programme.tz
        self.ordered: list[Session] = programme.sorted_sessions()
        self._starts = [s.start for s in self.ordered]
        self._longest = max((s.end - s.start for s in self.ordered), default=timedelta(0))
        self.days: list[date] = sorted(
            {d.date for d in programme.days} | {s.start.astimezone(self.tz).date() for s in self.ordered}
        )
        self.entities: list[Entity] = []
        self._name_pairs: set[tuple[str, str]] = set()
        self._postings: dict[str, dict[int, float]] = defaultdict(dict)
        self._build_entities()
        self.vocabulary: list[str] = sorted(self._postings)
        total = max(len(self.entities), 1)
        self.idf: dict[str, float] = {
            term: math.log(1 + total / len(posting)) for term, posting in self._postings.items()
        }
        self._match_cache: dict[str, tuple[WordMatch, ...]] = {}
        self._by_initial: dict[str, list[str]] | None = None  # built on the first suggestion
        self._lock = threading.Lock()

    # -- persisting (:func:`save_index`) ------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]
        state["_match_cache"] = {}
        state["_by_initial"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- building ---------------------------------------------------------------------------

    def _add(self, entity: Entity, fields: Iterable[tuple[str, str | None]]) -> None:
        number = len(self.entities)
        self.entities.append(entity)
        label = tokens(entity.label)
        self._name_pairs.update(pairwise(label))
        for field, text in fields:
            if not text:
                continue
            terms = index_terms(text)
            # a word is worth more in a short name than in a long one ("Atelier" vs a title
            # that merely contains it); capped so descriptions still count in a search
            weight = FIELD_WEIGHTS[field] / math.sqrt(min(max(len(set(terms)), 1), 4))
            for term in terms:
                posting = self._postings[term]
                if posting.get(number, 0.0) < weight:
                    posting[number] = weight

    def _build_entities(self) -> None:
        by_venue: dict[str, list[str]] = defaultdict(list)
        by_host: dict[str, list[str]] = defaultdict(list)
        host_label: dict[str, str] = {}
        by_track: dict[str, list[str]] = defaultdict(list)
        track_label: dict[str, str] = {}
        for session in self.ordered:
            self._add(
                Entity("session", session.id, session.title, (session.id,)),
                [
                    ("title", session.title),
                    ("format", session.format),
                    ("kind", session.kind),
                    ("description", session.description),
                ],
            )
            if session.venue:
                by_venue[session.venue].append(session.id)
            for host in session.hosts:
                key = " ".join(tokens(host))
                by_host[key].append(session.id)
                host_label.setdefault(key, host)
            if session.track:
                key = " ".join(tokens(session.track))
                by_track[key].append(session.id)
                track_label.setdefault(key, session.track)
        for venue in self.programme.venues.values():
            self._add(
                Entity("venue", venue.id, venue.name, tuple(by_venue.get(venue.id, ()))),
                [("name", venue.name), ("address", venue.address), ("note", venue.note)],
            )
        for key, ids in by_host.items():
            self._add(Entity("host", key, host_label[key], tuple(ids)), [("name", host_label[key])])
        for key, ids in by_track.items():
            self._add(Entity("track", key, track_label[key], tuple(ids)), [("name", track_label[key])])

    # -- time lookups -----------------------------------------------------------------------

    def session(self, session_id: str) -> Session | None:
        return self.programme.sessions.get(session_id)

    def venue(self, session: Session) -> Venue | None:
        return self.programme.venue_of(session)

    def overlapping(self, start: datetime, end: datetime) -> list[Session]:
        """Sessions with some time in [start, end), in programme order."""
        lo = bisect.bisect_left(self._starts, start - self._longest)
        hi = bisect.bisect_left(self._starts, end)
        return [s for s in self.ordered[lo:hi] if s.end > start]

    def running_at(self, moment: datetime) -> list[Session]:
        """Sessions under way at ``moment`` (started, not yet ended)."""
        lo = bisect.bisect_left(self._starts, moment - self._longest)
        hi = bisect.bisect_right(self._starts, moment)
        return [s for s in self.ordered[lo:hi] if s.end > moment]

    def starting_from(self, moment: datetime, *, strictly: bool = False) -> Iterator[Session]:
        """Sessions starting at or after ``moment`` (strictly after if asked), in order."""
        find = bisect.bisect_right if strictly else bisect.bisect_left
        for position in range(find(self._starts, moment), len(self.ordered)):
            yield self.ordered[position]

    # -- word lookups -----------------------------------------------------------------------

    def match_word(self, word: str) -> tuple[WordMatch, ...]:
        """Vocabulary words a question word may stand for: exact, prefix, or a close typo."""
        query = stem(word)
        with self._lock:
            cached = self._match_cache.get(query)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if query in self._postings:
            found[query] = 1.0
        elif len(query) >= 4 and not query.isdigit():
            # only a word the programme does not use is read as a typo or a beginning
            start = bisect.bisect_left(self.vocabulary, query)
            for term in self.vocabulary[start : start + 50]:
                if not term.startswith(query):
                    break
                # most of a long word typed is as good as a close typo of it
                found.setdefault(term, 0.8 if len(query) >= 5 and len(word) >= 0.8 * len(term) else 0.7)
            cutoff = 80.0 if len(query) <= 5 else 75.0
            for term, score, _ in process.extract(
                query, self.vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5
            ):
                if term.isdigit():
                    continue
                found.setdefault(term, 0.8 * score / 100)
        if found:
            # a word typed nearly whole names that word, not the looser look-alikes of other names
            best = max(found.values())
            found = {term: sim for term, sim in found.items() if sim >= best - 0.1}
        for other in synonyms(query) or synonyms(word):
            if stem(other) in self._postings:
                found.setdefault(stem(other), 0.9)
        result = tuple(WordMatch(word, term, sim) for term, sim in found.items())
        with self._lock:
            if len(self._match_cache) > 10_000:
                self._match_cache.clear()
            self._match_cache[query] = result
        return result

    def is_vocabulary(self, word: str) -> bool:
        """True when the word (folded) appears as such somewhere in the programme."""
        return stem(word) in self._postings

    def is_name_pair(self, first: str, second: str) -> bool:
        """True when ``first second`` (folded) follow each other in a name ("l apres", "apres m")."""
        return (first, second) in self._name_pairs

    def near_words(self, word: str, limit: int = 3) -> list[str]:
        """Looser matches, for 'did you mean' suggestions only.

        Only among the words with the same first letter (a slip there is rare, and a scan of
        the whole vocabulary of a 10,000-session programme costs more than an answer may).
        """
        query = stem(word)
        if len(query) < 3:
            return []
        if self._by_initial is None:
            buckets: dict[str, list[str]] = defaultdict(list)
            for term in self.vocabulary:
                buckets[term[0]].append(term)
            self._by_initial = dict(buckets)
        candidates = self._by_initial.get(query[0], [])
        return [
            term for term, _, _ in process.extract(query, candidates, scorer=fuzz.ratio, score_cutoff=70, limit=limit)
        ]

    def score(self, matches: Iterable[WordMatch]) -> dict[int, tuple[float, tuple[str, ...]]]:
        """Entity number -> (score, question words it explains), summing each word's best hit.

        Built word by word (one flat dict per question word, merged at the end): a common word
        touches thousands of entities on a large programme, and this loop is the hot one.
        """
        per_word: dict[str, dict[int, float]] = {}
        for match in matches:
            factor = match.similarity * self.idf[match.term]
            best = per_word.setdefault(match.query, {})
            for number, weight in self._postings[match.term].items():
                value = factor * weight
                if best.get(number, 0.0) < value:
                    best[number] = value
        if len(per_word) == 1:
            ((word, best),) = per_word.items()
            explained = (word,)
            return {number: (value, explained) for number, value in best.items()}
        totals: dict[int, float] = defaultdict(float)
        words: dict[int, list[str]] = defaultdict(list)
        for word, best in per_word.items():
            for number, value in best.items():
                totals[number] += value
                words[number].append(word)
        return {number: (total, tuple(words[number])) for number, total in totals.items()}


_CACHE: OrderedDict[int, tuple[Programme, ProgrammeIndex]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
#: Indexes kept for an owner (a hosting worker's collective) beside the two latest versions: a
#: process answering for many programmes keeps each one's live index until that one changes.
_KEPT: dict[str, tuple[Programme, ProgrammeIndex]] = {}


def index_for(programme: Programme) -> ProgrammeIndex:
    """The index of this programme version, built on first use and reused after.

    Keyed by identity (a programme is immutable; the cache holds it, so its id cannot be
    reused while cached). Two versions are kept: the live one and the one just replaced.
    """
    key = id(programme)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is programme:
            _CACHE.move_to_end(key)
            return hit[1]
        for kept in _KEPT.values():
            if kept[0] is programme:
                return kept[1]
    built = ProgrammeIndex(programme)
    # A large programme and its index are hundreds of thousands of long-lived objects: left in
    # the collector's generations, every full collection (which answering's allocations set
    # off now and then) walks them all, a 50-100 ms pause on 10,000 sessions. Frozen, they are
    # still freed by reference counting when the version is dropped, just never walked; and
    # each new version first thaws everything, so what became cyclic garbage meanwhile (in the
    # whole process, not only here) is collected rather than kept forever.
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    with _CACHE_LOCK:
        _CACHE[key] = (programme, built)
        while len(_CACHE) > 2:
            _CACHE.popitem(last=False)
    return built


def keep(owner: str, index: ProgrammeIndex) -> ProgrammeIndex:
    """Make :func:`index_for` return ``index`` for its programme for as long as it is ``owner``'s
    live version (the owner's previous one is let go), however many other programmes are indexed
    meanwhile. A hosting worker keeps one per collective it answers for."""
    with _CACHE_LOCK:
        _KEPT[owner] = (index.programme, index)
    return index


def let_go(owner: str) -> None:
    """Forget ``owner``'s kept index (the owner is gone, or its worker keeps too many)."""
    with _CACHE_LOCK:
        _KEPT.pop(owner, None)


def adopt(index: ProgrammeIndex) -> ProgrammeIndex:
    """Make :func:`index_for` return ``index`` for its programme (one read from a file)."""
    with _CACHE_LOCK:
        _CACHE[id(index.programme)] = (index.programme, index)
        while len(_CACHE) > 2:
            _CACHE.popitem(last=False)
    return index


# --- the index kept in a file, for ``hub ask`` -------------------------------------------------
#
# Building the index of 10,000 sessions takes most of a second; reading it back a tenth. The file
# is the hub's own, beside its state database (whoever can write there can change the state
# itself), and it is read only when its first line names the programme version asked for and the
# code that wrote it: any other file, or one that cannot be read, is rebuilt, never trusted.

#: Bumped when what the file holds changes shape beyond what the code stamp sees.
INDEX_FORMAT = 1
#: The modules whose classes the file holds: a change to any of them makes older files stale.
_PICKLED_MODULES = ("bots.index", "bots.text", "sync.model")


def _code_stamp() -> str:
    digest = hashlib.sha256(f"{INDEX_FORMAT} {sys.version_info[:2]}".encode())
    for name in _PICKLED_MODULES:
        module = sys.modules.get(name)
        source = getattr(module, "__file__", None)
        digest.update(Path(source).read_bytes() if source else name.encode())
    return digest.hexdigest()


def save_index(index: ProgrammeIndex, path: Path, version: str) -> None:
    """Write ``index`` for programme ``version`` to ``path``, whole or not at all (a reader never
    sees half a file: it is written beside and renamed over)."""
    header = json.dumps({"code": _code_stamp(), "version": version}).encode() + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(header)
            pickle.dump(index, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_index(path: Path, version: str) -> ProgrammeIndex | None:
    """The index written by :func:`save_index` for programme ``version``, or None: no file, one
    for another version or written by other code, or one that cannot be read."""
    try:
        with path.open("rb") as data:
            header = json.loads(data.readline())
            if header != {"code": _code_stamp(), "version": version}:
                return None
            # Hundreds of thousands of objects: no collection while they arrive, and frozen after
            # (as index_for does), so later collections do not walk them.
            enabled = gc.isenabled()
            gc.disable()
            try:
                index = pickle.load(data)
            finally:
                gc.freeze()
                if enabled:
                    gc.enable()
    except Exception:  # a missing, truncated or foreign file is rebuilt: the caller says nothing
        return None
    return index if isinstance(index, ProgrammeIndex) else None
