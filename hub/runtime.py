"""The one place the hub is wired: settings validated against the registry, connectors built.

Every command goes through here (``hub sync``, ``plan``, ``check``, ``bots``, ``pad new``...), so
a connector is constructed in exactly one way: its section validated by its own config class,
a context with a counted HTTP client, the state store's per-connector mappings when there is a
store. The engine and the bots receive ready connectors and never name a connector type.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.connector import ConnectorConfig
from config.settings import ConnectorSettings, Settings
from config.settings import load_settings as read_settings
from connectors.registry import connector_class, settings_class
from hub.hosted import HOSTED as HOSTED
from hub.messages import MESSAGES
from sync.errors import ConfigError, Problem
from sync.model import SESSION_FIELDS

if TYPE_CHECKING:  # imported where used: reading the settings needs none of them
    import httpx

    from config.redaction import Redactor
    from sync.engine import Engine, Progress
    from sync.protocol import Connector, RequestCounter
    from sync.report import Report
    from sync.state import StateStore

#: The name the programme file goes by in reports, links and cursors.
PROGRAMME_SOURCE = "programme"


def validate_section(name: str, section: Mapping[str, Any], lang: str = "en") -> ConnectorConfig:
    """One ``[connectors.<name>]`` table checked by its type's own settings class; problems said
    in ``lang``. Only the settings class is imported, never the connector and its library."""
    type_name = str(section.get("type"))
    model = settings_class(type_name, section=name, lang=lang)
    config = model.model_validate(section)
    carried = SESSION_FIELDS if model.carries is None else model.carries
    bad_owns = sorted(set(config.owns) - set(carried) - {"existence"})
    if bad_owns:
        raise ConfigError(Problem(
            MESSAGES.say("owns.not_carried", lang, fields=", ".join(bad_owns), type=type_name,
                         carried=", ".join(carried)),
            field=f"connectors.{name}.owns", lang=lang,
        ))
    return config




def load_settings(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """The configuration, every connector section validated (``ConfigError`` lists all problems).

    With no file named and a hosted collective targeted (:data:`HOSTED`), that collective's
    configuration from the registry, its state in its own schema of the hosting database."""
    hosted = HOSTED.get()
    if path is None and hosted is not None:
        from hub.hosting.registry import hosted_settings

        collective_id, database, lang = hosted
        return hosted_settings(collective_id, database, lang=lang,
                               load=lambda file: read_settings(file, environ, validate=validate_section))
    return read_settings(path, environ, validate=validate_section)


def open_store(settings: Settings) -> StateStore:
    """The state store the configuration names (migrated to the current schema)."""
    from sync.state import StateStore

    return StateStore.open(settings.database_url, lang=settings.hub.language, schema=settings.state_schema)


def programme_section(settings: Settings) -> ConnectorSettings | None:
    """The programme file of ``[hub] programme`` as a source section, or None."""
    from connectors.programme_file import ProgrammeFileConfig

    if not settings.hub.programme:
        return None
    options: dict[str, Any] = {"path": settings.hub.programme, "review": settings.hub.programme_review,
                               "write_back": settings.hub.programme_write_back,
                               "max_bytes": settings.hub.max_programme_bytes}
    if settings.hub.programme_owns is not None:
        options["owns"] = settings.hub.programme_owns
    return ConnectorSettings(PROGRAMME_SOURCE, ProgrammeFileConfig(**options))


def build_connector(
    section: ConnectorSettings,
    settings: Settings,
    counter: RequestCounter,
    *,
    store: StateStore | None = None,
    attempts: int = 4,
) -> Connector[Any]:
    """One connector, ready to open: its class from the registry, its context made here."""
    from sync.protocol import ConnectorContext
    from sync.state import StoredConnectorState

    cls = connector_class(section.config.type, section=section.name)
    state = StoredConnectorState(store, section.name) if store is not None else None
    timeout = section.config.timeout or settings.hub.timeout

    def client() -> httpx.AsyncClient:
        """Made at the connector's first request through httpx (never, for many)."""
        from connectors.http import build_client

        return build_client(section.name, counter, attempts=attempts, language=settings.hub.language,
                            timeout=timeout)

    ctx = ConnectorContext(section.name, client, counter,
                           settings.hub.language, settings.base_dir, state, timeout)
    return cls(section.name, section.config, ctx)


