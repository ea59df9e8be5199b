"""Configuration: clear errors naming the field, environment overrides, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.runtime import load_settings
from sync.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_environment_overrides_nested_values(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nlanguage = "fr"\n[connectors.site]\ntype = "files"\npath = "public"\n')
    settings = load_settings(path, {"HUB_HUB__LANGUAGE": "en", "HUB_CONNECTORS__SITE__PATH": "elsewhere",
                                    "HUB_REQUIRE_PEERS": "1"})
    assert settings.hub.language == "en"
    assert settings.connectors[0].config.path == "elsewhere"  # type: ignore[attr-defined]


def test_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[hub]\ndatabase = "sqlite:///state/hub.db"\n'), {})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/state/hub.db"


def test_every_problem_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nlanguage = "de"\n[connectors.a]\ntype = "nope"\n[connectors.b]\npath = "x"\n'
                           '[connectors.c]\ntype = "files"\n'
                           '[connectors.d]\ntype = "files"\npath = "p"\nowns = ["colour"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    text = str(caught.value)
    assert "field 'hub.language'" in text
    assert "connectors.a.type: unknown connector type 'nope'" in text
    assert "field 'connectors.b.type': missing 'type'" in text
    assert "field 'connectors.c.path'" in text
    assert "field 'connectors.d.owns': colour not carried by 'files'" in text


def test_review_settings_are_checked_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nadmin_chats = ["telegram:-100", "site"]\n'
                           '[connectors.site]\ntype = "files"\npath = "p"\nreview = "sometimes"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    text = str(caught.value)
    assert "field 'hub.admin_chats': 'telegram:-100' names no connector section (known: site)" in text
    assert "field 'connectors.site.review'" in text
    good = write(tmp_path, '[hub]\nadmin_chats = ["site"]\n[connectors.site]\ntype = "files"\npath = "p"\n'
                           'review = "deletions"\nreview_ratio = 0.1\n')
    settings = load_settings(good, {})
    assert settings.connectors[0].config.review == "deletions" and settings.hub.programme_review == "never"


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"hub.toml: not valid TOML: .*line 1"):
        load_settings(write(tmp_path, "[hub\n"), {})


def test_secrets_come_from_files_and_never_show(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t-value\n", encoding="utf-8")
    path = write(tmp_path, f'[connectors.pad]\ntype = "etherpad"\nurl = "http://127.0.0.1:9"\npad = "p"\n'
                           f'api_key_file = "{secret}"\n')
    settings = load_settings(path, {})
    config = settings.connectors[0].config
    assert config.secret("api_key", tmp_path) == "s3cr3t-value"
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in repr(config)
    from_env = load_settings(write(tmp_path, '[connectors.pad]\ntype = "etherpad"\nurl = "http://127.0.0.1:9"\n'
                                             'pad = "p"\n'), {"HUB_CONNECTORS__PAD__API_KEY": "env-secret"})
    assert "env-secret" not in repr(from_env)
    assert from_env.connectors[0].config.secret("api_key") == "env-secret"


CHATS = """
[connectors.telegram]
type = "telegram"
chats = [-1001234567890]
admins = {telegram}

[connectors.signal]
type = "signal"
number = "+33600000000"
groups = ["group.abc"]
admins = {signal}

[connectors.nuage]
type = "nextcloud"
url = "https://nuage.example.org"
username = "hub"
calendar = "assemblee"
talk_room = "abcd1234"
talk_admins = {talk}
"""


def chats(tmp_path: Path, telegram: str = "[]", signal: str = "[]", talk: str = "[]") -> Path:
    return write(tmp_path, CHATS.format(telegram=telegram, signal=signal, talk=talk))


def test_chat_admins_are_each_platforms_own_identity(tmp_path: Path) -> None:
    path = chats(
        tmp_path,
        telegram='[123456789, "987654321"]',
        signal='["+33612345678", "5D2A8F3E-7C41-4B6A-9E0D-1F2A3B4C5D6E"]',
        talk='["ann", "users/bob", "users/ann"]',
    )
    configs = {c.name: c.config for c in load_settings(path, {}).connectors}
    assert configs["telegram"].admins == [123456789, 987654321]  # type: ignore[attr-defined]
    assert configs["signal"].admins == ["+33612345678", "5d2a8f3e-7c41-4b6a-9e0d-1f2a3b4c5d6e"]  # type: ignore[attr-defined]
    # a bare user id is the account of the server, as before
    assert configs["nuage"].talk_admins == ["users/ann", "users/bob"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("setting", "value", "field", "why"),
    [
        ("telegram", '["@ann"]', "connectors.telegram.admins", "'@ann' is not a Telegram user id"),
        ("telegram", "[-1001234567890]", "connectors.telegram.admins", "groups and channels have negative chat ids"),
        ("telegram", "[1087968824]", "connectors.telegram.admins", "@GroupAnonymousBot"),
        ("signal", '["06 12 34 56 78"]', "connectors.signal.admins", "'06 12 34 56 78' is neither a phone number"),
        ("signal", '["Ann"]', "connectors.signal.admins", "'Ann' is neither a phone number"),
        ("talk", '["guests/ann"]', "connectors.nuage.talk_admins", "'guests/ann' cannot be an admin"),
        ("talk", '["bridged/ann"]', "connectors.nuage.talk_admins", "'bridged/ann' cannot be an admin"),
        ("talk", '["federated_users/ann@other.example"]', "connectors.nuage.talk_admins", "cannot be an admin"),
        ("talk", '["users/"]', "connectors.nuage.talk_admins", "'users/' cannot be an admin"),
    ],
)
def test_an_admin_that_is_no_identity_is_refused_by_name(
    tmp_path: Path, setting: str, value: str, field: str, why: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(chats(tmp_path, **{setting: value}), {})
    text = str(caught.value)
    assert f"field '{field}'" in text and why in text
    assert text.count("field '") == 1  # the other sections are fine
