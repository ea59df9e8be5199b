"""Settings every chat connector section has (Telegram, Signal), and how their admins are read.

Kept apart from :mod:`connectors.chat_base` so that validating a configuration needs pydantic
only: the chat libraries are imported when a connector is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar, Literal, TypeVar

from pydantic import Field
from pydantic_core import PydanticCustomError

from config.connector import ConnectorConfig
from config.words import Refusal

Raw = TypeVar("Raw")
Identity = TypeVar("Identity", int, str)

#: The session fields a chat shows (its day messages): what its ``owns`` may name.
CHAT_FIELDS: tuple[str, ...] = ("title", "start", "end", "venue", "status")


class ChatConfig(ConnectorConfig):
    """Settings every chat connector has."""

    carries: ClassVar[tuple[str, ...] | None] = CHAT_FIELDS

    language: Literal["fr", "en"] | None = None
    board: bool = Field(True, description="Keep a programme message per day in each chat.")
    board_file: str | None = Field(None, description="Where the board's message ids are kept (default: state store).")


def admin_identities(values: Iterable[Raw], identity: Callable[[Raw], Identity]) -> list[Identity]:
    """Each configured admin as the one platform identity a sender must show to be that admin
    (``identity`` checks and normalises one value, raising ``ValueError`` with the reason),
    duplicates dropped. Bad values are one configuration error naming the setting and each value."""
    found: list[Identity] = []
    problems: list[ValueError] = []
    for value in values:
        try:
            ident = identity(value)
        except ValueError as exc:
            problems.append(exc)
            continue
        if ident not in found:
            found.append(ident)
    if problems:
        said = {lang: "; ".join(p.say(lang) if isinstance(p, Refusal) else str(p) for p in problems)
                for lang in ("fr", "en")}
        raise PydanticCustomError("admin_identity", "{en}", said)
    return found
