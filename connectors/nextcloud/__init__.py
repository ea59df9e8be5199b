"""Nextcloud: the event calendar over CalDAV and the exports published into a shared folder.

The calendar is the same connector as ``type = "caldav"`` (:mod:`connectors.caldav`), pointed at
``/remote.php/dav/calendars/<user>/<calendar>/`` with an app password; the exports (ICS, frab
JSON, HTML, rendered by :mod:`connectors.exports` as the ``files`` connector does) are written
into a folder of the account over WebDAV, in place, so share links keep working.
Talk (chat announcements) lives in :mod:`connectors.nextcloud.talk`.
"""

from connectors.nextcloud.connector import NextcloudConfig, NextcloudConnector

__all__ = ["NextcloudConfig", "NextcloudConnector"]
