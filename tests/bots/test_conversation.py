"""Follow-ups and the words around them: conversation memory per chat and person, ``hub ask
--after``, the relation words that are also parts of names, links people can act on."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bots import answer
from bots.answer import link_kind, map_link
from bots.index import index_for
from bots.memory import Context, Conversations
from bots.query import parse
from bots.service import Bot, ChannelPolicy, Incoming
from hub.cli import cli
from sync.model import Programme, Venue
from tests.bots.conftest import REFERENCE, paris
from tests.doubles.bots import ManualClock, MemoryFollowStore

FISHBOWL = "Le projet des communs dans le contexte de l'anthropocène"


# -- the memory itself ----------------------------------------------------------------------


def test_a_conversation_is_remembered_for_ten_minutes(programme: Programme) -> None:
    clock = ManualClock(paris("2021-11-12T12:00"))
    memory = Conversations(clock.now)
    memory.remember("a", answer(programme, "où est la restitution ?", at=clock.now()))
    assert memory.recall("a") == Context(("restitution",), None)
    assert memory.recall("b") is None
    clock.advance(timedelta(minutes=9))
    assert memory.recall("a") is not None
    clock.advance(timedelta(minutes=2))
    assert memory.recall("a") is None


def test_an_answer_about_nothing_keeps_the_context_and_a_clock_set_back_forgets(programme: Programme) -> None:
    clock = ManualClock(paris("2021-11-12T12:00"))
    memory = Conversations(clock.now, capacity=2)
    memory.remember("a", answer(programme, "où est la restitution ?", at=clock.now()))
    memory.remember("a", answer(programme, "/aide", at=clock.now()))
    assert memory.recall("a") == Context(("restitution",), None)
    memory.remember("b", answer(programme, "où est massalia vox ?", at=clock.now()))
    assert memory.recall("b") is not None and memory.recall("b").venue == "massalia-vox"  # type: ignore[union-attr]
    memory.remember("c", answer(programme, "/ensuite", at=clock.now()))
    assert memory.recall("a") is None  # the oldest, past the capacity
    clock.current = paris("2021-11-12T11:00")
    assert memory.recall("c") is None


# -- on a chat: per chat and per person -------------------------------------------------------


def _ask(bot: Bot, text: str, *, sender: str = "ann", chat: str = "ann", private: bool = True) -> str:
    import asyncio

    replies = asyncio.run(
        bot.handle(Incoming("signal", chat, sender, text, private=private, addressed=True, lang=None))
    )
    return replies[0].message.render("text")


@pytest.fixture
def bot(programme: Programme) -> Bot:
    clock = ManualClock(paris("2021-11-12T12:00"))
    return Bot({"signal": ChannelPolicy(chats=frozenset({"group"}))}, MemoryFollowStore(), lambda: programme, clock)


def test_each_person_has_their_own_conversation(bot: Bot) -> None:
    assert "Ateliers Jeanne Barret" in _ask(bot, "où est la restitution ?", sender="ann", chat="ann")
    # bob has asked nothing: "et après ?" is what comes next from now
    assert _ask(bot, "et après ?", sender="bob", chat="bob").startswith("Ensuite, 15 h 30")
    assert _ask(bot, "et après ?", sender="ann", chat="ann").startswith(
        "Après « Prendre soin des communs : la restitution »"
    )
    # the same person in a group is another conversation
    assert _ask(bot, "et après ?", sender="ann", chat="group", private=False).startswith("Ensuite")


def test_a_follow_up_after_ten_minutes_is_a_new_question(bot: Bot) -> None:
    _ask(bot, "quand est le fishbowl ?")
    assert "5 boulevard de Sévigné" in _ask(bot, "c'est où ?")
    assert isinstance(bot.clock, ManualClock)
    bot.clock.advance(timedelta(minutes=11))
    assert "De quel rendez-vous" in _ask(bot, "c'est où ?")


# -- hub ask --after ----------------------------------------------------------------------------


def _hub(tmp_path: Path) -> Path:
    shutil.copy(REFERENCE, tmp_path / "programme.yaml")
    config = tmp_path / "hub.toml"
    config.write_text(
        '[hub]\nprogramme = "programme.yaml"\ndatabase = "sqlite:///state/hub.db"\nlanguage = "fr"\n\n'
        '[connectors.exports]\ntype = "files"\npath = "public"\n',
        encoding="utf-8",
    )
    return config


def _ask_cli(*args: str) -> str:
    result = CliRunner().invoke(cli, ["ask", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_hub_ask_after_earlier_questions() -> None:
    at = ("--at", "2021-11-12T12:00", "--programme", str(REFERENCE))
    out = _ask_cli("et après ?", "--after", "Qu'est-ce qu'il y a après la restitution ?", *at)
    assert out.startswith("Plus rien au programme ce jour-là après « Le projet des communs")
    out = _ask_cli("where is it?", "--after", "when is the fishbowl?", *at)
    assert FISHBOWL in out and "5 boulevard de Sévigné" in out
    out = _ask_cli("c'est qui ?", "--after", "quand est la balade ?", "--after", "où est le musée ?", *at)
    assert "Noailles Debout" in out  # the last question before is the one that counts


def test_what_moved_comes_from_the_hubs_change_log(tmp_path: Path) -> None:
    config = _hub(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["sync", "--config", str(config), "--json"]).exit_code == 0
    path = tmp_path / "programme.yaml"
    old = "    start: 2021-11-13T17:30\n    end: 2021-11-13T19:00\n    venue: huit-pillards"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            old, "    start: 2021-11-13T18:00\n    end: 2021-11-13T19:30\n    venue: apres-m"
        ),
        encoding="utf-8",
    )
    assert runner.invoke(cli, ["sync", "--config", str(config), "--json"]).exit_code == 0
    out = _ask_cli("qu'est-ce qui a été déplacé ?", "--at", "2021-11-13T11:00", "--config", str(config))
    assert out.startswith("Déplacé depuis vendredi 12 novembre, 11 h\n• Clôture")
    assert "avant : samedi 13 novembre, 17 h 30 ; avant : Les 8 Pillards" in out
    assert "Culture juridique" not in out
    # from a programme file, there is no change log: said, and what stands is shown
    out = _ask_cli("what changed since yesterday?", "--at", "2021-11-13T11:00", "--programme", str(REFERENCE))
    assert "I do not have the change history here" in out


# -- words that are relations and parts of names -----------------------------------------------


@pytest.mark.parametrize(
    ("question", "relation", "terms"),
    [
        ("Qu'est-ce qu'il y a après la restitution ?", "after", ["restitution"]),
        ("c'est où l'après m ?", None, ["apres"]),
        ("qu'est-ce qu'il y a à L'Après M après le déjeuner ?", "after", ["apres", "dejeuner"]),
        ("après 17h", None, []),
        ("samedi après-midi", None, []),
        ("après-demain", None, []),
        ("Et juste avant la clôture ?", "before", ["cloture"]),
        ("en même temps que Culture juridique", "during", ["culture", "juridique"]),
        ("what's on after lunch tomorrow?", "after", ["lunch"]),
    ],
)
def test_relation_words_are_read_by_what_makes_sense(
    programme: Programme, question: str, relation: str | None, terms: list[str]
) -> None:
    index = index_for(programme)
    query = parse(
        question,
        today=date(2021, 11, 12),
        event_days=index.days,
        is_vocabulary=index.is_vocabulary,
        is_name_pair=index.is_name_pair,
    )
    assert query.relation == relation
    assert query.terms == terms


# -- answers to act on --------------------------------------------------------------------------


def test_map_links_point_at_coordinates_when_the_venue_gives_them() -> None:
    with_point = Venue("v", "Salle", "1 rue Haute, Paris", note="entrée côté cour, geo:48.8566,2.3522")
    assert map_link(with_point) == "https://www.openstreetmap.org/?mlat=48.8566&mlon=2.3522#map=18/48.8566/2.3522"
    searched = Venue("w", "L'Après M", "214 chemin de Sainte-Marthe, 13014 Marseille")
    assert map_link(searched) == (
        "https://www.openstreetmap.org/search?query=214%20chemin%20de%20Sainte-Marthe%2C%2013014%20Marseille"
    )
    assert map_link(Venue("x", "Quelque part")) == ""


def test_links_are_told_apart() -> None:
    assert link_kind("https://pad.example.org/p/x") == "pad"
    assert link_kind("https://meet.jit.si/assemblee") == "visio"
    assert link_kind("https://example.org/doc.pdf") == "other"
