"""Fixtures for the e-mail connector: a real SMTP server on loopback (STARTTLS, AUTH) and
connectors bound to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.email import EmailConfig, EmailConnector
from sync.protocol import ConnectorContext
from tests.fakes.smtp import LIST, PASSWORD, SENDER, USER, SMTPServer

MakeConnector = Callable[..., EmailConnector]


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SMTPServer]:
    with SMTPServer(tmp_path).running() as server:
        yield server


def settings(server: SMTPServer, **overrides: Any) -> dict[str, Any]:
    """A connector section for ``server`` (the password in a file beside it)."""
    return {
        "type": "email",
        "host": "localhost",
        "port": server.port,
        "username": USER,
        "password_file": "smtp.password",
        "ca_bundle": str(server.ca_bundle),
        "from": f"Assemblée des communs <{SENDER}>",
        "to": [LIST],
        "programme_url": "https://assemblee.example.org/programme/",
        "ics_url": "https://assemblee.example.org/programme/programme.ics",
        **overrides,
    }


@pytest.fixture
def make_connector(
    smtp: SMTPServer, tmp_path: Path, make_context: Callable[..., ConnectorContext]
) -> MakeConnector:
    (tmp_path / "smtp.password").write_text(PASSWORD + "\n", encoding="utf-8")

    def make(hub_language: str = "fr", **overrides: Any) -> EmailConnector:
        config = EmailConfig.model_validate(settings(smtp, **overrides))
        return EmailConnector("liste", config, make_context("liste", hub_language))

    return make
