"""Configuration: one TOML file, every value overridable from the environment.

Shape (see the README)::

    [hub]
    programme = "programme.yaml"     # relative paths are relative to the config file
    database = "sqlite:///hub.db"
    language = "fr"

    [connectors.<name>]
    type = "files"                   # picks the connector; the rest is that type's settings

Environment: ``HUB_<SECTION>__<KEY>`` with ``__`` between levels, e.g.
``HUB_CONNECTORS__SITE__APPLICATION_PASSWORD=...`` or ``HUB_HUB__LANGUAGE=en``. A value is typed
by the field it sets (:mod:`config.environment`): text fields and secrets take the raw string,
other fields the value read as TOML (``[1, 2]``, ``true``, ``42``). A problem with such a value
names the variable, not the file.
Secrets come from the environment or from ``*_file`` settings; the models keep them as
``SecretStr`` so they never appear in a repr, a log line or an error.

Problems name the file and the field, and an unknown key the closest known one
(``paramètre inconnu « pasword_file » : vouliez-vous dire « password_file » ?``). They are said
in the configuration's language (:func:`config.words.config_language`: its ``[hub] language``
when the file says one, even if the rest is wrong; else ``HUB_LANGUAGE`` or the system locale).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from config.connector import SECRET_MIN_LENGTH, ConnectorConfig
from config.environment import env_overrides, env_variables, settle, variable_name
from config.errors import ConfigError, Problem
from config.messages import pydantic_message, quote, say, toml_problem
from config.paths import config_file
from config.words import config_language

#: The tables a configuration file has.
SECTIONS = frozenset({"hub", "connectors", "daemon"})
#: ``postgresql://``, ``sqlite:`` ...: a database URL, not a file's path.
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class HubSection(BaseModel):
    """The ``[hub]`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    programme: str | None = Field(None, description="Programme file (YAML, or frab/pretalx JSON).")
    lock_wait: float = Field(
        120.0, ge=0, description="Seconds a sync waits for another one (a second `hub sync`, the daemon) to finish "
        "writing before it gives up.",
    )
    timeout: float = Field(
        30.0, gt=0, description="Seconds a server has to accept a connection and to answer, for every connector "
        "(a connector section's own timeout overrides it).",
    )
    programme_owns: list[str] | None = Field(
        None, description="Fields the programme file may change; default: all, and existence."
    )
    max_programme_bytes: int = Field(
        20_000_000, ge=1, description="A larger programme file is refused (exit 2) without being read: "
        "10,000 sessions are about 2 MB.",
    )
    database: str = Field(
        "sqlite:///hub.db",
        description="SQLAlchemy URL of the state store, or the path of a SQLite file (relative to the config file).",
    )
    language: Literal["fr", "en"] = "fr"
    programme_write_back: bool = Field(
        False, description="Write what other tools changed back into the programme file (YAML only), "
        "keeping its comments and layout.",
    )
    programme_review: Literal["never", "mass", "deletions", "always"] = Field(
        "mass",
        description="When edits of the programme file wait for 'hub review --accept' (see connectors' review). "
        "Like every source: a mistaken copy of the file must not rewrite the programme everywhere; "
        "set 'never' when only careful hands edit it.",
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

    @model_validator(mode="before")
    @classmethod
    def _environment(cls, data: Any) -> Any:
        """Values from environment variables typed by their field (text stays text)."""
        return settle(cls, data)


class DaemonSection(BaseModel):
    """The ``[daemon]`` section: how ``hub daemon`` keeps every channel current by itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listen: str = Field(
        "127.0.0.1:8765", pattern=r"^[^\s:]*:\d{1,5}$",
        description="HOST:PORT of the daemon's web server (webhooks, /healthz, /readyz, /metrics, /public/).",
    )
    probe_interval: float = Field(
        60.0, gt=0, description="Seconds between two cheap 'anything new?' looks at a source; a connector's "
        "own probe_interval overrides it. A change found starts a sync at once.",
    )
    file_interval: float = Field(
        1.0, gt=0, description="Seconds between two looks at the programme file's modification time.",
    )
    jitter: float = Field(
        0.1, ge=0, le=1, description="Share of an interval added at random, so probes do not all fire together.",
    )
    trigger_token: SecretStr | None = Field(
        None, description="Token POST /webhooks/trigger requires (sync now: pads, WordPress, Nextcloud hooks).",
    )
    trigger_token_file: str | None = Field(None, description="File holding the trigger token.")
    public: str | None = Field(
        None, description="Folder served under /public/ with ETag and Last-Modified (the exports); "
        "relative to the config file.",
    )
    admin_url: str | None = Field(
        None, pattern=r"^https?://", description="Address of the organisers' page as they reach it (behind a "
        "proxy: https://hub.example.org/admin/), for the sign-in links the bot gives; default: the listen address.",
    )
    stop_timeout: float = Field(
        7.0, ge=0, le=9, description="Seconds a sync in flight gets to finish on SIGTERM before it is abandoned "
        "(the outbox settles it at the next start).",
    )

    @model_validator(mode="before")
    @classmethod
    def _environment(cls, data: Any) -> Any:
        """Values from environment variables typed by their field (text stays text)."""
        return settle(cls, data)


class SectionValidator(Protocol):
    """Turns one raw ``[connectors.<name>]`` table into its connector type's settings.

    The configuration knows no connector type: the layer that holds the registry passes this
    in (:func:`hub.runtime.load_settings`). It raises ``ConfigError`` (problems naming the field
    from ``connectors.<name>``, said in ``lang``) or pydantic's ``ValidationError``.
    """

    def __call__(self, name: str, section: Mapping[str, Any], lang: str = "en") -> ConnectorConfig: ...


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
    daemon: DaemonSection = dataclasses.field(default_factory=DaemonSection)
    #: The PostgreSQL schema holding the state, or None: the database's own. Set for a hosted
    #: collective (its ``c_<id>``), never by the file: its state and its writer lock are that
    #: schema's.
    state_schema: str | None = None

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, value: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    @property
    def database_url(self) -> str:
        """The database URL, with a relative SQLite path made relative to the config file.

        A bare path (``hub.db``, ``state/hub.db``, ``/var/lib/hub/hub.db``) is a SQLite file.
        """
        url = self.hub.database
        prefix = "sqlite:///"
        if url and not _URL_SCHEME.match(url):
            return prefix + str(self.resolve(url))
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix) :]))
        return url


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _unknown_section(name: str, lang: str) -> str:
    message = say("section.unknown", lang, name=name)
    suggestion = _closest(name, SECTIONS)
    return say("meant", lang, message=message, meant=f"[{suggestion}]") if suggestion else message


# --- problems: where, what, and the name that was probably meant -----------------------------


@dataclass(frozen=True)
class _Issue:
    """One problem at a path of the merged configuration, before it is told as a file's or an
    environment variable's."""

    path: tuple[str, ...]
    message: str
    #: For an unknown key: the key, and the closest known one.
    unknown: str | None = None
    suggestion: str | None = None


def _closest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` was probably meant to be (a typo, a missing letter), or None."""
    matches = difflib.get_close_matches(name.lower(), sorted(set(known)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _field_names(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()} | set(model.model_fields)


def _model_at(model: type[BaseModel] | None, loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The settings model at ``loc`` inside ``model`` (nested sections, lists of them)."""
    for part in loc:
        if model is None:
            return None
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            continue  # a list index or a table key: the same model further down
        model = _nested_model(field.annotation)
    return model


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _connector_model(title: str, type_name: str) -> type[BaseModel] | None:
    """The settings class that refused a connector section, by the error's title (its class
    name; the section's ``type`` decides between classes of the same name)."""
    found: list[type[ConnectorConfig]] = []
    pending: list[type[ConnectorConfig]] = [ConnectorConfig]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__name__ == title:
            found.append(cls)
    for cls in found:
        field = cls.model_fields.get("type")
        if field is not None and field.default == type_name:
            return cls
    return found[0] if found else None


