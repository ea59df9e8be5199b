"""WordPress connector: the programme page, updated in place, and news posts for changes.

REST API with an application password by default; XML-RPC (python-wordpress-xmlrpc) for sites
that disabled REST. See :mod:`connectors.wordpress.connector`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.wordpress.config import WordPressConfig
    from connectors.wordpress.connector import WordPressConnector

__all__ = ["WordPressConfig", "WordPressConnector"]
#: Where each name lives: imported on first use, so reading the settings does not load the
#: connector's client code.
_WHERE = {
    "WordPressConfig": "connectors.wordpress.config",
    "WordPressConnector": "connectors.wordpress.connector",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
