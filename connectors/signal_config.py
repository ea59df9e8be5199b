"""``[connectors.<name>]`` with ``type = "signal"``: its settings and how its admins are read.

Pydantic only: checking a configuration does not import signalbot or aiohttp
(:mod:`connectors.signal` is imported when the connector is built).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from config.words import Refusal
from connectors.chat_config import ChatConfig, admin_identities

#: A phone number as Signal gives it: ``+``, the country code, the number (E.164, 15 digits at most).
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
#: A Signal account's ACI, as signal-cli prints it (any case accepted; lower case is canonical).
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def signal_admin(value: str) -> str:
    """A configured admin as signal-cli names a sender: an E.164 number (``+`` and digits) or an
    account's ACI UUID, in lower case as signal-cli writes it."""
    text = value.strip()
    if E164.fullmatch(text):
        return text
    if UUID.fullmatch(text):
        return text.lower()
    raise Refusal(
        f"{value!r} n'est ni un numéro au format international (+ puis des chiffres, sans espace : "
        "+33612345678) ni l'UUID d'un compte Signal (0b3c7e7e-1111-4222-8333-944455556666) ; "
        "les noms et pseudos sont choisis par chacun et ne sont jamais admins",
        f"{value!r} is neither a phone number in international form (+ then digits, no spaces: "
        "+33612345678) nor a Signal account UUID (0b3c7e7e-1111-4222-8333-944455556666); "
        "names and usernames are chosen by people and are never admins",
    )


class SignalConfig(ChatConfig):
    """``[connectors.<name>]`` with ``type = "signal"``."""

    type: Literal["signal"] = "signal"
    url: str = Field("http://127.0.0.1:8080", description="signal-cli-rest-api base URL.")
    number: str = Field(description="The bot's registered number, e.g. +33600000000.")
    groups: list[str] = Field(description="Group ids ('group.…') the bot writes to.")
    username: str | None = None
    password: SecretStr | None = None
    password_file: str | None = None
    admins: list[str] = Field(
        default_factory=list,
        description="Phone numbers (E.164, +33612345678) or account UUIDs allowed admin commands.",
    )
    edit_window_hours: float = Field(23.0, gt=0, description="Edit only messages younger than this.")
    limit: int = Field(2000, ge=200, le=20000, description="Longest message, in characters.")
    pace_seconds: float = Field(1.0, ge=0)
    per_minute: int = Field(20, ge=0)
    max_wait: float = Field(10.0, ge=0)

    @field_validator("admins")
    @classmethod
    def _admins(cls, values: list[str]) -> list[str]:
        return admin_identities(values, signal_admin)

