"""Settings every connector section shares (``[connectors.<name>]``), and reading its secrets.

Each connector type subclasses :class:`ConnectorConfig` with its own fields; the configuration
layer knows only this base, never a concrete connector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from config.environment import settle
from config.errors import ConfigError, Problem
from config.messages import os_reason, say
from config.secret_file import SECRET_MIN_LENGTH as SECRET_MIN_LENGTH
from config.secret_file import SecretTooShort, read_secret
from config.words import startup_language


class ConnectorConfig(BaseModel):
    """Settings shared by every connector section (``[connectors.<name>]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: The session fields this connector type carries, which ``owns`` may name; None: every
    #: session field. Declared here, beside the settings, so a configuration is checked without
    #: importing the connector (and its client library); the connector's ``fields`` is the same.
    carries: ClassVar[tuple[str, ...] | None] = None

    type: str
    owns: list[str] = Field(
        default_factory=list,
        description="Session fields that edits made on this remote may change "
        "('existence' lets it add and remove sessions).",
    )
    enabled: bool = True
    timeout: float | None = Field(
        None, gt=0, description="Seconds this server has to accept a connection and to answer; default [hub] timeout."
    )
    sync: bool = Field(
        True,
        description="False: hub sync leaves this section out; only what names it uses it "
        "(the organisers' calendar a poll connector puts meetings in).",
    )
    probe_interval: float | None = Field(
        None, gt=0, description="Seconds between two of the daemon's cheap looks at this source; "
        "default [daemon] probe_interval.",
    )
    review: Literal["never", "mass", "deletions", "always"] = Field(
        "mass",
        description="When this source's edits wait for an organiser's 'hub review --accept': "
        "never; mass (more than review_min sessions and review_ratio of the programme in one pull "
        "or over review_window_hours); deletions (mass, or any session removed); always.",
    )
    review_ratio: float | None = Field(
        None, ge=0, le=1,
        description="Share of the programme above which a change is held; default [hub] mass_delete_ratio.",
    )
    review_min: int | None = Field(
        None, ge=0, description="Sessions always allowed per window; default [hub] mass_delete_min."
    )
    review_window_hours: float | None = Field(
        None, ge=0, description="The rolling window edits are added up over; default [hub] review_window_hours."
    )

    @model_validator(mode="before")
    @classmethod
    def _environment(cls, data: Any) -> Any:
        """Values from environment variables typed by their field (text stays text)."""
        return settle(cls, data)

    def secret(self, name: str, base_dir: Path | None = None, *, lang: str | None = None) -> str | None:
        """A secret from ``<name>`` or the file named by ``<name>_file`` (first line, stripped).

        Kept as a ``SecretStr`` in the model so it never shows in a repr, a log or an error. A
        file that cannot be read is a ``ConfigError`` said in ``lang`` (default: the start-up
        language, :func:`config.words.startup_language`).
        """
        value = getattr(self, name, None)
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, str) and value:
            return value
        path = getattr(self, f"{name}_file", None)
        if path:
            path = Path(path)
            if base_dir is not None and not path.is_absolute():
                path = base_dir / path
            try:
                return read_secret(path)
            except SecretTooShort:
                lang = lang or startup_language()
                raise ConfigError(Problem(say("secret.short", lang, name=name, path=path, length=SECRET_MIN_LENGTH),
                                          lang=lang)) from None
            except OSError as exc:
                lang = lang or startup_language()
                reason = os_reason(exc, lang)
                raise ConfigError(Problem(
                    say("secret.unreadable", lang, name=name, path=path, reason=reason), lang=lang
                )) from None
        return None
