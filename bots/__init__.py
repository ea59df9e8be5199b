"""Chat bots: one question-answering engine over the live programme, shared by every channel.

``answer(programme, question, at=..., lang=...)`` returns an :class:`Answer` that each chat
connector renders in its own format (``answer.render("html")`` for Telegram, ``"text"`` for
Signal, ``"markdown"`` for Talk).
"""

from bots.answer import Answer, Line, Message
from bots.answering import answer

__all__ = ["Answer", "Line", "Message", "answer"]
