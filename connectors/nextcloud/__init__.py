"""Nextcloud: the event calendar over CalDAV and the exports published into a shared folder.

The calendar is the same connector as ``type = "caldav"`` (:mod:`connectors.caldav`), pointed at
``/remote.php/dav/calendars/<user>/<calendar>/`` with an app password; the exports (ICS, frab
JSON, HTML, rendered by :mod:`connectors.exports` as the ``files`` connector does) are written
into a folder of the account over WebDAV, in place, so share links keep working.
Talk (chat announcements) lives in :mod:`connectors.nextcloud.talk`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.nextcloud.config import NextcloudConfig
    from connectors.nextcloud.connector import NextcloudConnector

__all__ = ["NextcloudConfig", "NextcloudConnector"]
#: Where each name lives: imported on first use, so reading the settings does not load the
#: connector's client code.
_WHERE = {
    "NextcloudConfig": "connectors.nextcloud.config",
    "NextcloudConnector": "connectors.nextcloud.connector",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
