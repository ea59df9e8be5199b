"""Secrets never reach a log line, an error text or the state store, even from a library."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from config.secrets import Redactor, secret_values
from hub.runtime import build_engine, load_settings
from sync.state import StateStore


def settings_with_secrets(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "etherpad-key").write_text("file-secret-123456\n", encoding="utf-8")
    config = tmp_path / "hub.toml"
    config.write_text(
        '[hub]\ndatabase = "postgresql://hub:db-password-42@127.0.0.1/hub"\n'
        '[connectors.pad]\ntype = "etherpad"\nurl = "http://127.0.0.1:9"\npad = "p"\napi_key_file = "etherpad-key"\n'
        '[connectors.tg]\ntype = "telegram"\nchats = [1]\n',
        encoding="utf-8",
    )
    return load_settings(config, {"HUB_CONNECTORS__TG__TOKEN": "123456:env-token-abcdef"})


def test_every_secret_is_found(tmp_path: Path) -> None:
    found = secret_values(settings_with_secrets(tmp_path))
    assert {"file-secret-123456", "db-password-42", "123456:env-token-abcdef"} <= found


def test_log_records_and_tracebacks_are_masked(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    redactor = Redactor(secret_values(settings_with_secrets(tmp_path)))
    logger = logging.getLogger("hub.test")
    caplog.handler.addFilter(redactor)
    try:
        raise RuntimeError("GET https://api.example/bot123456:env-token-abcdef/getMe failed")
    except RuntimeError:
        logger.exception("call with key %s failed", "file-secret-123456")
    text = caplog.text
    assert "env-token-abcdef" not in text and "file-secret-123456" not in text
    assert "call with key *** failed" in text and "bot***/getMe" in text


def test_engine_errors_are_masked(tmp_path: Path) -> None:
    settings = settings_with_secrets(tmp_path)
    engine = build_engine(settings, store=StateStore.open("sqlite://"))
    described = engine.describe(ConnectionError("db-password-42 refused"))
    assert described == "ConnectionError: *** refused"


def test_credentials_in_a_url_are_masked_even_when_not_configured() -> None:
    redactor = Redactor()
    text = redactor("POST http://127.0.0.1:9001/api/1/setText?apikey=abcdef123&padID=p failed (access_token=xyz)")
    assert text == "POST http://127.0.0.1:9001/api/1/setText?apikey=***&padID=p failed (access_token=***)"


def test_a_bare_database_path_holds_no_password(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text('[hub]\ndatabase = "state/hub.db"\n', encoding="utf-8")
    assert secret_values(load_settings(config, {})) == set()