def build_connectors(
    settings: Settings,
    counter: RequestCounter,
    *,
    store: StateStore | None = None,
    attempts: int = 4,
    with_programme: bool = True,
    only: Callable[[ConnectorSettings], bool] | None = None,
) -> list[Connector[Any]]:
    """Every configured connector (the programme file first), or those ``only`` accepts."""
    sections = list(settings.connectors)
    programme = programme_section(settings) if with_programme else None
    if programme is not None:
        sections.insert(0, programme)
    return [build_connector(s, settings, counter, store=store, attempts=attempts)
            for s in sections if only is None or only(s)]


def announcing_connectors(settings: Settings, counter: RequestCounter) -> list[Connector[Any]]:
    """The connectors that post to chats: the bots ask each for its chat front-end."""
    from sync.protocol import Capability

    return build_connectors(
        settings, counter, with_programme=False,
        only=lambda s: Capability.ANNOUNCE in connector_class(s.config.type).capabilities,
    )


def source_sections(settings: Settings) -> list[ConnectorSettings]:
    """The synced sections that read (the sources): what the daemon's probes look at."""
    from sync.protocol import Capability

    return [s for s in settings.connectors
            if s.config.sync and Capability.READ in connector_class(s.config.type).capabilities]


def redactor(settings: Settings) -> Redactor:
    """Masks every secret of the configuration (reads the secret files once)."""
    from config.redaction import Redactor
    from config.secrets import secret_values

    return Redactor(secret_values(settings))


def build_engine(
    settings: Settings,
    *,
    store: StateStore | None = None,
    force_delete: bool = False,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.time,
    revert: int | None = None,
) -> Engine:
    """An engine over every configured connector, for one run (``sync``, ``plan``; with
    ``revert``, a sync that also undoes that numbered run)."""
    from sync.engine import Engine
    from sync.protocol import RequestCounter

    store = store or open_store(settings)
    counter = RequestCounter()
    connectors = build_connectors(settings, counter, store=store, only=lambda s: s.config.sync)
    return Engine(settings, store, connectors, counter, redact=redactor(settings),
                  force_delete=force_delete, progress=progress, clock=clock, revert=revert)


async def sync_once(settings: Settings, **options: Any) -> Report:
    """One whole sync with freshly built connectors (an admin's ``/sync`` from a chat)."""
    engine = build_engine(settings, **options)
    try:
        return await engine.sync()
    finally:
        engine.store.close()


async def new_meeting_pad(
    settings: Settings, title: str, *, connector: str | None = None, lang: str | None = None
) -> str:
    """What ``hub pad new`` does: create the pad with the configured Etherpad, return its URL."""
    from connectors.etherpad.meeting import create_meeting_pad, etherpad_section
    from sync.protocol import RequestCounter

    pad = build_connector(etherpad_section(settings, connector), settings, RequestCounter())
    try:
        return await create_meeting_pad(pad, title, lang=lang)
    finally:
        await pad.close()
        await pad.ctx.close_http()


#: A chat webhook's check: (request headers, body) -> the HTTP status to answer (200: accepted).
Verify = Callable[[Mapping[str, str], bytes], int]


def chat_webhooks(settings: Settings) -> dict[str, list[tuple[str, Verify]]]:
    """The collective's chat sections that take webhooks, by kind: (section name, its check).
    Read from the configuration alone: no connector is built, no connection made."""
    found: dict[str, list[tuple[str, Verify]]] = {}
    for section in settings.connectors:
        describe = getattr(connector_class(section.config.type), "chat_webhook", None)
        if describe is None:
            continue
        hook = describe(section.config, settings.base_dir, settings.hub.language)
        if hook is not None:
            kind, verify = hook
            found.setdefault(kind, []).append((section.name, verify))
    return found
