"""Etherpad (Framapad): the programme pad, two-way, and meeting-notes pads.

``connectors.etherpad:EtherpadConnector`` is the registered ``type = "etherpad"``. The pad
format is described in ``docs/etherpad.md`` and in :mod:`connectors.etherpad.padtext`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.etherpad.config import EtherpadConfig
    from connectors.etherpad.connector import EtherpadConnector

__all__ = ["EtherpadConfig", "EtherpadConnector"]
#: Where each name lives: imported on first use, so reading the settings does not load the
#: connector's client code.
_WHERE = {
    "EtherpadConfig": "connectors.etherpad.config",
    "EtherpadConnector": "connectors.etherpad.connector",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
