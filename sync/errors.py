"""The hub's error tree, grouped by what the engine or the CLI does next.

::

    HubError
    ├── ConfigError(problems)        bad configuration: clear message, exit 2, no traceback
    ├── InputError(problems)         a bad programme file or import: exit 2, nothing pushed
    ├── UsageError                   a command's arguments are wrong (an unknown batch): exit 2
    ├── StateUnreadable              the state database is corrupt or from a newer hub: exit 2
    ├── ConnectorError(connector)    raised by a connector
    │   ├── AuthError                stop this connector, ask for credentials
    │   ├── TransientError           back off (``retry_after`` seconds when the server said)
    │   ├── PermanentError           record, skip the item
    │   │   └── DeliveryUnknown      a message may have gone out: flag it in_doubt, never resend
    │   ├── PreconditionFailed       re-pull and re-plan, never overwrite
    │   │   └── NotFound
    │   ├── CapabilityError          the engine asked for something the connector does not do
    │   └── BreakerOpen              the connector is held off until a person resets it
    └── SyncError
        ├── StorageEmpty             a mass disappearance: that connector is stopped
        └── LockBusy                 another hub process is writing the state

Each error carries the data needed to act on it, and its ``str`` never contains a secret.
``HubError``, ``Problem`` and ``ConfigError`` are defined in :mod:`config.errors`, so that reading
the configuration needs nothing above it; this module grows the rest of the tree and is where
every other layer imports the whole of it from.
"""

from __future__ import annotations

from config.errors import ConfigError, HubError, Problem, ProblemsError

__all__ = [
    "AuthError", "BreakerOpen", "CapabilityError", "ConfigError", "ConnectorError", "DeliveryUnknown",
    "HubError", "InputError", "LockBusy", "NotFound", "PermanentError", "PreconditionFailed", "Problem",
    "StateUnreadable", "StorageEmpty", "SyncError", "TransientError", "UsageError",
]


class InputError(ProblemsError):
    """A programme file or import is invalid; nothing was pushed anywhere."""


class UsageError(HubError):
    """A person's command is wrong (an unknown number, a bad date): nothing was done."""


class StateUnreadable(HubError):
    """The state database cannot be used as it is (damaged, or written by a newer hub)."""


class ConnectorError(HubError):
    """An error raised while talking to one connector's remote."""

    def __init__(self, message: str, *, connector: str | None = None) -> None:
        self.connector = connector
        super().__init__(message)

    def __str__(self) -> str:
        base = super().__str__()
        return f"[{self.connector}] {base}" if self.connector else base


class AuthError(ConnectorError):
    """The credentials are refused or lack a right: stop this connector."""


class TransientError(ConnectorError):
    """The remote is down, slow or rate limiting: try again later."""

    def __init__(
        self, message: str, *, connector: str | None = None, retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, connector=connector)


class PermanentError(ConnectorError):
    """The remote refused this item for good: record it and skip the item."""


class DeliveryUnknown(PermanentError):
    """The connection broke after a message was sent: it may have arrived. Flagged ``in_doubt``
    for a person to check; resending could duplicate it."""


class PreconditionFailed(ConnectorError):
    """The remote changed since it was read: re-pull and re-plan, never overwrite."""


class NotFound(PreconditionFailed):
    """The remote object the hub expected is gone."""


class CapabilityError(ConnectorError):
    """The connector was asked for an operation it does not declare."""


class BreakerOpen(ConnectorError):
    """The connector is held off (rate limit, CAPTCHA) until it is reset."""


class SyncError(HubError):
    """The engine refused to go on for one connector or for the whole run."""


class StorageEmpty(SyncError):
    """Too many of a connector's items vanished at once: that connector is stopped."""

    def __init__(self, connector: str, vanished: int, known: int) -> None:
        self.connector = connector
        self.vanished = vanished
        self.known = known
        super().__init__(
            f"[{connector}] {vanished} of {known} items vanished in one pull; "
            "the connector is stopped instead of deleting them everywhere "
            "(run `hub sync --force-delete` if the deletion is intended)"
        )


class LockBusy(SyncError):
    """Another hub process holds the writer lock."""

    #: Seconds waited for it before giving up.
    waited: float = 0.0
