"""Settings of a ``[connectors.<name>]`` section with ``type = "framadate"``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from config.connector import ConnectorConfig


class FramadateConfig(ConnectorConfig):
    """One Framadate instance, and where a closed date poll's meeting goes."""

    type: Literal["framadate"] = "framadate"
    url: str = Field(description="The instance's address, e.g. https://framadate.org")
    language: Literal["fr", "en"] | None = Field(
        default=None,
        description="Language the instance is asked to speak (its CSV answers, Oui/Yes); default: the hub's.",
    )
    admin_name: str = Field(default="Commons Hub", min_length=1, max_length=32,
                            description="The polls' author as Framadate shows it (32 characters at most).")
    admin_email: str | None = Field(
        default=None, description="Needed by instances that send the admin link by e-mail (most do)."
    )
    meetings_calendar: str | None = Field(
        default=None, description="Name of a caldav or nextcloud section: the organisers' calendar for meetings."
    )
    notes_pad: str | None = Field(default=None, description="Name of an etherpad section: where notes pads are made.")
    visio_url: str | None = Field(default=None, description="The meetings' video room (BigBlueButton, Jitsi...).")
    announce_to: list[str] = Field(
        default_factory=list, description="Chat sections ('<name>' or '<name>:<chat>') told of polls and meetings."
    )
    meeting_minutes: int = Field(default=90, gt=0, description="A meeting's length when its slot gives no end.")
    keep_days: int = Field(default=60, gt=0, description="Days Framadate keeps a poll after its closing date.")
