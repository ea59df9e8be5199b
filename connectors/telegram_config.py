"""``[connectors.<name>]`` with ``type = "telegram"``: its settings and how its admins are read.

Pydantic only: checking a configuration does not import python-telegram-bot
(:mod:`connectors.telegram` is imported when the connector is built).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator

from config.words import Refusal
from connectors.chat_config import ChatConfig, admin_identities

PUBLIC_API = "https://api.telegram.org"
#: Telegram's stand-in accounts (python-telegram-bot's ``telegram.constants.ChatID``:
#: ANONYMOUS_ADMIN, FAKE_CHANNEL, SERVICE_CHAT; ``tests/unit/test_lean_start.py`` checks they are the same).
ANONYMOUS_ADMIN, FAKE_CHANNEL, SERVICE_CHAT = 1087968824, 136817688, 777000

#: Telegram's own accounts that stand in ``from`` for a sender it hides: never a person, so never
#: an admin (anyone posting as a channel, or anonymously as a group admin, shows as one of them).
STAND_INS: dict[int, dict[str, str]] = {
    ANONYMOUS_ADMIN: {
        "en": "@GroupAnonymousBot, the sender shown for group admins who post anonymously",
        "fr": "@GroupAnonymousBot, l'expéditeur affiché pour les admins d'un groupe qui écrivent anonymement",
    },
    FAKE_CHANNEL: {
        "en": "@Channel_Bot, the sender shown for messages posted on behalf of a channel",
        "fr": "@Channel_Bot, l'expéditeur affiché pour les messages publiés au nom d'un canal",
    },
    SERVICE_CHAT: {
        "en": "Telegram's service account, the sender shown for posts forwarded from a linked channel",
        "fr": "le compte de service de Telegram, l'expéditeur affiché pour les messages transférés d'un canal lié",
    },
}


def telegram_admin(value: object) -> int:
    """A configured admin as the numeric user id Telegram gives as ``from.id`` of their messages."""
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refusal(
            f"{value!r} n'est pas un identifiant d'utilisateur Telegram : les admins sont des identifiants "
            "numériques (comme 123456789), jamais des @noms ou des noms, que chacun choisit et change",
            f"{value!r} is not a Telegram user id: admins are numeric user ids (like 123456789), "
            "never @usernames or names, which people choose and change",
        )
    if value <= 0:
        raise Refusal(
            f"{value} n'est pas un identifiant d'utilisateur (ils sont positifs ; les groupes et canaux ont "
            "des identifiants négatifs) : les admins sont des personnes, nommées par leur identifiant numérique",
            f"{value} is not a user id (those are positive; groups and channels have negative chat ids): "
            "admins are people, named by their numeric user id",
        )
    if value in STAND_INS:
        raise Refusal(
            f"{value} est {STAND_INS[value]['fr']} : ce n'est personne en particulier, donc pas un admin",
            f"{value} is {STAND_INS[value]['en']}: it is nobody in particular, so it cannot be an admin",
        )
    return value


class TelegramConfig(ChatConfig):
    """``[connectors.<name>]`` with ``type = "telegram"``."""

    type: Literal["telegram"] = "telegram"
    api_url: str = Field(PUBLIC_API, description="Bot API server (self-hosted or the public one).")
    token: SecretStr | None = None
    token_file: str | None = None
    chats: list[int | str] = Field(description="Chat ids (or @channel names) the bot writes to.")
    admins: list[int] = Field(
        default_factory=list,
        description="Numeric user ids (a message's from.id) allowed admin commands; never usernames.",
    )
    pace_seconds: float = Field(1.0, ge=0)
    group_per_minute: int = Field(20, ge=0)
    max_wait: float = Field(10.0, ge=0, description="Longest rate-limit pause slept inline.")
    overall_per_second: int = Field(
        30, ge=1, description="Most messages a second over all the chats together (Telegram's bulk limit).",
    )
    parallel_chats: int = Field(
        8, ge=1, description="How many chats an announcement is sent to at once (each chat still in order).",
    )
    webhook_url: str | None = Field(
        None, description="Public URL of the daemon's POST /webhooks/telegram: Telegram pushes the chats' "
        "messages there instead of being polled (needs webhook_secret).",
    )
    webhook_secret: SecretStr | None = Field(
        None, description="The secret token Telegram sends in X-Telegram-Bot-Api-Secret-Token "
        "(1-256 characters: letters, digits, _ and -).",
    )
    webhook_secret_file: str | None = None

    @field_validator("admins", mode="before")
    @classmethod
    def _admins(cls, values: Any) -> Any:
        return admin_identities(values, telegram_admin) if isinstance(values, list) else values
