"""Configuration: clear errors naming the field, environment overrides, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.runtime import load_settings
from sync.errors import ConfigError

#: The problems below are told in English: their point is what is named, not the language
#: (test_config_language.py says them in both).
EN = {"HUB_LANGUAGE": "en"}


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


@pytest.mark.parametrize("database", ["hub.db", "state/hub.db"])
def test_a_bare_database_path_is_a_sqlite_file_next_to_the_config(tmp_path: Path, database: str) -> None:
    settings = load_settings(write(tmp_path, f'[hub]\ndatabase = "{database}"\n'), {})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/{database}"
    absolute = tmp_path / "elsewhere" / "state.db"
    settings = load_settings(write(tmp_path, f'[hub]\ndatabase = "{absolute}"\n'), {})
    assert settings.database_url == f"sqlite:///{absolute}"
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql://hub@127.0.0.1/hub", f"sqlite:///{absolute}"):
        assert load_settings(write(tmp_path, f'[hub]\ndatabase = "{url}"\n'), {}).database_url == url


def test_a_bare_database_path_opens_a_state_store(tmp_path: Path) -> None:
    from hub.runtime import open_store

    settings = load_settings(write(tmp_path, '[hub]\ndatabase = "state/hub.db"\n'), {})
    open_store(settings).close()
    assert (tmp_path / "state" / "hub.db").is_file()


def test_an_unknown_setting_names_the_one_probably_meant(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nlangauge = "en"\n[hubb]\nx = 1\n'
                           '[connectors.cal]\ntype = "caldav"\nurl = "http://127.0.0.1:5232/hub/a/"\n'
                           'pasword_file = "secret"\n'
                           '[connectors.pad]\ntype = "etherpad"\nurl = "http://127.0.0.1:9001"\npad = "p"\n'
                           'api_key = "k"\nzzz = 1\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, EN)
    problems = {str(p) for p in caught.value.problems}
    assert problems == {
        f"{path}, field 'hub.langauge': unknown setting 'langauge': did you mean 'language'?",
        f"{path}, field 'hubb': unknown section 'hubb': did you mean [hub]?",
        f"{path}, field 'connectors.cal.pasword_file': unknown setting 'pasword_file': did you mean 'password_file'?",
        f"{path}, field 'connectors.pad.zzz': unknown setting 'zzz'",  # nothing close: no guess
    }


def test_a_mistyped_environment_variable_is_named_as_such(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\n[connectors.site]\ntype = "wordpress"\nurl = "http://127.0.0.1:8081"\n'
                           'username = "hub"\n')
    environ = {
        "HUB_CONNECTORS__SITE__APPLICATION_PASWORD": "secret-12345",
        "HUB_CONNECTORS__SIT__APPLICATION_PASSWORD": "secret-12345",
        "HUB_HUB__LANGUAGE": "de",
        "HUB_HUBB__LANGUAGE": "en",
        **EN,
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ)
    problems = {str(p) for p in caught.value.problems}
    assert problems == {
        "environment variable HUB_CONNECTORS__SITE__APPLICATION_PASWORD: unknown setting 'application_pasword': "
        "did you mean HUB_CONNECTORS__SITE__APPLICATION_PASSWORD?",
        "environment variable HUB_CONNECTORS__SIT__APPLICATION_PASSWORD: no section [connectors.sit] in hub.toml: "
        "did you mean HUB_CONNECTORS__SITE__APPLICATION_PASSWORD?",
        "environment variable HUB_HUB__LANGUAGE: must be 'fr' or 'en'",
        "environment variable HUB_HUBB__LANGUAGE: unknown section 'hubb': did you mean HUB_HUB__LANGUAGE?",
    }
    assert "secret-12345" not in str(caught.value)


@pytest.mark.parametrize(
    "secret", ["12345678", "truetrue", "42.5e10", "[1, 2, 3]", '"quoted"', "s3cr3t value # not a comment"]
)
def test_a_secret_from_the_environment_stays_the_string_it_is(tmp_path: Path, secret: str) -> None:
    path = write(tmp_path, '[connectors.site]\ntype = "wordpress"\nurl = "http://127.0.0.1:8081"\nusername = "hub"\n'
                           '[connectors.cal]\ntype = "caldav"\nurl = "http://127.0.0.1:5232/hub/a/"\n')
    settings = load_settings(path, {"HUB_CONNECTORS__SITE__APPLICATION_PASSWORD": secret,
                                    "HUB_CONNECTORS__SITE__USERNAME": secret,
                                    "HUB_CONNECTORS__CAL__PASSWORD": secret})
    site, cal = (c.config for c in settings.connectors)
    assert site.secret("application_password") == secret and site.username == secret  # type: ignore[attr-defined]
    assert cal.secret("password") == secret


def test_other_values_from_the_environment_are_read_as_toml(tmp_path: Path) -> None:
    path = write(tmp_path, '[connectors.cal]\ntype = "caldav"\nurl = "http://127.0.0.1:5232/hub/a/"\n'
                           '[connectors.tg]\ntype = "telegram"\nchats = [1]\n')
    settings = load_settings(path, {
        "HUB_HUB__RETRY_DELAY": "2.5", "HUB_HUB__ADMIN_CHATS": '["tg"]',
        "HUB_CONNECTORS__CAL__VERIFY": "false", "HUB_CONNECTORS__CAL__TIMEOUT": "5",
        "HUB_CONNECTORS__CAL__OWNS": '["start", "end"]', "HUB_CONNECTORS__CAL__ENABLED": "true",
        "HUB_CONNECTORS__TG__CHATS": '[-1001234567890, "@assemblee"]', "HUB_CONNECTORS__TG__ADMINS": "[123456789]",
    })
    cal, tg = (c.config for c in settings.connectors)
    assert settings.hub.retry_delay == 2.5 and settings.hub.admin_chats == ["tg"]
    assert cal.verify is False and cal.timeout == 5 and cal.owns == ["start", "end"]  # type: ignore[attr-defined]
    assert tg.chats == [-1001234567890, "@assemblee"] and tg.admins == [123456789]  # type: ignore[attr-defined]
    bundle = load_settings(path, {"HUB_CONNECTORS__CAL__VERIFY": "/etc/ssl/hub-ca.pem"}).connectors[0].config
    assert bundle.verify == "/etc/ssl/hub-ca.pem"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"^environment variable HUB_CONNECTORS__CAL__TIMEOUT: must be a number"):
        load_settings(path, {"HUB_CONNECTORS__CAL__TIMEOUT": "soon", **EN})


def test_every_problem_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nlanguage = "de"\n[connectors.a]\ntype = "nope"\n[connectors.b]\npath = "x"\n'
                           '[connectors.c]\ntype = "files"\n'
                           '[connectors.d]\ntype = "files"\npath = "p"\nowns = ["colour"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, EN)
    text = str(caught.value)
    assert "field 'hub.language'" in text
    assert "field 'connectors.a.type': unknown connector type 'nope'" in text
    assert "field 'connectors.b.type': missing 'type'" in text
    assert "field 'connectors.c.path'" in text
    assert "field 'connectors.d.owns': colour not carried by 'files'" in text


def test_review_settings_are_checked_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nadmin_chats = ["telegram:-100", "site"]\n'
                           '[connectors.site]\ntype = "files"\npath = "p"\nreview = "sometimes"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, EN)
    text = str(caught.value)
    assert "field 'hub.admin_chats': 'telegram:-100' names no connector section (known: site)" in text
    assert "field 'connectors.site.review'" in text
    good = write(tmp_path, '[hub]\nadmin_chats = ["site"]\n[connectors.site]\ntype = "files"\npath = "p"\n'
                           'review = "deletions"\nreview_ratio = 0.1\n')
    settings = load_settings(good, {})
    assert settings.connectors[0].config.review == "deletions" and settings.hub.programme_review == "mass"


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"hub.toml:1: not valid TOML \(column 5\): Expected '\]'"):
        load_settings(write(tmp_path, "[hub\n"), EN)


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
        load_settings(chats(tmp_path, **{setting: value}), EN)
    text = str(caught.value)
    assert f"field '{field}'" in text and why in text
    assert text.count("field '") == 1  # the other sections are fine


def test_connector_problems_are_said_in_the_configuration_language(tmp_path: Path) -> None:
    """Unknown types, fields a type does not carry and refused admins, in French when the file
    says so: no English inside « Configuration invalide »."""
    path = write(tmp_path, '[hub]\nlanguage = "fr"\n[connectors.a]\ntype = "nope"\n'
                           '[connectors.d]\ntype = "files"\npath = "p"\nowns = ["colour"]\n'
                           '[connectors.tg]\ntype = "telegram"\ntoken = "x"\nchats = [-1]\nadmins = ["@ann"]\n'
                           '[connectors.pad]\ntype = "etherpad"\nurl = "http://pad.example"\npad = "a/b"\n'
                           '[connectors.pad2]\ntype = "etherpad"\nurl = "http://pad.example"\npad = "ab"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    text = str(caught.value)
    assert "champ « connectors.a.type » : type de connecteur inconnu « nope »" in text
    assert "champ « connectors.d.owns » : colour : absent(s) de « files »" in text
    assert "« '@ann' n'est pas un identifiant d'utilisateur Telegram" not in text  # quoted once, as typed
    assert "'@ann' n'est pas un identifiant d'utilisateur Telegram" in text
    assert "un identifiant de pad Etherpad compte 1 à" in text
    assert "donnez soit api_key" in text
    for english in ("unknown connector type", "not carried by", "is not a Telegram user id", "pad id has",
                    "give either"):
        assert english not in text
