"""Configuration: one TOML file, every value overridable from the environment.

Shape (see the README)::

    [hub]
    programme = "programme.yaml"     # relative paths are relative to the config file
    database = "sqlite:///hub.db"
    language = "fr"

    [connectors.<name>]
    type = "files"                   # picks the connector; the rest is that type's settings

Environment: ``HUB_<SECTION>__<KEY>`` with ``__`` between levels, e.g.
``HUB_CONNECTORS__SITE__APPLICATION_PASSWORD=...`` or ``HUB_HUB__LANGUAGE=en``. Values are read
as TOML when they parse as such (``[1, 2]``, ``true``, ``42``), else as plain strings.
Secrets come from the environment or from ``*_file`` settings; the models keep them as
``SecretStr`` so they never appear in a repr, a log line or an error.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.connector import ConnectorConfig
from config.errors import ConfigError, Problem

ENV_PREFIX = "HUB_"
DEFAULT_CONFIG = "hub.toml"


class HubSection(BaseModel):
    """The ``[hub]`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    programme: str | None = Field(None, description="Programme file (YAML, or frab/pretalx JSON).")
    programme_owns: list[str] | None = Field(
        None, description="Fields the programme file may change; default: all, and existence."
    )
    database: str = Field("sqlite:///hub.db", description="SQLAlchemy URL of the state store.")
    language: Literal["fr", "en"] = "fr"
    programme_review: Literal["never", "mass", "deletions", "always"] = Field(
        "never",
        description="When edits of the programme file wait for 'hub review --accept' (see connectors' review). "
        "Default never: the file is edited by the organisers who run the hub; set 'mass' when others can "
        "write it (a shared folder).",
    )
    mass_delete_ratio: float = Field(
        0.2, ge=0, le=1, description="Default share of the programme a source may change before it is held."
    )
    mass_delete_min: int = Field(3, ge=0, description="Default number of sessions a source may always change.")
    review_window_hours: float = Field(
        24.0, ge=0, description="Default rolling window over which a source's changes are added up."
    )
    admin_chats: list[str] = Field(
        default_factory=list,
        description="Where notices for organisers go (held changes): '<connector>' (all its chats) "
        "or '<connector>:<chat>'.",
    )
    lock_file: str | None = Field(None, description="Writer lock; default: next to the database.")
    retry_delay: float = Field(
        0.0, ge=0, description="Seconds before a failed write or message is tried again, doubled per attempt."
    )
    retry_max_delay: float = Field(3600.0, ge=0, description="The longest wait between two attempts.")
    announce_delay: float = Field(
        0.0, ge=0, description="Seconds a session must stay unchanged before its change is announced."
    )


class SectionValidator(Protocol):
    """Turns one raw ``[connectors.<name>]`` table into its connector type's settings.

    The configuration knows no connector type: the layer that holds the registry passes this
    in (:func:`hub.runtime.load_settings`). It raises ``ConfigError`` (problems naming the field
    from ``connectors.<name>``) or pydantic's ``ValidationError``.
    """

    def __call__(self, name: str, section: Mapping[str, Any]) -> ConnectorConfig: ...


@dataclass(frozen=True)
class ConnectorSettings:
    """One validated ``[connectors.<name>]`` section."""

    name: str
    config: ConnectorConfig


@dataclass(frozen=True)
class Settings:
    """The whole validated configuration."""

    path: Path
    hub: HubSection
    connectors: tuple[ConnectorSettings, ...]

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, value: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    @property
    def database_url(self) -> str:
        """The database URL, with a relative SQLite path made relative to the config file."""
        url = self.hub.database
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix) :]))
        return url


def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Nested overrides from ``HUB_A__B__C=value`` variables (only those with ``__``)."""
    overrides: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        path = [part.lower() for part in key[len(ENV_PREFIX) :].split("__")]
        if not all(path):
            continue
        node = overrides
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = _parse_env_value(raw)
    return overrides


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _problems(exc: ValidationError, file: str, prefix: str) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"])
        field = f"{prefix}.{loc}" if loc else prefix
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown setting"
        problems.append(Problem(message, file=file, field=field))
    return problems


def load_settings(
    path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    validate: SectionValidator,
) -> Settings:
    """Read, overlay the environment, validate. Raises :class:`ConfigError` listing every problem.

    ``validate`` checks each connector section against its type's settings.
    """
    environ = os.environ if environ is None else environ
    config_path = Path(path or environ.get("HUB_CONFIG") or DEFAULT_CONFIG)
    file = str(config_path)
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(Problem("configuration file not found", file=file)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(Problem(f"not valid TOML: {exc}", file=file)) from None
    raw = _merge(raw, env_overrides(environ))

    problems: list[Problem] = []
    unknown = set(raw) - {"hub", "connectors"}
    problems += [Problem("unknown section", file=file, field=name) for name in sorted(unknown)]
    try:
        hub = HubSection.model_validate(raw.get("hub", {}))
    except ValidationError as exc:
        problems += _problems(exc, file, "hub")
        hub = HubSection()

    sections = raw.get("connectors", {})
    connectors: list[ConnectorSettings] = []
    if not isinstance(sections, dict):
        problems.append(Problem("must be a table of connector sections", file=file, field="connectors"))
        sections = {}
    for name, section in sections.items():
        field = f"connectors.{name}"
        if not isinstance(section, dict):
            problems.append(Problem("must be a table", file=file, field=field))
            continue
        type_name = section.get("type")
        if not isinstance(type_name, str):
            problems.append(Problem("missing 'type'", file=file, field=f"{field}.type"))
            continue
        try:
            config = validate(name, section)
        except ConfigError as exc:
            problems += [Problem(p.message, file=file, field=p.field) for p in exc.problems]
            continue
        except ValidationError as exc:
            problems += _problems(exc, file, field)
            continue
        if config.enabled:
            connectors.append(ConnectorSettings(name, config))
    for entry in hub.admin_chats:
        if entry.partition(":")[0] not in sections:
            known = ", ".join(sorted(sections)) or "none"
            problems.append(Problem(f"'{entry}' names no connector section (known: {known})",
                                    file=file, field="hub.admin_chats"))
    if problems:
        raise ConfigError(problems)
    return Settings(config_path.resolve(), hub, tuple(connectors))
