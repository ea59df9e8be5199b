"""``hub init`` for HumHub (the space picked from the account's spaces, listed) and Framadate
(the instance only), against their fakes: ``hub check`` passes and the first ``hub sync`` fills
the space's calendar."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.framadate import FakeFramadate
from tests.fakes.humhub import FakeHumHub, Space
from tests.init.conftest import hub, secret_files, small_programme

TOKEN = "hh-token-0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_-"


@pytest.fixture
def network() -> Iterator[tuple[FakeHumHub, Space]]:
    fake = FakeHumHub(timezone="Europe/Paris", jwt_expire=3600)
    with fake.running():
        account = fake.add_user("hub", password="hub-password-for-tests", token=TOKEN)
        person = fake.add_user("alice", password="alice-password")
        fake.add_space("Autre espace", "autre", members={person.id: "admin", account.id: "member"})
        space = fake.add_space("Assemblée des communs", "assemblee-communs-2021",
                               members={person.id: "admin", account.id: "member"})
        yield fake, space


def test_the_space_is_picked_from_the_list_and_polls_need_only_the_instance(
    tmp_path: Path, network: tuple[FakeHumHub, Space],
) -> None:
    fake, space = network
    with FakeFramadate().running() as polls:
        answers = tmp_path / "answers.toml"
        answers.write_text(f"""
[hub]
programme = "{small_programme(tmp_path)}"
tools = ["humhub", "framadate"]
[humhub]
url = "{fake.url}"
token = "{TOKEN}"
[framadate]
url = "{polls.url}"
admin_email = "orga@example.org"
""", encoding="utf-8")
        done = hub("init", str(tmp_path / "hub"), "--answers", str(answers))
        assert done.returncode == 0, done.stdout + done.stderr
        sync = hub("sync", "--config", str(tmp_path / "hub" / "hub.toml"), "--json")
        assert sync.returncode == 0, sync.stdout + sync.stderr
    config = tomllib.loads((tmp_path / "hub" / "hub.toml").read_text(encoding="utf-8"))["connectors"]
    # The event's own space is the default among those listed: nobody typed its URL name.
    assert config["reseau"]["space"] == "assemblee-communs-2021"
    assert config["sondages"] == {"type": "framadate", "url": polls.url.rstrip("/"), "admin_email": "orga@example.org"}
    assert secret_files(tmp_path / "hub") == {"reseau-token": 0o600}
    assert TOKEN not in done.stdout + done.stderr
    assert json.loads(sync.stdout)["connectors"]["reseau"]["created"] == 3
    assert len(fake.space_entries(space)) == 3
