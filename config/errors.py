"""The root of the hub's error tree and the configuration's own errors.

They live at the bottom layer so that reading the configuration needs nothing above it;
:mod:`sync.errors` grows the rest of the tree from :class:`HubError`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (file, line, field) and what.

    ``lang`` is the language ``message`` is in: the place is then said in it too
    (``hub.toml, champ « hub.language » : ...``); without one, the place is said in English.
    """

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    lang: str | None = dataclasses.field(default=None, compare=False)

    def __str__(self) -> str:
        from config.messages import say

        lang = self.lang or "en"
        where = []
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line else ""))
        if self.field:
            where.append(say("where.field", lang, field=self.field))
        prefix = ", ".join(where)
        return say("said", lang, where=prefix, message=self.message) if prefix else self.message


class ProblemsError(HubError):
    """An error made of one or more problems, each saying where and what."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(ProblemsError):
    """The configuration file or environment is wrong; nothing was contacted."""

    @property
    def lang(self) -> str | None:
        """The language the problems are said in (the configuration's, when it was read)."""
        return next((p.lang for p in self.problems if p.lang), None)
