"""``hub ask``: the bots' answer on a terminal, from the programme as the latest sync left it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from hub.cli import cli
from tests.bots.conftest import REFERENCE

QUESTION = "où est la clôture ?"
AT = "2021-11-13T11:00"


def _hub(tmp_path: Path) -> Path:
    shutil.copy(REFERENCE, tmp_path / "programme.yaml")
    config = tmp_path / "hub.toml"
    config.write_text(
        '[hub]\nprogramme = "programme.yaml"\ndatabase = "sqlite:///state/hub.db"\n'
        'language = "fr"\n\n'
        '[connectors.exports]\ntype = "files"\npath = "public"\n',
        encoding="utf-8",
    )
    return config


def _move_closing(tmp_path: Path) -> None:
    path = tmp_path / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    old = "    start: 2021-11-13T17:30\n    end: 2021-11-13T19:00\n    venue: huit-pillards"
    assert old in text
    path.write_text(
        text.replace(old, "    start: 2021-11-13T18:00\n    end: 2021-11-13T19:30\n    venue: apres-m"),
        encoding="utf-8",
    )


def ask(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["ask", *args, "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_ask_answers_from_the_latest_sync(tmp_path: Path) -> None:
    config = _hub(tmp_path)
    # before any sync: from the programme file, and no database is created by asking
    assert "17 h 30 – 19 h · Les 8 Pillards, 13014 Marseille" in ask(config, QUESTION, "--at", AT)
    assert not (tmp_path / "state").exists()

    runner = CliRunner()
    assert runner.invoke(cli, ["sync", "--config", str(config), "--json"]).exit_code == 0
    _move_closing(tmp_path)
    # edited but not synced yet: the bots still say what every channel says
    assert "Les 8 Pillards" in ask(config, QUESTION, "--at", AT)

    assert runner.invoke(cli, ["sync", "--config", str(config), "--json"]).exit_code == 0
    moved = ask(config, QUESTION, "--at", AT)
    assert "samedi 13 novembre, 18 h – 19 h 30 · L'Après M, 214 chemin de Sainte-Marthe" in moved
    assert "Les 8 Pillards" not in moved


def test_ask_language_format_and_json(tmp_path: Path) -> None:
    config = _hub(tmp_path)
    english = ask(config, QUESTION, "--at", AT, "--lang", "en")
    assert "Saturday 13 November, 17:30 – 19:00" in english
    html = ask(config, "/ensuite", "--at", AT, "--format", "html")
    assert html.startswith("<b>Ensuite, 14 h</b>\n• <b>Culture juridique</b>")
    payload = json.loads(ask(config, "what's next?", "--at", AT, "--json"))
    assert payload["lang"] == "en"
    assert payload["sessions"] == [
        "atelier-culture-juridique",
        "atelier-municipalisme",
        "atelier-puissance-publique",
    ]
    assert payload["text"].startswith("Next, 14:00")


def test_ask_from_a_programme_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", "/demain", "--at", "2021-11-13T20:00", "--programme", str(REFERENCE)])
    assert result.exit_code == 0
    assert result.output.startswith("dimanche 14 novembre\nMatin\n• Accueil café : les grandes tables · 9 h 30 – 10 h")


def test_ask_refuses_a_bad_time_and_a_missing_config(tmp_path: Path) -> None:
    config = _hub(tmp_path)
    bad = CliRunner().invoke(cli, ["ask", "now", "--at", "demain", "--config", str(config), "--lang", "fr"])
    assert bad.exit_code == 2
    assert "« demain » n'est pas une heure comme 2021-11-13T11:00" in bad.output
    missing = CliRunner().invoke(cli, ["ask", "now", "--config", str(tmp_path / "nope.toml")],
                                 env={"HUB_LANGUAGE": "en"})
    assert missing.exit_code == 2
    assert "not found" in missing.output
