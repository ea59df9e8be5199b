"""The day messages' board after a stop between posting a message and keeping its id: the next
run posts the day again and hands the possible double to the engine as a Doubt."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.chat_board import Board, BoardStore, Posted, digest
from sync.announce import Format
from sync.errors import DeliveryUnknown, TransientError
from sync.model import Programme
from sync.protocol import Op, RemoteRef
from tests.chat.support import reference_programme


class Chat:
    """A chat platform: messages posted, and a way to fail the next post."""

    fmt: Format = "text"
    limit = 4096

    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []
        self.fail_next: Exception | None = None
        self.deliver_failed = False

    async def post(self, target: str, text: str, *, silent: bool) -> Posted:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            if self.deliver_failed:
                self.posted.append((target, text))
            raise error
        self.posted.append((target, text))
        return Posted(str(len(self.posted)), 0.0, digest(text))

    async def revise(self, target: str, old: Posted, text: str) -> Posted:
        return Posted(old.id, old.sent_at, digest(text))

    async def retire(self, target: str, old: Posted) -> None:
        return None

    async def pin(self, target: str, posted: Posted) -> None:
        return None


def ops(programme: Programme) -> list[Op]:
    return [Op("create", key, session.to_record(), None) for key, session in programme.sessions.items()]


async def test_a_post_cut_short_by_a_stop_is_posted_again_and_flagged(tmp_path: Path) -> None:
    programme = reference_programme()
    store, chat = BoardStore(tmp_path / "board.json"), Chat()
    board = Board(chat, ["-1001"], "fr", store)
    # The process stops while the first post is on its way: the note is saved, the id is not.
    board.posting["-1001"] = {"day": "2021-11-12", "part": 0, "at": 0.0}
    board._save()
    chat.posted.append(("-1001", "Programme du vendredi 12 novembre"))

    later = Board(chat, ["-1001"], "fr", store)  # the next process reads the board afresh
    results = await later.apply(ops(programme), programme)
    first = results[0]
    assert isinstance(first, RemoteRef) and len(first.doubts) == 1
    doubt = first.doubts[0]
    assert (doubt.target, doubt.key) == ("-1001", "2021-11-12")
    assert "2021-11-12" in doubt.reason and "deux fois" in doubt.reason
    assert all(isinstance(r, RemoteRef) and not r.doubts for r in results[1:])
    assert len(chat.posted) == 4, "the three days posted, one of them perhaps twice"
    assert store.load()["posting"] == {} and store.load()["doubts"] == []

    again = Board(chat, ["-1001"], "fr", store)
    assert not any(isinstance(r, RemoteRef) and r.doubts for r in await again.apply(ops(programme), programme))


async def test_a_post_whose_answer_was_lost_is_flagged_once_and_a_refused_one_not_at_all(tmp_path: Path) -> None:
    programme = reference_programme()
    store, chat = BoardStore(tmp_path / "board.json"), Chat()
    board = Board(chat, ["-1001"], "en", store)
    chat.fail_next, chat.deliver_failed = TransientError("server down"), False
    with pytest.raises(TransientError):
        await board.apply(ops(programme), programme)
    assert store.load()["posting"] == {} and store.load()["doubts"] == [], "refused: nothing went out"

    chat.fail_next, chat.deliver_failed = DeliveryUnknown("connection broke after sending"), True
    with pytest.raises(DeliveryUnknown):
        await board.apply(ops(programme), programme)
    assert [d["target"] for d in store.load()["doubts"]] == ["-1001"]

    results = await Board(chat, ["-1001"], "en", store).apply(ops(programme), programme)
    first = results[0]
    assert isinstance(first, RemoteRef) and [d.target for d in first.doubts] == ["-1001"]
    assert "may show twice" in first.doubts[0].reason
    assert store.load()["doubts"] == []


async def test_a_library_error_while_reading_the_answer_is_a_doubt_too(tmp_path: Path) -> None:
    """A connection cut mid-answer surfaces as the library's own error, not the hub's: the post
    may be out, so it is flagged like a lost answer."""
    programme = reference_programme()
    store, chat = BoardStore(tmp_path / "board.json"), Chat()
    chat.fail_next, chat.deliver_failed = ConnectionResetError("answer cut"), True
    with pytest.raises(ConnectionResetError):
        await Board(chat, ["-1001"], "en", store).apply(ops(programme), programme)
    results = await Board(chat, ["-1001"], "en", store).apply(ops(programme), programme)
    first = results[0]
    assert isinstance(first, RemoteRef) and [d.target for d in first.doubts] == ["-1001"]
