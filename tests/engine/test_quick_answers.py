"""``hub status`` and ``hub ask`` answered from the facts an earlier command kept of its
settings (:mod:`hub.quickstart`), before pydantic and click are loaded.

What a user relies on: the same lines, byte for byte, as the command line prints after
validating the settings, text and JSON; every secret still masked, in every encoding, including
one rotated in its file since; a question answered from the index only while it is the
programme's current one; nothing kept for a state on a server or with a secret written in the
file; anything else answered by the command line as always.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.arguments import AskArguments, ask_arguments
from hub.quickstart import kept_file, quick_ask, quick_status
from sync.state import StateStore
from tests.helpers import REPO, edit_programme, run_hub, write_config

PASSWORD = "calendar-password-nobody-guesses"
TOKEN = "123456:telegram-token-nobody-guesses"
#: Two sections whose secrets come from a file and from the environment; neither is synced, so
#: no server is needed, but their secrets are the configuration's and must be masked.
SECTIONS = """
[connectors.exports]
type = "files"
path = "public"

[connectors.calendar]
type = "caldav"
url = "http://127.0.0.1:9/calendars/hub/programme/"
username = "hub"
password_file = "secrets/caldav"
sync = false

[connectors.chat]
type = "telegram"
chats = [-1001]
sync = false
"""

#: Runs one ``hub`` command in a fresh interpreter, either way in, and says what it printed and
#: whether pydantic and click were loaded.
PROBE = """
import contextlib, io, json, sys
way, args = sys.argv[1], sys.argv[2:]
out = io.StringIO()
code = 0
with contextlib.redirect_stdout(out):
    try:
        if way == "entry":
            from hub.entry import main
            sys.argv = ["hub", *args]
            main()
        else:
            from hub.cli import cli
            cli.main(args, prog_name="hub", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code or 0
print(json.dumps({"out": out.getvalue(), "code": code, "pydantic": "pydantic" in sys.modules,
                  "click": "click" in sys.modules}))
"""


def hub(way: str, *args: str) -> dict[str, object]:
    """``hub ARGS`` through the entry point (``entry``) or straight through click (``cli``)."""
    done = subprocess.run([sys.executable, "-c", PROBE, way, *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    said: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return said


def quote_secrets(config: Path, *secrets: str) -> None:
    """An open breaker whose reason quotes the secrets, plainly and as HTTP Basic carries them."""
    basic = [base64.b64encode(f"hub:{s}".encode()).decode() for s in secrets]
    store = StateStore.open(f"sqlite:///{config.parent / 'state' / 'hub.db'}")
    try:
        with store.transaction() as conn:
            store.open_breaker(conn, "calendar", "refused: " + " / ".join([*secrets, *basic]))
    finally:
        store.close()


@pytest.fixture
def synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration synced once by the ``hub`` command, which kept the facts of its settings."""
    monkeypatch.setenv("HUB_CONNECTORS__CHAT__TOKEN", TOKEN)
    folder = tmp_path / "collective"
    (folder / "secrets").mkdir(parents=True)
    (folder / "secrets" / "caldav").write_text(PASSWORD + "\n", encoding="utf-8")
    config = write_config(folder, SECTIONS, hub_extra='programme_review = "never"')
    run_hub("sync", "--config", str(config), check=True)
    quote_secrets(config, PASSWORD, TOKEN)
    return config


@pytest.mark.parametrize("as_json", [False, True])
def test_status_from_kept_facts_prints_what_the_command_line_prints(synced: Path, as_json: bool) -> None:
    args = ["--config", str(synced), *(["--json"] if as_json else [])]
    full = hub("cli", "status", *args)
    lean = hub("entry", "status", *args)
    assert lean["out"] == full["out"] and lean["code"] == full["code"] == 0
    assert not lean["pydantic"] and not lean["click"], "answered before the settings' models and click"
    assert full["pydantic"]
    said = str(lean["out"])
    assert "22" in said and "calendar" in said
    for secret in (PASSWORD, TOKEN, base64.b64encode(f"hub:{PASSWORD}".encode()).decode()):
        assert secret not in said
    assert said.count("***") >= 4  # the breaker's reason: each secret, plainly and as Basic


def test_a_secret_rotated_in_its_file_is_masked_too(synced: Path) -> None:
    renewed = PASSWORD + "-renewed"
    (synced.parent / "secrets" / "caldav").write_text(renewed + "\n", encoding="utf-8")
    quote_secrets(synced, renewed)
    lean = hub("entry", "status", "--config", str(synced))
    assert not lean["pydantic"]
    assert renewed not in str(lean["out"]) and "***" in str(lean["out"])


def test_the_kept_facts_hold_where_secrets_come_from_never_a_secret(synced: Path) -> None:
    where = kept_file(synced.resolve(), os.environ)
    assert where is not None
    text = where.read_text(encoding="utf-8")
    assert PASSWORD not in text and TOKEN not in text
    sources = json.loads(text)["status"]["redaction"]["values"]
    assert {"variable": "HUB_CONNECTORS__CHAT__TOKEN"} in sources
    assert {"file": str(synced.parent / "secrets" / "caldav")} in sources


def test_other_settings_or_a_state_elsewhere_go_to_the_command_line(
        synced: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert quick_status(str(synced), as_json=False)
    capsys.readouterr()
    monkeypatch.setenv("HUB_HUB__LANGUAGE", "en")  # other settings: validated again
    assert not quick_status(str(synced), as_json=False)
    monkeypatch.delenv("HUB_HUB__LANGUAGE")
    (synced.parent / "state" / "hub.db").rename(synced.parent / "state" / "gone.db")
    assert not quick_status(str(synced), as_json=False)  # no current state file to read
    assert capsys.readouterr().out == ""


def test_a_state_on_a_server_keeps_no_status_facts(tmp_path: Path) -> None:
    from tests.peers.postgres import new_database

    with new_database("hub_quick_status") as url:
        config = write_config(tmp_path, '\n[connectors.exports]\ntype = "files"\npath = "public"\n',
                              database=url, hub_extra='programme_review = "never"')
        run_hub("sync", "--config", str(config), check=True)
        assert "exports" in run_hub("status", "--config", str(config), check=True).stdout
    where = kept_file(config.resolve(), os.environ)
    assert where is not None and not where.exists()


QUESTION = "où a lieu l'atelier culture juridique ?"


@pytest.mark.parametrize("extra", [
    [],
    ["--json"],
    ["--lang", "en", "--format=html"],
    ["et après ?", "--after", QUESTION, "--format", "markdown", "--json"],
])
def test_ask_from_the_kept_index_prints_what_the_command_line_prints(synced: Path, extra: list[str]) -> None:
    question = [] if extra and not extra[0].startswith("-") else [QUESTION]
    args = ["ask", *question, *extra, "--config", str(synced), "--at", "2021-11-13T10:00"]
    full = hub("cli", *args)  # keeps the index for the next question
    lean = hub("entry", *args)
    assert lean["out"] == full["out"] and lean["code"] == full["code"] == 0
    assert not lean["pydantic"] and not lean["click"]
    assert "8 Pillards" in str(lean["out"])


def test_a_question_after_a_change_waits_for_the_index_of_the_new_programme(
        synced: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ask = AskArguments(QUESTION, config=str(synced), at="2021-11-13T10:00")
    hub("cli", "ask", QUESTION, "--config", str(synced))
    assert quick_ask(ask)
    assert "14 h" in capsys.readouterr().out
    edit_programme(synced.parent, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30")
    run_hub("sync", "--config", str(synced), check=True)
    assert not quick_ask(ask)  # the kept index is of the programme before the change
    assert capsys.readouterr().out == ""
    said = hub("entry", "ask", QUESTION, "--config", str(synced), "--at", "2021-11-13T10:00")
    assert "15 h" in str(said["out"]) and said["pydantic"]  # answered by the command line, which keeps it
    assert quick_ask(ask)
    assert "15 h" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "parsed"), [
    (["ask", "q"], AskArguments("q")),
    (["ask", "--json", "q", "--config=a.toml"], AskArguments("q", "a.toml", as_json=True)),
    (["ask", "q", "--at", "2021-11-13T10:00", "--lang", "en", "--format", "html"],
     AskArguments("q", at="2021-11-13T10:00", lang="en", fmt="html")),
    (["ask", "b", "--after", "a", "--after=z"], AskArguments("b", after=("a", "z"))),
    (["ask", "q", "--lang", "de"], None),
    (["ask", "q", "--format", "pdf"], None),
    (["ask", "q", "--programme", "p.yaml"], None),
    (["ask", "q", "--help"], None),
    (["ask", "q", "r"], None),
    (["ask"], None),
    (["ask", "q", "--at"], None),
    (["ask", "q", "--at", "--json"], None),
    (["ask", "q", "--lang", "fr", "--lang", "en"], None),
    (["--debug", "ask", "q"], None),
])
def test_only_an_everyday_question_is_answered_before_the_command_line_is_parsed(
        args: list[str], parsed: AskArguments | None) -> None:
    assert ask_arguments(args) == parsed
