"""What ``hub init`` refuses and what it never does: a refused token or an unreachable address
is explained (exit 2, no traceback, no secret); an existing configuration is only added to."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.telegram import FakeTelegram
from tests.helpers import REFERENCE
from tests.init.conftest import hub


def test_a_refused_token_and_an_unreachable_server_are_explained(tmp_path: Path, telegram: FakeTelegram) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text(f"""
[hub]
programme = "{REFERENCE}"
tools = ["telegram"]
[telegram]
api_url = "{telegram.url}"
token = "999:refused-token-of-nobody-0000000000000"
""", encoding="utf-8")
    done = hub("init", str(tmp_path / "a"), "--answers", str(answers))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "answer refused for 'telegram.token'" in done.stderr
    assert "refused-token-of-nobody" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "a" / "hub.toml").exists()

    answers.write_text(f"""
[hub]
language = "fr"
programme = "{REFERENCE}"
tools = ["caldav"]
[caldav]
url = "http://127.0.0.1:9/"
username = "hub"
password = "un-mot-de-passe"
""", encoding="utf-8")
    done = hub("init", str(tmp_path / "b"), "--answers", str(answers))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "réponse refusée pour « caldav.url »" in done.stderr and "127.0.0.1:9" in done.stderr
    assert "un-mot-de-passe" not in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_a_missing_answer_names_the_key_and_its_help(tmp_path: Path) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text(f'[hub]\nprogramme = "{REFERENCE}"\ntools = ["wordpress"]\n', encoding="utf-8")
    done = hub("init", str(tmp_path / "c"), "--answers", str(answers))
    assert done.returncode == 2
    assert "no answer for 'wordpress.url'" in done.stderr and "https://assemblee.example.org" in done.stderr


def test_a_first_programme_is_written_and_a_configuration_is_added_to_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "hub"
    first = tmp_path / "first.toml"
    # No programme yet: a first one is written from the event's title and first day.
    first.write_text('[hub]\nprogramme = "programme.yaml"\nstarter = true\nevent = "Fête du quartier"\n'
                     'first_day = "2027-05-01"\ntools = ["files"]\n[files]\npath = "public"\n')
    done = hub("init", str(folder), "--answers", str(first))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "id: fete-du-quartier" in (folder / "programme.yaml").read_text(encoding="utf-8")
    before = (folder / "hub.toml").read_text(encoding="utf-8")

    refused = tmp_path / "no.toml"
    refused.write_text('[hub]\nadd = false\n')
    done = hub("init", str(folder), "--answers", str(refused))
    assert done.returncode == 0 and "Nothing was changed" in done.stdout
    assert (folder / "hub.toml").read_text(encoding="utf-8") == before

    more = tmp_path / "more.toml"
    more.write_text('[hub]\nadd = true\ntools = ["files"]\n[files]\npath = "public-bis"\n')
    done = hub("init", str(folder), "--answers", str(more))
    assert done.returncode == 0, done.stdout + done.stderr
    after = (folder / "hub.toml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))
    assert "[connectors.exports-2]" in after and 'path = "public-bis"' in after
