"""Framadate connector: date polls and sign-up polls through Framadate's web forms (it has no API).

See :mod:`connectors.framadate.connector`; the meetings workflow (a closed date poll becomes a
calendar meeting with its notes pad) is :mod:`connectors.framadate.meetings`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.framadate.config import FramadateConfig
    from connectors.framadate.connector import FramadateConnector

__all__ = ["FramadateConfig", "FramadateConnector"]
#: Where each name lives: imported on first use, so reading the settings does not load the
#: connector's client code.
_WHERE = {
    "FramadateConfig": "connectors.framadate.config",
    "FramadateConnector": "connectors.framadate.connector",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
