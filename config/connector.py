"""Settings every connector section shares (``[connectors.<name>]``), and reading its secrets.

Each connector type subclasses :class:`ConnectorConfig` with its own fields; the configuration
layer knows only this base, never a concrete connector.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from config.errors import ConfigError


class ConnectorConfig(BaseModel):
    """Settings shared by every connector section (``[connectors.<name>]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    owns: list[str] = Field(
        default_factory=list,
        description="Session fields that edits made on this remote may change "
        "('existence' lets it add and remove sessions).",
    )
    enabled: bool = True

    def secret(self, name: str, base_dir: Path | None = None) -> str | None:
        """A secret from ``<name>`` or the file named by ``<name>_file`` (first line, stripped).

        Kept as a ``SecretStr`` in the model so it never shows in a repr, a log or an error.
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
                return path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read the secret file for '{name}': {path} ({exc.strerror})"
                ) from None
        return None
