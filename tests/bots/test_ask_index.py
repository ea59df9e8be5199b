"""``hub ask`` keeps the programme's index in a file beside the state store: read back while the
store's programme is the version it was built from, rebuilt whenever anything changed since,
and never trusted when it was written for another version, by other code, or only in part."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

import bots.index
from bots.answering import answer
from bots.index import ProgrammeIndex, load_index, save_index
from bots.live import index_path, indexed_programme, programme_version
from hub.cli import cli
from hub.runtime import load_settings
from sync.programme_reader import load_programme
from sync.state_reader import open_reader
from tests.bots.conftest import REFERENCE
from tests.bots.test_cli import AT, QUESTION, _hub, _move_closing, ask

PARIS = ZoneInfo("Europe/Paris")
QUESTIONS = ("où est la clôture ?", "qu'est-ce qui se passe à 14 h ?", "ateliers samedi", "who hosts the plenary?",
             "et après ?", "où a lieu l'atelier culture juridique ?", "programme de dimanche")


def synced(tmp_path: Path) -> Path:
    config = _hub(tmp_path)
    assert CliRunner().invoke(cli, ["sync", "--config", str(config), "--json"]).exit_code == 0
    return config


def no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: ProgrammeIndex, programme: object) -> None:
        raise AssertionError("the index was built again")

    monkeypatch.setattr(ProgrammeIndex, "__init__", refuse)


def test_an_index_read_back_answers_as_the_one_built(tmp_path: Path) -> None:
    programme = load_programme(REFERENCE)
    built = ProgrammeIndex(programme)
    save_index(built, tmp_path / "index", "v1")
    read = load_index(tmp_path / "index", "v1")
    assert read is not None and read is not built
    assert read.programme == programme and read.entities == built.entities  # every field came back
    moment = datetime(2021, 11, 13, 11, 0, tzinfo=PARIS)
    for question in QUESTIONS:
        bots.index.adopt(built)
        expected = answer(programme, question, at=moment, lang=None, default_lang="fr").to_json()
        bots.index.adopt(read)
        assert answer(read.programme, question, at=moment, lang=None, default_lang="fr").to_json() == expected


def test_a_file_for_another_version_by_other_code_or_cut_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "index"
    save_index(ProgrammeIndex(load_programme(REFERENCE)), path, "v1")
    assert load_index(path, "v2") is None
    data = path.read_bytes()
    header, _, body = data.partition(b"\n")
    other_code = {**json.loads(header), "code": "0" * 64}
    path.write_bytes(json.dumps(other_code).encode() + b"\n" + body)
    assert load_index(path, "v1") is None
    path.write_bytes(data[: len(data) // 2])
    assert load_index(path, "v1") is None
    path.write_bytes(b"")
    assert load_index(path, "v1") is None
    assert load_index(tmp_path / "absent", "v1") is None


def test_ask_keeps_the_index_and_reads_it_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = synced(tmp_path)
    first = ask(config, QUESTION, "--at", AT)
    settings = load_settings(config)
    path = index_path(settings)
    assert path == tmp_path / "state" / "hub.db.ask-index"
    assert path.is_file()
    no_building(monkeypatch)
    assert ask(config, QUESTION, "--at", AT) == first
    assert "17 h 30 – 19 h · Les 8 Pillards" in first


def test_a_sync_that_changed_the_programme_makes_ask_rebuild(tmp_path: Path) -> None:
    config = synced(tmp_path)
    assert "Les 8 Pillards" in ask(config, QUESTION, "--at", AT)
    settings = load_settings(config)
    reader = open_reader(settings.database_url)
    assert reader is not None
    before = programme_version(reader)
    reader.close()
    _move_closing(tmp_path)
    assert CliRunner().invoke(cli, ["sync", "--config", str(config), "--json"]).exit_code == 0
    reader = open_reader(settings.database_url)
    assert reader is not None
    assert programme_version(reader) != before
    reader.close()
    moved = ask(config, QUESTION, "--at", AT)
    assert "samedi 13 novembre, 18 h – 19 h 30 · L'Après M" in moved
    assert "Les 8 Pillards" not in moved


def test_a_damaged_index_file_is_rebuilt(tmp_path: Path) -> None:
    config = synced(tmp_path)
    first = ask(config, QUESTION, "--at", AT)
    path = index_path(load_settings(config))
    header = path.read_bytes().partition(b"\n")[0]
    path.write_bytes(header + b"\nnot a pickle")
    assert ask(config, QUESTION, "--at", AT) == first
    assert load_index(path, json.loads(header)["version"]) is not None  # written again, whole


def test_before_any_sync_ask_reads_the_programme_file_and_keeps_nothing(tmp_path: Path) -> None:
    config = _hub(tmp_path)
    programme = indexed_programme(load_settings(config))
    assert programme.sessions
    assert not (tmp_path / "state").exists()


def test_ask_with_a_current_index_loads_no_database_layer(tmp_path: Path) -> None:
    from tests.unit.test_lean_start import loaded_after

    config = synced(tmp_path)
    first = ask(config, QUESTION, "--at", AT)
    body = f"""
import contextlib, io
from hub.cli import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        cli.main(["ask", {QUESTION!r}, "--at", {AT!r}, "--config", {str(config)!r}], prog_name="hub",
                 standalone_mode=False)
    except SystemExit as exc:
        assert exc.code == 0, exc.code
assert out.getvalue() == {first!r}, out.getvalue()
"""
    loaded = loaded_after(body, tmp_path)
    assert loaded & {"sqlalchemy", "alembic", "yaml", "ruamel", "httpx"} == set()


def test_the_index_file_of_another_database_is_named_after_it(tmp_path: Path) -> None:
    paths = set()
    for url in ("postgresql://hub@127.0.0.1/a", "postgresql://hub@127.0.0.1/b"):
        (tmp_path / "hub.toml").write_text(f'[hub]\ndatabase = "{url}"\n', encoding="utf-8")
        path = index_path(load_settings(tmp_path / "hub.toml", environ={}))
        assert path.parent == tmp_path and path.name.endswith(".ask-index")
        paths.add(path)
    assert len(paths) == 2
