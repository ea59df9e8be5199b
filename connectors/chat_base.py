"""What the chat connectors (Telegram, Signal) share: configuration, announcements sent in parts
that survive a restart, the day messages kept current (:mod:`connectors.chat_board`), and an
admin's text posted as is (the bots' ``/annonce``)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import ClassVar, TypeVar

from connectors.chat_board import Board, Posted, SentParts, board_store
from connectors.chat_config import CHAT_FIELDS, ChatConfig
from connectors.chat_render import announcement_parts, say
from sync.announce import Announcement, Format, escape
from sync.errors import PermanentError
from sync.model import Programme
from sync.protocol import Capability, Connector, ConnectorContext, Op, OpResult, RemoteRef

ChatC = TypeVar("ChatC", bound=ChatConfig)


class ChatConnector(Connector[ChatC], abc.ABC):
    """A chat: announcements to each configured target, and one message per event day."""

    capabilities = Capability.WRITE | Capability.DELETE | Capability.ANNOUNCE
    #: What the programme message shows: only these fields make an op.
    fields: ClassVar[tuple[str, ...]] = CHAT_FIELDS
    collection: ClassVar[str] = "board"
    fmt: Format = "text"
    limit: int = 4096
    #: How many chats the outbox writes to at once (sync.apply); one unless the platform's own
    #: pacing (``Pacer``'s overall rate) keeps many chats written to together within its limits.
    parallel_chats: int = 1

    def __init__(self, name: str, config: ChatC, ctx: ConnectorContext) -> None:
        super().__init__(name, config, ctx)
        self.parts = SentParts(ctx.state)
        self._board: Board | None = None

    @property
    def board(self) -> Board:
        """The day messages, read from where they are kept at first use (building a connector
        reads nothing)."""
        if self._board is None:
            store = board_store(self.ctx, self.name, self.config.board_file)
            self._board = Board(self, self.targets(), self.lang, store)
        return self._board

    @abc.abstractmethod
    async def send_part(self, target: str, text: str) -> str:
        """Send one message of an announcement; return its id."""

    # what the board needs of the platform (connectors.chat_board.ChatPlatform)
    @abc.abstractmethod
    async def post(self, target: str, text: str, *, silent: bool) -> Posted:
        """Post a day message."""

    @abc.abstractmethod
    async def revise(self, target: str, old: Posted, text: str) -> Posted:
        """Show ``text`` instead of ``old``: an edit (same id) or a replacement (new id)."""

    @abc.abstractmethod
    async def retire(self, target: str, old: Posted) -> None:
        """Remove a part that is no longer needed."""

    @abc.abstractmethod
    async def pin(self, target: str, posted: Posted) -> None:
        """Pin a message (where the platform can)."""

    async def post_text(self, target: str, text: str) -> None:
        """An admin's announcement from a chat: the text made inert for this chat's format."""
        await self.open()
        await self.post(target, escape(text, self.fmt), silent=False)

    async def announce(self, target: str, announcement: Announcement) -> RemoteRef:
        if target not in self.targets():
            raise PermanentError(say("chat.not_configured", self.lang, target=target), connector=self.name)
        await self.open()
        parts = announcement_parts(announcement, self.lang, self.fmt, self.limit)
        if len(parts) == 1:
            # One message has no next part to go on with: whether it went out is the outbox
            # entry's own record (sending, then done or in doubt), so nothing more is kept.
            return RemoteRef(await self.send_part(target, parts[0]))
        sent = self.parts.sent(target, announcement.id)
        for part in parts[len(sent) :]:  # after a pause or a restart, go on with the next part
            sent.append(await self.send_part(target, part))
            self.parts.record(target, announcement.id, sent[-1])
        self.parts.finish(target, announcement.id)
        return RemoteRef(",".join(sent))

    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        if not self.config.board:
            return [RemoteRef(op.key) for op in ops]
        await self.open()
        return await self.board.apply(ops, programme)

    async def refresh(self, programme: Programme) -> None:
        """Pin the day that has come, and give a newly configured chat its day messages."""
        if self.config.board and self.board.due(programme):
            await self.open()
            await self.board.apply([], programme)
