"""Secrets never reach a log line, an error text or the state store, even from a library."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from config.redaction import Redactor
from config.secrets import secret_values
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


def test_a_secret_is_masked_in_every_encoding_a_request_carries(tmp_path: Path) -> None:
    """An error body echoing the request: the Etherpad key URL- or form-encoded, the WordPress
    application password as HTTP Basic's base64, a token JSON- or XML-escaped."""
    import base64
    import json
    from urllib.parse import quote, quote_plus

    key = "EP+Secret/key&1 é"
    (tmp_path / "key").write_text(key, encoding="utf-8")
    config = tmp_path / "hub.toml"
    config.write_text(
        '[connectors.pad]\ntype = "etherpad"\nurl = "http://127.0.0.1:9"\npad = "p"\napi_key_file = "key"\n'
        '[connectors.site]\ntype = "wordpress"\nurl = "http://127.0.0.1:9"\nusername = "hub"\n'
        'application_password = "abcd EFGH ijkl MNOP qrst UVWX"\n',
        encoding="utf-8",
    )
    redact = Redactor(secret_values(load_settings(config, {})))
    basic = base64.b64encode(b"hub:abcd EFGH ijkl MNOP qrst UVWX").decode()
    echoes = [
        f"POST /api/1.2.15/setText?apikey={quote(key, safe='')}&padID=p",
        f"body: padID=p&apikey={quote_plus(key)}&text=x",
        f'{{"request": {{"key": {json.dumps(key)}}}}}',
        f'{{"request": {{"key": {json.dumps(key, ensure_ascii=False)}}}}}',
        f"<param><value>{key.replace('&', '&amp;')}</value></param>",
        f"the proxy saw the header Authorization: Basic {basic}",
        f"credentials {basic} refused",
        f"X-Token: {base64.b64encode(key.encode()).decode()}",
    ]
    for echo in echoes:
        said = redact(echo)
        assert "Secret" not in said and basic not in said and "EFGH" not in said, said
        assert "***" in said


def test_any_authorization_value_is_masked_even_when_not_configured() -> None:
    said = Redactor()("401 for Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJodWIifQ.c2ln "
                      "and Basic aHViOnNlY3JldA==")
    assert said == "401 for Authorization: Bearer *** and Basic ***"


def test_a_secret_too_short_to_mask_is_refused_at_load(tmp_path: Path) -> None:
    from config.errors import ConfigError

    config = tmp_path / "hub.toml"
    config.write_text('[connectors.cal]\ntype = "caldav"\nurl = "http://127.0.0.1:9/"\nusername = "u"\n'
                      'password = "12345"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"field 'connectors.cal.password': fewer than 6 characters"):
        load_settings(config, {"HUB_LANGUAGE": "en"})
    with pytest.raises(ConfigError, match=r"champ « connectors.cal.password » : moins de 6 caractères"):
        load_settings(config, {"HUB_LANGUAGE": "fr"})
    config.write_text('[connectors.cal]\ntype = "caldav"\nurl = "http://127.0.0.1:9/"\nusername = "u"\n'
                      'password_file = "pw"\n', encoding="utf-8")
    (tmp_path / "pw").write_text("abc\n", encoding="utf-8")
    section = load_settings(config, {}).connectors[0].config
    with pytest.raises(ConfigError, match=r"holds fewer than 6 characters"):
        section.secret("password", tmp_path, lang="en")