def _issues(
    exc: ValidationError, prefix: tuple[str, ...], model: type[BaseModel] | None, lang: str
) -> list[_Issue]:
    issues = []
    for error in exc.errors():
        loc = error["loc"]
        path = (*prefix, *(str(part) for part in loc))
        if error["type"] == "extra_forbidden" and loc:
            key = str(loc[-1])
            parent = _model_at(model, loc[:-1])
            suggestion = _closest(key, _field_names(parent)) if parent is not None else None
            issues.append(_Issue(path, say("setting.unknown", lang, name=key), key, suggestion))
        else:
            issues.append(_Issue(path, pydantic_message(error, lang)))
    return issues


def _told(issue: _Issue, file: str, variables: Mapping[tuple[str, ...], str], lang: str) -> Problem:
    """The problem as the person who wrote the value will recognise it: a field of the file, or
    the environment variable that set it (or a table above it)."""
    set_by = max((path for path in variables if issue.path[: len(path)] == path), key=len, default=None)
    message = issue.message
    if issue.unknown is not None and issue.suggestion:
        meant = (quote(issue.suggestion, lang) if set_by is None
                 else variable_name((*issue.path[:-1], issue.suggestion)))
        message = say("meant", lang, message=message, meant=meant)
    if set_by is None:
        return Problem(message, file=file, field=".".join(issue.path) or None, lang=lang)
    where = say("where.variable", lang, variable=variables[set_by])
    if set_by != issue.path:
        where += ", " + say("where.field", lang, field=".".join(issue.path))
    return Problem(say("said", lang, where=where, message=message), lang=lang)


