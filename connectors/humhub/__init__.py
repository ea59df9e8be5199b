"""HumHub: the programme's sessions as calendar entries of a space, announcements as its posts."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.humhub.config import HumHubConfig
    from connectors.humhub.connector import HumHubConnector

__all__ = ["HumHubConfig", "HumHubConnector"]
#: Where each name lives: imported on first use, so reading the settings does not load the
#: connector's client code.
_WHERE = {
    "HumHubConfig": "connectors.humhub.config",
    "HumHubConnector": "connectors.humhub.connector",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
