"""A worker answering for many collectives builds each one's programme index once per version:
not once per question, not again because other collectives' questions came in between, and not
at all when another worker already left it in the file ``hub ask`` keeps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bots.answering import answer
from bots.index import ProgrammeIndex, let_go
from hub.cli import cli
from hub.hosting.bots import KeptProgramme
from hub.runtime import load_settings, open_store
from sync.state import StateStore
from tests.bots.test_cli import _hub, _move_closing

AT = datetime(2021, 11, 13, 11, 0, tzinfo=ZoneInfo("Europe/Paris"))
QUESTIONS = ("où est la clôture ?", "qu'est-ce qui se passe à 14 h ?", "ateliers samedi", "et après ?")
OWNERS = ("alpha", "beta", "gamma")


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each ProgrammeIndex built, counted."""
    made: list[int] = []
    build = ProgrammeIndex.__init__

    def counted(self: ProgrammeIndex, programme: object) -> None:
        made.append(1)
        build(self, programme)  # type: ignore[arg-type]

    monkeypatch.setattr(ProgrammeIndex, "__init__", counted)
    return made


def sync(config: Path) -> None:
    result = CliRunner().invoke(cli, ["sync", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def collectives(tmp_path: Path) -> Iterator[dict[str, tuple[Path, StateStore]]]:
    found: dict[str, tuple[Path, StateStore]] = {}
    for owner in OWNERS:
        folder = tmp_path / owner
        folder.mkdir()
        config = _hub(folder)
        sync(config)
        found[owner] = (config, open_store(load_settings(config)))
    yield found
    for owner, (_config, store) in found.items():
        store.close()
        let_go(owner)


def kept(owner: str, config: Path, store: StateStore) -> KeptProgramme:
    return KeptProgramme(owner, load_settings(config), store)


def test_each_collective_is_indexed_once_however_questions_interleave(
    collectives: dict[str, tuple[Path, StateStore]], builds: list[int],
) -> None:
    programmes = {owner: kept(owner, config, store) for owner, (config, store) in collectives.items()}
    for _round in range(3):
        for question in QUESTIONS:
            for owner in OWNERS:
                reply = answer(programmes[owner](), question, at=AT, lang=None, default_lang="fr")
                assert reply.render("text")
    assert len(builds) == len(OWNERS), "one index per collective, not per question nor per switch"

    config, _store = collectives["beta"]
    _move_closing(config.parent)
    sync(config)
    moved = answer(programmes["beta"](), "où est la clôture ?", at=AT, lang=None, default_lang="fr")
    assert "L'Après M" in moved.render("text")
    for owner in OWNERS:
        answer(programmes[owner](), "où est la clôture ?", at=AT, lang=None, default_lang="fr")
    assert len(builds) == len(OWNERS) + 1, "only the changed programme is indexed again"


def test_another_worker_reads_the_index_back_instead_of_building_it(
    collectives: dict[str, tuple[Path, StateStore]], builds: list[int],
) -> None:
    config, store = collectives["alpha"]
    first = kept("alpha", config, store)
    first()
    assert len(builds) == 1
    let_go("alpha")
    later = kept("alpha", config, store)  # another worker, or this one after a restart
    reply = answer(later(), "où est la clôture ?", at=AT, lang=None, default_lang="fr")
    assert "Les 8 Pillards" in reply.render("text")
    assert len(builds) == 1, "read back from the file, not built again"