def _from_environment_only(
    path: tuple[str, ...], what: str, known: Iterable[str], variables: Mapping[tuple[str, ...], str], lang: str
) -> list[Problem]:
    """A table that only environment variables name (a typo in the section's part of their
    names): one problem per variable, with the variable probably meant."""
    problems = []
    suggestion = _closest(path[-1], known)
    for var_path, variable in sorted(variables.items()):
        if var_path[: len(path)] != path:
            continue
        message = say("said", lang, where=say("where.variable", lang, variable=variable), message=what)
        if suggestion:
            meant = variable_name((*path[:-1], suggestion, *var_path[len(path) :]))
            message = say("meant", lang, message=message, meant=meant)
        problems.append(Problem(message, lang=lang))
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
    config_path = config_file(path, environ)
    file = str(config_path)
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        lang = config_language(None, environ)
        raise ConfigError(Problem(say("file.missing", lang), file=file, lang=lang)) from None
    except tomllib.TOMLDecodeError as exc:
        lang = config_language(None, environ)
        message, line = toml_problem(str(exc), lang)
        raise ConfigError(Problem(message, file=file, line=line, lang=lang)) from None
    lang = config_language(raw, environ)
    from_file = raw
    overrides = env_overrides(environ)
    variables = env_variables(overrides)
    raw = _merge(raw, overrides)

    problems: list[Problem] = []

    def tell(*issues: _Issue) -> None:
        problems.extend(_told(issue, file, variables, lang) for issue in issues)

    for name in sorted(set(raw) - SECTIONS):
        if name in from_file:
            problems.append(Problem(_unknown_section(name, lang), file=file, field=name, lang=lang))
        problems += _from_environment_only(
            (name,), say("section.unknown", lang, name=name), SECTIONS, variables, lang
        )
    try:
        hub = HubSection.model_validate(raw.get("hub", {}))
    except ValidationError as exc:
        tell(*_issues(exc, ("hub",), HubSection, lang))
        hub = HubSection()

    try:
        daemon = DaemonSection.model_validate(raw.get("daemon", {}))
    except ValidationError as exc:
        tell(*_issues(exc, ("daemon",), DaemonSection, lang))
        daemon = DaemonSection()

    sections = raw.get("connectors", {})
    connectors: list[ConnectorSettings] = []
    if not isinstance(sections, dict):
        tell(_Issue(("connectors",), say("connectors.not_table", lang)))
        sections = {}
    in_file = from_file.get("connectors")
    in_file = in_file if isinstance(in_file, dict) else {}
    for name, section in sections.items():
        where = ("connectors", name)
        if not isinstance(section, dict):
            tell(_Issue(where, say("section.not_table", lang)))
            continue
        type_name = section.get("type")
        if name not in in_file and "type" not in section:
            what = say("section.not_in_file", lang, name=name, file=config_path.name)
            problems += _from_environment_only(where, what, in_file, variables, lang)
            continue
        if not isinstance(type_name, str):
            tell(_Issue((*where, "type"), say("type.missing", lang)))
            continue
        try:
            config = validate(name, section, lang)
        except ConfigError as exc:
            for p in exc.problems:
                if p.field:
                    tell(_Issue(tuple(p.field.split(".")), p.message))
                else:
                    problems.append(Problem(p.message, file=file, lang=lang))
            continue
        except ValidationError as exc:
            tell(*_issues(exc, where, _connector_model(exc.title, type_name), lang))
            continue
        short = [key for key, value in vars(config).items()
                 if isinstance(value, SecretStr) and 0 < len(value.get_secret_value()) < SECRET_MIN_LENGTH]
        for key in short:
            tell(_Issue((*where, key), say("secret.too_short", lang, length=SECRET_MIN_LENGTH)))
        if short:
            continue
        if config.enabled:
            connectors.append(ConnectorSettings(name, config))
    for entry in hub.admin_chats:
        if entry.partition(":")[0] not in sections:
            known = ", ".join(sorted(sections)) or say("none", lang)
            tell(_Issue(("hub", "admin_chats"), say("admin_chats.unknown", lang, entry=entry, known=known)))
    if problems:
        raise ConfigError(problems)
    return Settings(config_path.resolve(), hub, tuple(connectors), daemon)
