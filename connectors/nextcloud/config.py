"""``[connectors.<name>]`` with ``type = "nextcloud"``: its settings and how its Talk admins are read.

Pydantic only: checking a configuration does not import the connector's HTTP and calendar code
(:mod:`connectors.nextcloud.connector` is imported when the connector is built).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from config.connector import ConnectorConfig
from config.words import Refusal
from connectors.chat_config import admin_identities

#: The actor type of the server's own accounts: the only actors an admin can be.
USERS = "users"


def talk_admin(value: str) -> str:
    """A configured Talk admin as the sender it must match: ``users/<id>``.

    A bare ``<id>`` means ``users/<id>`` (Nextcloud user ids never contain ``/``); any other
    actor type (``guests/…``, ``bridged/…``, ``federated_users/…``...) is refused, since anyone
    can take such an id.
    """
    text = value.strip()
    kind, _, ident = text.rpartition("/") if "/" in text else (USERS, "", text)
    if kind != USERS or not ident:
        raise Refusal(
            f"{value!r} ne peut pas être admin : seul un compte du serveur Nextcloud le peut, donné sous "
            "la forme users/<identifiant> ou par son seul identifiant (un invité, un utilisateur relayé ou "
            "fédéré ou un bot peut porter n'importe quel identifiant)",
            f"{value!r} cannot be an admin: only an account of the Nextcloud server can, given as "
            "users/<user id> or its bare user id (a guest, a bridged or federated user or a bot can "
            "have any id)",
        )
    return f"{USERS}/{ident}"


class NextcloudConfig(ConnectorConfig):
    """``[connectors.<name>]`` with ``type = "nextcloud"``."""

    type: Literal["nextcloud"] = "nextcloud"
    url: str = Field(description="Base URL of the Nextcloud server, e.g. https://nuage.example.org")
    username: str
    app_password: SecretStr | None = None
    app_password_file: str | None = None
    calendar: str = Field(description="URL segment of the calendar (not its display name).")
    folder: str | None = Field(
        None, description="Folder of the account the exports are published into."
    )
    talk_room: str | None = Field(None, description="Talk room token for announcements.")
    talk_admins: list[str] = Field(
        default_factory=list,
        description="Nextcloud accounts allowed admin commands in the Talk room: users/<user id> "
        "(a bare user id means the same). Guests, bridged and federated users never are.",
    )
    staging: str | None = Field(None, description="Local folder where the exports are rendered.")
    verify: bool | str = True
    talk_bot_secret: SecretStr | None = Field(
        None, description="Secret of the Talk webhook bot installed with 'occ talk:bot:install' (40 to 128 "
        "characters): Talk then pushes the room's messages to the daemon's POST /webhooks/talk, signed with it, "
        "instead of being long-polled.",
    )
    talk_bot_secret_file: str | None = None

    @field_validator("talk_admins")
    @classmethod
    def _talk_admins(cls, values: list[str]) -> list[str]:
        return admin_identities(values, talk_admin)

