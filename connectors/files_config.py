"""``[connectors.<name>]`` with ``type = "files"``: the exports (ICS, frab JSON, HTML) written to a folder.

Pydantic only: checking a configuration does not import the connector's code
(:mod:`connectors.files` is imported when the connector is built).
"""

from __future__ import annotations

from pydantic import Field

from config.connector import ConnectorConfig


class FilesConfig(ConnectorConfig):
    """``[connectors.<name>]`` with ``type = "files"``: the exports written to a folder."""

    type: str = "files"
    path: str = Field(description="Folder the exports are written to (created if missing).")
    ics: str = "programme.ics"
    json_name: str = Field("programme.json", alias="json")
    html: str = "index.html"
    language: str | None = Field(None, description="Language of the HTML page; default [hub] language.")
    base_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/]+",
        description="Public address of the folder (https://example.org/programme/): the page then "
        "offers a webcal:// link to subscribe to the calendar.",
    )

