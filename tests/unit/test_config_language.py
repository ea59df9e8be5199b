"""Configuration problems in the configured language: French by default, English when the file,
the environment or the locale says so. File names, field names and values stay as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, Field, HttpUrl, ValidationError

from config.messages import pydantic_message
from config.words import config_language, startup_language
from hub.runtime import load_settings
from sync.errors import ConfigError

EN = {"HUB_LANGUAGE": "en"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ)
    return [str(p) for p in caught.value.problems]


def test_a_missing_file_in_french_by_default_and_in_english_when_asked(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    assert problems(missing, {}) == [f"{missing} : fichier de configuration introuvable"]
    assert problems(missing, EN) == [f"{missing}: configuration file not found"]
    assert problems(missing, {"LANG": "en_GB.UTF-8"}) == [f"{missing}: configuration file not found"]
    assert problems(missing, {"LANG": "de_DE.UTF-8"}) == [f"{missing} : fichier de configuration introuvable"]


def test_a_toml_syntax_error_names_the_line_in_both_languages(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nlanguage = "en"\n[connectors\n')
    # The file cannot be read, so it cannot say its language: the environment's is used.
    [french] = problems(path, {})
    assert french.startswith(f"{path}:3 : TOML invalide (colonne 12) : ")
    [english] = problems(path, EN)
    assert english.startswith(f"{path}:3: not valid TOML (column 12): ")


def test_an_unknown_setting_with_its_suggestion(tmp_path: Path) -> None:
    text = '[connectors.cal]\ntype = "caldav"\nurl = "http://127.0.0.1:5232/hub/a/"\npasword_file = "s"\n'
    assert problems(write(tmp_path, text), {}) == [
        f"{tmp_path / 'hub.toml'}, champ « connectors.cal.pasword_file » : paramètre inconnu « pasword_file » : "
        "vouliez-vous dire « password_file » ?",
    ]
    assert problems(write(tmp_path, '[hub]\nlanguage = "en"\n' + text), {}) == [
        f"{tmp_path / 'hub.toml'}, field 'connectors.cal.pasword_file': unknown setting 'pasword_file': "
        "did you mean 'password_file'?",
    ]


def test_an_unknown_section_with_its_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, '[hubb]\nlanguage = "en"\n')
    assert problems(path, {}) == [f"{path}, champ « hubb » : section inconnue « hubb » : vouliez-vous dire [hub] ?"]
    assert problems(path, EN) == [f"{path}, field 'hubb': unknown section 'hubb': did you mean [hub]?"]


def test_a_language_the_hub_does_not_speak(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nlanguage = "de"\n')
    assert problems(path, {}) == [f"{path}, champ « hub.language » : doit valoir « fr » ou « en »"]
    assert problems(path, EN) == [f"{path}, field 'hub.language': must be 'fr' or 'en'"]


def test_a_missing_required_setting_of_a_connector(tmp_path: Path) -> None:
    text = '[connectors.cal]\ntype = "caldav"\n'
    assert problems(write(tmp_path, text), {}) == [
        f"{tmp_path / 'hub.toml'}, champ « connectors.cal.url » : paramètre obligatoire absent",
    ]
    assert problems(write(tmp_path, '[hub]\nlanguage = "en"\n' + text), {}) == [
        f"{tmp_path / 'hub.toml'}, field 'connectors.cal.url': required setting missing",
    ]


def test_a_mistyped_environment_variable(tmp_path: Path) -> None:
    path = write(tmp_path, '[connectors.cal]\ntype = "caldav"\nurl = "http://127.0.0.1:5232/hub/a/"\n')
    typo = {"HUB_CONNECTORS__CAL__PASWORD": "secret-12345", "HUB_CONNECTORS__CALL__PASSWORD": "secret-12345"}
    assert sorted(problems(path, typo)) == [
        "variable d'environnement HUB_CONNECTORS__CALL__PASSWORD : pas de section [connectors.call] dans "
        "hub.toml : vouliez-vous dire HUB_CONNECTORS__CAL__PASSWORD ?",
        "variable d'environnement HUB_CONNECTORS__CAL__PASWORD : paramètre inconnu « pasword » : "
        "vouliez-vous dire HUB_CONNECTORS__CAL__PASSWORD ?",
    ]
    assert sorted(problems(path, {**typo, **EN})) == [
        "environment variable HUB_CONNECTORS__CALL__PASSWORD: no section [connectors.call] in hub.toml: "
        "did you mean HUB_CONNECTORS__CAL__PASSWORD?",
        "environment variable HUB_CONNECTORS__CAL__PASWORD: unknown setting 'pasword': "
        "did you mean HUB_CONNECTORS__CAL__PASSWORD?",
    ]


def test_a_bad_value_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nlanguage = "en"\n')
    assert problems(path, {"HUB_HUB__RETRY_DELAY": "soon"}) == [
        "environment variable HUB_HUB__RETRY_DELAY: must be a number",
    ]
    assert problems(path, {"HUB_HUB__RETRY_DELAY": "soon", "HUB_HUB__LANGUAGE": "fr"}) == [
        "variable d'environnement HUB_HUB__RETRY_DELAY : doit être un nombre",
    ]


def test_admin_chats_naming_no_connector(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nadmin_chats = ["tg"]\n')
    assert problems(path, {}) == [
        f"{path}, champ « hub.admin_chats » : « tg » ne désigne aucune section de connecteur (connues : aucune)",
    ]
    assert problems(path, EN) == [f"{path}, field 'hub.admin_chats': 'tg' names no connector section (known: none)"]


def test_an_unreadable_secret_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[connectors.pad]\ntype = "etherpad"\nurl = "http://127.0.0.1:9"\npad = "p"\n'
                           'api_key_file = "nowhere"\n')
    config = load_settings(path, {}).connectors[0].config
    with pytest.raises(ConfigError) as caught:
        config.secret("api_key", tmp_path, lang="fr")
    assert str(caught.value) == f"impossible de lire le fichier secret de « api_key » : {tmp_path / 'nowhere'} " \
                                "(fichier introuvable)"
    with pytest.raises(ConfigError, match=r"^cannot read the secret file for 'api_key': .*nowhere \(no such file\)$"):
        config.secret("api_key", tmp_path, lang="en")


def test_the_language_comes_from_the_file_even_when_the_rest_is_wrong() -> None:
    assert config_language({"hub": {"language": "en", "oops": 1}, "nope": []}, {}) == "en"
    assert config_language({"hub": {"language": "en"}}, {"HUB_LANGUAGE": "fr"}) == "en"
    assert config_language({"hub": {"language": "fr"}}, {"HUB_HUB__LANGUAGE": "en"}) == "en"
    assert config_language({"hub": {"language": "de"}}, {"HUB_LANGUAGE": "en"}) == "en"
    assert config_language({"hub": {"language": "de"}}, {"LC_ALL": "en_US.UTF-8"}) == "en"
    assert config_language({"hub": "oops"}, {}) == "fr"
    assert config_language(None, {"LC_MESSAGES": "en_US.UTF-8"}) == "en"
    assert config_language(None, {"LANG": "fr_FR.UTF-8", "LC_ALL": "en_GB.UTF-8"}) == "en"
    assert config_language(None, {}) == "fr"


def test_the_start_up_language_is_the_config_layers() -> None:
    import hub.help
    import sync.i18n
    from config.words import Catalogue

    assert hub.help.startup_language is startup_language
    assert sync.i18n.Catalogue is Catalogue
    assert startup_language({"HUB_LANGUAGE": "en", "LANG": "fr_FR.UTF-8"}) == "en"
    assert startup_language({"LANG": "C.UTF-8"}) == "fr"


class _Sample(BaseModel):
    count: int = Field(0, le=10)
    ratio: float = 0
    flag: bool = True
    name: str = ""
    items: list[str] = []
    site: HttpUrl | None = None


@pytest.mark.parametrize(
    ("values", "french", "english"),
    [
        ({"count": "many"}, "doit être un nombre entier", "must be a whole number"),
        ({"count": 11}, "doit être inférieur ou égal à 10", "must be at most 10"),
        ({"ratio": "half"}, "doit être un nombre", "must be a number"),
        ({"flag": "perhaps"}, "doit valoir true ou false", "must be true or false"),
        ({"name": 3}, "doit être un texte", "must be a text"),
        ({"items": "a"}, "doit être une liste entre crochets", "must be a list in brackets"),
    ],
)
def test_pydantics_common_refusals_in_both_languages(values: dict[str, object], french: str, english: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate(values)
    [error] = caught.value.errors()
    assert pydantic_message(error, "fr").startswith(french)
    assert pydantic_message(error, "en").startswith(english)


def test_a_rare_refusal_keeps_pydantics_words() -> None:
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate({"site": "not a url"})
    [error] = caught.value.errors()
    assert pydantic_message(error, "fr") == error["msg"]
