"""E-mail connector: announcements to a mailing list (Sympa, Mailman, an alias) by SMTP
submission, one message per published batch or one digest a day. See
:mod:`connectors.email.connector`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.email.config import EmailConfig
    from connectors.email.connector import EmailConnector

__all__ = ["EmailConfig", "EmailConnector"]
#: Where each name lives: imported on first use, so reading the settings does not load the
#: connector's client code.
_WHERE = {
    "EmailConfig": "connectors.email.config",
    "EmailConnector": "connectors.email.connector",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
