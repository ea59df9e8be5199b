"""``[connectors.<name>]`` with ``type = "etherpad"``: the programme pad's settings.

Pydantic only: checking a configuration does not import the connector's HTTP and pad code
(:mod:`connectors.etherpad.connector` is imported when the connector is built).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from config.connector import ConnectorConfig
from config.words import Refusal
from connectors.etherpad.padtext import PAD_FIELDS

PAD_ID_MAX = 50


class EtherpadConfig(ConnectorConfig):
    """``[connectors.<name>]`` with ``type = "etherpad"``."""

    carries: ClassVar[tuple[str, ...] | None] = PAD_FIELDS

    url: str = Field(description="Etherpad's base URL, e.g. https://framapad.org or http://127.0.0.1:9001")
    pad: str = Field(description="Pad id of the programme pad (created at the first sync).")
    api_version: str = Field("1.2.15", description="HTTP API version (1.2.15 works on 1.8 and 2.x).")
    api_key: SecretStr | None = None
    api_key_file: str | None = None
    client_id: str | None = Field(None, description="OAuth2 client (Etherpad 2.x sso.clients).")
    client_secret: SecretStr | None = None
    client_secret_file: str | None = None
    token_url: str | None = Field(None, description="Default: <url>/oidc/token.")
    token_auth: Literal["basic", "post"] = Field(
        "basic", description="How the client proves itself to the token endpoint."
    )
    scope: str | None = None
    create_sessions: bool = Field(
        False,
        description="A new line without a [#marker] becomes a new session (the engine also needs owns 'existence').",
    )
    public_url: str | None = Field(None, description="Base URL people open pads at; default: url.")
    language: Literal["fr", "en"] | None = Field(None, description="Pad language; default: [hub] language.")
    max_pad_chars: int = Field(
        2_000_000, ge=1_000,
        description="Longest pad text read, in characters (a programme of 1,000 sessions is about 500,000): "
        "a longer pad (a paste gone wrong, vandalism) is refused for this run, not parsed.",
    )

    @field_validator("pad")
    @classmethod
    def _pad_id(cls, value: str) -> str:
        if not value or len(value) > PAD_ID_MAX or any(c in value for c in "$/?&#"):
            raise Refusal(f"un identifiant de pad Etherpad compte 1 à {PAD_ID_MAX} caractères, sans $ / ? & #",
                          f"an Etherpad pad id has 1 to {PAD_ID_MAX} characters, none of $ / ? & #")
        return value

    @model_validator(mode="after")
    def _one_way_in(self) -> EtherpadConfig:
        key = self.api_key is not None or self.api_key_file is not None
        oauth = self.client_id is not None
        if key == oauth:
            raise Refusal("donnez soit api_key (ou api_key_file), soit client_id avec client_secret",
                          "give either api_key (or api_key_file), or client_id with client_secret")
        if oauth and self.client_secret is None and self.client_secret_file is None:
            raise Refusal("client_id demande client_secret ou client_secret_file",
                          "client_id needs client_secret or client_secret_file")
        return self

