"""What every tool's step of ``hub init`` shares: the asker, the folder, the programme, the
names already taken, and the few checks a person's answers go through (a web address, a slug).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from hub.init.prompt import Asker, Invalid
from hub.init.section import Section, prove
from sync.model import Programme

T = TypeVar("T")


@dataclass
class Setup:
    """The wizard's state, handed to each tool's ``configure``."""

    asker: Asker
    folder: Path
    programme: Programme | None = None
    taken: set[str] = field(default_factory=set)

    @property
    def lang(self) -> str:
        return self.asker.lang

    def say(self, key: str, **values: object) -> str:
        return self.asker.say(key, **values)

    def event_slug(self, fallback: str = "programme") -> str:
        """The event's id (a slug already), for default calendar, pad and page names."""
        return self.programme.event.id if self.programme is not None else fallback

    def name(self, wanted: str) -> str:
        """A section name not yet in the configuration (``calendar``, else ``calendar-2``...)."""
        name, n = wanted, 1
        while name in self.taken:
            n += 1
            name = f"{wanted}-{n}"
        self.taken.add(name)
        return name

    def attempt(self, keys: tuple[str, ...], step: Callable[[], T]) -> T:
        """Run ``step`` (which asks ``keys`` and proves them) until it succeeds: a refusal is
        explained and those questions are asked again (from a file, it stops the wizard)."""
        while True:
            try:
                return step()
            except Invalid as exc:
                self.asker.refuse(keys[0], str(exc))
                self.asker.forget(*keys)

    def prove(self, section: Section) -> list[str]:
        """The connector's own check on the section; each proof printed as it comes."""
        lines = prove(section, self.folder, self.lang)
        for line in lines:
            self.asker.out(self.say("proved", name=section.name, detail=line))
        return lines


def web_address(lang: str) -> Callable[[str], str]:
    """An address a person typed, made whole: ``nuage.example.org`` -> ``https://nuage.example.org``."""
    from hub.init.messages import MESSAGES

    def check(text: str) -> str:
        text = text.strip()
        if "://" not in text:
            text = "https://" + text
        scheme, _, rest = text.partition("://")
        if scheme.lower() not in ("http", "https") or not rest or " " in rest:
            raise Invalid(MESSAGES.say("answer.not_url", lang, answer=text))
        return text

    return check


def slug(text: str) -> str:
    """``Assemblée des communs`` -> ``assemblee-des-communs``: a name every tool accepts."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
