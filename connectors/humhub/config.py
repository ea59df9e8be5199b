"""Settings of a ``[connectors.<name>]`` section with ``type = "humhub"``."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import Field, SecretStr, model_validator

from config.connector import ConnectorConfig
from config.words import Refusal

Auth = Literal["bearer", "basic", "jwt"]
#: The session fields a calendar entry shows (and reads back): what ``owns`` may name.
HUMHUB_FIELDS: tuple[str, ...] = ("title", "start", "end", "venue", "description", "status")


class HumHubConfig(ConnectorConfig):
    """One space of a HumHub network, through the REST API module (0.11) and the calendar module."""

    carries: ClassVar[tuple[str, ...] | None] = HUMHUB_FIELDS

    type: Literal["humhub"] = "humhub"
    url: str = Field(description="The network's address, e.g. https://reseau.example.org (the API is /api/v1/).")
    space: str = Field(
        description="The space: its URL name (as in /s/<name>/), its guid, or its display name."
    )
    auth: Auth | None = Field(
        default=None,
        description="'bearer' (an access token from Administration → REST API), 'basic' (user name and "
        "password), or 'jwt' (user name and password exchanged for a token, renewed when it expires). "
        "Default: bearer when a token is set, else basic.",
    )
    token: SecretStr | None = Field(default=None, description="The Bearer access token (auth = 'bearer').")
    token_file: str | None = None
    username: str | None = Field(default=None, description="User name or e-mail (auth = 'basic' or 'jwt').")
    password: SecretStr | None = None
    password_file: str | None = None
    server_timezone: str | None = Field(
        default=None,
        description="The network's default time zone (Administration → Settings → General), in which "
        "HumHub stores calendar times. Default: the event's time zone. Every write checks it.",
    )
    public: bool = Field(default=True, description="Entries and posts visible beyond the space's members.")
    news: bool = Field(default=True, description="Publish a post in the space for each batch of changes.")
    topic: str | None = Field(
        default=None,
        description="A topic (existing in the space) given to the hub's posts, so they can be filtered.",
    )
    language: Literal["fr", "en"] | None = Field(
        default=None, description="Language of the entries' marks and the posts; default: the hub's."
    )

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        """Which credentials the chosen way of logging in needs (their values are read later)."""
        auth = self.effective_auth
        if auth == "bearer" and self.token is None and not self.token_file:
            raise Refusal("auth = 'bearer' demande token ou token_file", "auth = 'bearer' needs token or token_file")
        if auth in ("basic", "jwt") and (
            not self.username or (self.password is None and not self.password_file)
        ):
            raise Refusal(f"auth = '{auth}' demande username et password ou password_file",
                          f"auth = '{auth}' needs username and password or password_file")
        return self

    @property
    def effective_auth(self) -> Auth:
        if self.auth is not None:
            return self.auth
        return "bearer" if self.token is not None or self.token_file else "basic"
