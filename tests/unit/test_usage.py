"""click's own refusals (an unknown option, a bad value) are said in the reader's language."""

from __future__ import annotations

import pytest

from hub import cli as hub_cli

CASES = [
    (["sync", "--bogus"], "Erreur : option inconnue « --bogus ».", "Error: No such option '--bogus'."),
    (["sync", "--confg", "x"], "(Vouliez-vous dire l'une de : « --config », « --json » ?)",
     "(Did you mean one of: '--config', '--json'?)"),
    (["nope"], "Erreur : commande inconnue « nope ».", "Error: No such command 'nope'."),
    (["conflicts", "--resolve", "abc"],
     "Erreur : valeur invalide pour « --resolve » : « abc » n'est pas un nombre entier.",
     "Error: Invalid value for '--resolve': 'abc' is not a valid integer."),
    (["export", "--format", "pdf"],
     "« pdf » n'est pas parmi « yaml », « ics », « json ».", "'pdf' is not one of 'yaml', 'ics', 'json'."),
    (["revert"], "Erreur : argument manquant « SYNC_ID ».", "Error: Missing argument 'SYNC_ID'."),
    (["sync", "--config"], "Erreur : l'option « --config » demande une valeur.",
     "Error: Option '--config' requires an argument."),
    (["revert", "1", "2"], "Erreur : argument en trop (2)", "Error: Got unexpected extra argument (2)"),
]


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], lang: str, args: list[str]) -> str:
    monkeypatch.setattr("hub.help.LANGUAGE", lang)
    monkeypatch.setattr("sys.argv", ["hub", *args])
    with pytest.raises(SystemExit) as stopped:
        hub_cli.main()
    assert stopped.value.code == 2, "a refused command line exits 2, as the README says"
    return capsys.readouterr().err


@pytest.mark.parametrize(("args", "french", "english"), CASES)
def test_a_refused_command_line_is_said_in_french(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], french: str, english: str
) -> None:
    said = run(monkeypatch, capsys, "fr", args)
    assert french in said
    if "Utilisation" in said:  # click shows the usage when it knows the command
        assert "Essayez « hub" in said and "pour l'aide." in said
    for word in ("Error", "Invalid value", "No such", "Missing", "Try '", "requires", "unexpected", "is not"):
        assert word not in said


@pytest.mark.parametrize(("args", "french", "english"), CASES)
def test_and_in_english_as_click_says_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], french: str, english: str
) -> None:
    said = run(monkeypatch, capsys, "en", args)
    assert english in said and ("Usage" not in said or "Try 'hub" in said)


def test_a_text_no_template_knows_keeps_clicks_words() -> None:
    from hub.usage import _said_text

    assert _said_text("Something new in click 9.", "fr") == "Something new in click 9."
