"""When a failed outbox entry is tried again: one policy for data writes and messages alike.

The server's word wins: a ``Retry-After`` (carried by :class:`~sync.errors.TransientError`) is
waited out. Otherwise the wait doubles with each attempt from ``[hub] retry_delay`` up to
``[hub] retry_max_delay``. With the default delay of 0 the next run retries at once, which is
what an organiser running ``hub sync`` by hand expects; a daemon sets a delay so that a remote
that keeps failing is not hammered.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.errors import TransientError


@dataclass(frozen=True)
class RetryPolicy:
    """Seconds to wait before the next attempt of an outbox entry."""

    delay: float = 0.0
    max_delay: float = 3600.0

    def wait(self, attempts: int, retry_after: float | None = None) -> float:
        """The wait after ``attempts`` failed attempts (1 = the first failed)."""
        if retry_after is not None:
            return retry_after
        return min(self.max_delay, self.delay * 2.0 ** max(0, attempts - 1))

    def next_at(self, now: float, exc: BaseException, attempts: int = 1) -> float:
        """The moment the entry becomes due again after failing with ``exc``."""
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        return now + self.wait(attempts, retry_after)
