"""Settings of a ``[connectors.<name>]`` section with ``type = "email"``.

A mailing list is reached by SMTP submission, like any mail client: the collective's own server
(port 587 with STARTTLS, or 465 with implicit TLS) and an account allowed to write with the
``from`` address. ``to`` is the list's posting address (one, usually; each address gets its own
message, so one list refusing does not hold another).
"""

from __future__ import annotations

import re
from datetime import time
from email.headerregistry import Address
from email.utils import getaddresses, parseaddr
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from config.connector import ConnectorConfig

#: ``digest = "18:00"``: hours and minutes, 24-hour clock.
DIGEST = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_WEB = r"^https?://[^\s/]+"


def mailbox(value: str) -> str:
    """An address as SMTP names it (``liste@listes.example.org``): plain ASCII, one ``@``, a
    domain with a dot. A display name is refused here: a list's posting address has none."""
    text = value.strip()
    if not _ADDRESS.fullmatch(text):
        raise ValueError(f"{value!r} is not an e-mail address (name@domain.example, ASCII)")
    return text


class EmailConfig(ConnectorConfig):
    """A mailing list (Sympa, Mailman, a plain alias): announcements by SMTP submission."""

    #: A list is told of changes, it carries no session field.
    carries: ClassVar[tuple[str, ...] | None] = ()

    type: Literal["email"] = "email"
    host: str = Field(min_length=1, description="SMTP submission server, e.g. smtp.example.org.")
    port: int | None = Field(None, ge=1, le=65535, description="Default: 465 with tls, else 587.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS (ignored with tls = true).")
    tls: bool = Field(False, description="Implicit TLS from the first byte (port 465).")
    ca_bundle: str | None = Field(
        None, description="PEM file of the authorities to trust instead of the system's (a private CA)."
    )
    username: str | None = Field(None, description="SMTP account; none for a server that relays without login.")
    password: SecretStr | None = None
    password_file: str | None = None
    sender: str = Field(alias="from", description="From: 'Assemblée des communs <hub@example.org>' or an address.")
    to: list[str] = Field(min_length=1, description="The list's posting address (each gets its own message).")
    language: Literal["fr", "en"] | None = Field(None, description="Language of the messages; default [hub].")
    reply_to: str | None = Field(None, description="Reply-To: where replies go (an organisers' address).")
    list_id: str | None = Field(
        None, description="List-Id of the list (assemblee.listes.example.org), for readers' filters."
    )
    programme_url: str | None = Field(None, pattern=_WEB, description="The web programme, linked in each message.")
    ics_url: str | None = Field(None, pattern=_WEB, description="The ICS export, linked in each message.")
    digest: str | None = Field(
        None, description="'18:00': one message a day with the day's changes (event time zone), "
        "sent by the first sync at or after that time, instead of one per batch.",
    )

    @field_validator("to")
    @classmethod
    def _to(cls, values: list[str]) -> list[str]:
        found: list[str] = []
        for value in values:
            address = mailbox(value)
            if address.lower() not in {a.lower() for a in found}:
                found.append(address)
        return found

    @field_validator("sender", "reply_to")
    @classmethod
    def _header_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        pairs = getaddresses([value])
        if len(pairs) != 1 or "\n" in value or "\r" in value:
            raise ValueError(f"{value!r}: one address, 'Name <name@domain.example>' or 'name@domain.example'")
        mailbox(pairs[0][1])
        return value.strip()

    @field_validator("list_id")
    @classmethod
    def _list_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip().strip("<>")
        if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+\.[A-Za-z0-9.-]+", text):
            raise ValueError(f"{value!r}: a list id looks like assemblee.listes.example.org")
        return text

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        if value is not None and not DIGEST.fullmatch(value.strip()):
            raise ValueError(f"{value!r}: a time of day as HH:MM, e.g. '18:00'")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _login(self) -> EmailConfig:
        if (self.password is not None or self.password_file) and not self.username:
            raise ValueError("a password without username: set username too")
        return self

    # derived ----------------------------------------------------------------------------------
    @property
    def server_port(self) -> int:
        return self.port if self.port is not None else 465 if self.tls else 587

    @property
    def envelope_sender(self) -> str:
        """The bare address of ``from`` (what MAIL FROM carries)."""
        return parseaddr(self.sender)[1]

    @property
    def from_header(self) -> Address:
        name, address = parseaddr(self.sender)
        user, _, domain = address.partition("@")
        return Address(display_name=name, username=user, domain=domain)

    @property
    def domain(self) -> str:
        """The sender's domain: Message-IDs are made under it."""
        return self.envelope_sender.rpartition("@")[2].lower()

    @property
    def digest_time(self) -> time | None:
        if self.digest is None:
            return None
        hours, minutes = self.digest.split(":")
        return time(int(hours), int(minutes))
