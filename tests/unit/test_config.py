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
