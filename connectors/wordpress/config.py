"""Settings of a ``[connectors.<name>]`` section with ``type = "wordpress"``."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from config.connector import ConnectorConfig

SLUG = r"^[a-z0-9][a-z0-9-]*$"
#: What the page shows of a session (and reads back); track, format, kind and capacity are not
#: on the page. What ``owns`` may name.
WORDPRESS_FIELDS: tuple[str, ...] = ("title", "start", "end", "venue", "hosts", "description", "status", "links")


class WordPressConfig(ConnectorConfig):
    """One WordPress site: the programme page and, optionally, news posts for changes."""

    carries: ClassVar[tuple[str, ...] | None] = WORDPRESS_FIELDS

    type: Literal["wordpress"] = "wordpress"
    url: str = Field(description="Site address, e.g. https://assemblee.example.org")
    username: str
    application_password: SecretStr | None = Field(
        default=None, description="An application password (Users → Profile, WordPress >= 5.6)."
    )
    application_password_file: str | None = None
    api: Literal["rest", "xmlrpc"] = Field(
        default="rest", description="'xmlrpc' for sites whose REST API is disabled."
    )
    pretty_permalinks: bool = Field(
        default=True,
        description="False when the site has no /wp-json/ (then ?rest_route= is used).",
    )
    page: str = Field(default="programme", pattern=SLUG, description="Slug of the programme page.")
    page_title: str | None = Field(default=None, description="Default: 'Programme – <event>'.")
    on_drift: Literal["overwrite", "keep"] = Field(
        default="overwrite",
        description="What to do when a person edited the programme page in WordPress.",
    )
    news: bool = Field(default=True, description="Publish a news post for each batch of changes.")
    news_status: Literal["publish", "draft", "pending", "private"] = "publish"
    news_slug_prefix: str = Field(default="changements-programme", pattern=SLUG)
    language: Literal["fr", "en"] | None = Field(
        default=None, description="Language of the page and the posts; default: the hub's."
    )
