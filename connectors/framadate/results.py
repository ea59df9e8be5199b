"""Framadate's CSV export read back: the columns (day and time, or choice) and each person's answers.

The layout is ``exportcsv.php``'s: every cell double-quoted, each line ending with ``,``; a date
poll has a line of day labels (the server's IntlDateFormatter SHORT: ``10/5/21`` in English,
``05/10/2021`` in French) and a line of times, a classic poll one line of choices. Answers are
words in the language the request was answered in (``Yes``/``Oui``, ``Under reserve``/``Si
nécessaire``, ``No``/``Non``, ``Unknown``/``Inconnu``), so every known language's words are read.
Cells starting with ``= + - @`` come prefixed with ``'`` (spreadsheet formula guard): undone here.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from connectors.framadate.messages import say
from sync.errors import PermanentError

YES, MAYBE, NO = 2, 1, 0
#: exportcsv.php's words for the stored codes, per language (``locale/*.json``, ``Generic``).
ANSWERS: dict[str, dict[str, int | None]] = {
    "fr": {"Oui": YES, "Si nécessaire": MAYBE, "Non": NO, "Inconnu": None},
    "en": {"Yes": YES, "Under reserve": MAYBE, "No": NO, "Unknown": None},
}


@dataclass(frozen=True)
class Column:
    """One answerable column: a day and a time of a date poll, or a classic poll's choice."""

    label: str
    day: date | None = None
    moment: str = ""


@dataclass
class Tally:
    yes: int = 0
    maybe: int = 0
    no: int = 0

    def to_json(self) -> dict[str, int]:
        return {"yes": self.yes, "maybe": self.maybe, "no": self.no}


@dataclass
class Results:
    columns: list[Column]
    voters: list[tuple[str, list[int | None]]] = field(default_factory=list)

    def tallies(self) -> list[Tally]:
        counts = [Tally() for _ in self.columns]
        for _name, answers in self.voters:
            for tally, answer in zip(counts, answers, strict=False):
                if answer == YES:
                    tally.yes += 1
                elif answer == MAYBE:
                    tally.maybe += 1
                elif answer == NO:
                    tally.no += 1
        return counts


def digest(text: str) -> str:
    """What tells an unchanged export from a changed one (Framadate sends no ETag)."""
    return hashlib.sha256(text.encode()).hexdigest()


def _cell(text: str) -> str:
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1] in "=+-@" else text


def _rows(text: str) -> list[list[str]]:
    """The export's rows; ``csv.Error`` for text no CSV reader makes rows of.

    ``newline=""`` hands every line ending (``\r\n``, ``\n``, a lone ``\r``) to the csv
    module, which is what it expects: a lone ``\r`` in an unquoted cell would otherwise stop it
    ("new-line character seen in unquoted field")."""
    rows = []
    for row in csv.reader(io.StringIO(text, newline="")):
        if row and row[-1] == "":
            row = row[:-1]  # every line ends with a comma
        if row:
            rows.append([_cell(c) for c in row])
    return rows


def parse_day(label: str, lang: str) -> date | None:
    """A day label of the export: the language's SHORT date, or ISO."""
    formats = {"en": ("%m/%d/%y", "%m/%d/%Y"), "fr": ("%d/%m/%Y", "%d/%m/%y")}.get(lang, ())
    for fmt in (*formats, "%Y-%m-%d"):
        try:
            return datetime.strptime(label, fmt).date()  # noqa: DTZ007 (a calendar day)
        except ValueError:
            continue
    return None


def parse_csv(text: str, *, dates: bool, lang: str, poll: str, said: str) -> Results:
    """The export as columns and answers; a word no language knows is an error, not a guess."""
    try:
        rows = _rows(text.lstrip("\ufeff"))
    except csv.Error as exc:  # a cell over the csv module's size limit, a broken line
        raise PermanentError(say("error.csv", said, poll=poll, why=str(exc))) from None
    header_lines = 2 if dates else 1
    if len(rows) < header_lines:
        raise PermanentError(say("error.csv", said, poll=poll, why="no header"))
    if dates:
        days, times = rows[0][1:], rows[1][1:]
        if len(days) != len(times):
            raise PermanentError(say("error.csv", said, poll=poll, why="day and time lines differ in length"))
        columns = [Column(f"{d} {t}".strip(), parse_day(d, lang), t) for d, t in zip(days, times, strict=True)]
    else:
        columns = [Column(label) for label in rows[0][1:]]
    words = {**{w: c for other in ANSWERS.values() for w, c in other.items()}, **ANSWERS.get(lang, {})}
    results = Results(columns)
    for row in rows[header_lines:]:
        answers: list[int | None] = []
        for word in row[1:1 + len(columns)]:
            if word not in words:
                raise PermanentError(say("error.answer", said, poll=poll, word=word))
            answers.append(words[word])
        results.voters.append((row[0], answers))
    return results
