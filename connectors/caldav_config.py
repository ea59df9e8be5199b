"""``[connectors.<name>]`` with ``type = "caldav"``: one calendar collection.

Pydantic only: checking a configuration does not import the connector's code
(:mod:`connectors.caldav` is imported when the connector is built).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from config.connector import ConnectorConfig


class CalDAVConfig(ConnectorConfig):
    """``[connectors.<name>]`` with ``type = "caldav"``: one calendar collection."""

    type: Literal["caldav"] = "caldav"
    url: str
    username: str | None = None
    password: SecretStr | None = None
    password_file: str | None = None
    verify: bool | str = True  # or the path of a CA bundle (self-signed servers)
    writes_in_flight: int | None = Field(
        None, ge=1, le=32,
        description="Writes sent to the calendar at once (default 1). Two keep a server that writes one "
        "request at a time (Radicale) from waiting for the client between writes; a server that refuses "
        "writes side by side (Xandikos: 423 Locked) is then written one at a time.",
    )

