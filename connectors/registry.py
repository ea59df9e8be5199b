"""Connector types by name, imported lazily so a broken optional library breaks only its type.

A new connector is one module (or package) plus one line here; nothing else in the hub names
it. Its settings class lives in a module of its own that needs pydantic only, so checking a
configuration (every command does) never imports a client library. :func:`register` adds a type
at run time (a plugin, or a test double).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from config.connector import ConnectorConfig
from sync.errors import ConfigError, Problem
from sync.i18n import Catalogue

if TYPE_CHECKING:
    from sync.protocol import Connector

MESSAGES = Catalogue({
    "type.unknown": {
        "fr": "type de connecteur inconnu « {type} » (types connus : {known})",
        "en": "unknown connector type '{type}' (known: {known})",
    },
    "type.library": {
        "fr": "le connecteur « {type} » a besoin d'une bibliothèque absente ({library}) : réinstallez le hub",
        "en": "the '{type}' connector needs a library that is missing ({library}): reinstall the hub",
    },
})

@dataclass(frozen=True)
class ConnectorType:
    """Where a connector type lives: its class, and its settings class in a module that needs
    pydantic only, so a configuration is checked without importing any client library (the
    connector's module is imported when the connector is built). Without ``settings``, the
    connector class's ``config_model`` is used (a plugin, a test double)."""

    connector: str
    settings: str | None = None
    #: A source's lean "has anything changed?" for the quick no-op check: the module holding it
    #: (a :class:`sync.quick.ProbeModule`), which imports no client library and no pydantic.
    probe: str | None = None


#: ``type = "..."`` in a connector section -> its class and its settings' class ("module:Class").
CONNECTOR_TYPES: dict[str, ConnectorType] = {
    "files": ConnectorType("connectors.files:FilesConnector", "connectors.files_config:FilesConfig"),
    "programme_file": ConnectorType("connectors.programme_file:ProgrammeFileConnector"),
    "caldav": ConnectorType("connectors.caldav:CalDAVConnector", "connectors.caldav_config:CalDAVConfig",
                            "connectors.caldav_probe"),
    "nextcloud": ConnectorType("connectors.nextcloud.connector:NextcloudConnector",
                               "connectors.nextcloud.config:NextcloudConfig"),
    "etherpad": ConnectorType("connectors.etherpad.connector:EtherpadConnector",
                              "connectors.etherpad.config:EtherpadConfig"),
    "wordpress": ConnectorType("connectors.wordpress.connector:WordPressConnector",
                               "connectors.wordpress.config:WordPressConfig"),
    "telegram": ConnectorType("connectors.telegram:TelegramConnector", "connectors.telegram_config:TelegramConfig"),
    "signal": ConnectorType("connectors.signal:SignalConnector", "connectors.signal_config:SignalConfig"),
    "humhub": ConnectorType("connectors.humhub.connector:HumHubConnector", "connectors.humhub.config:HumHubConfig"),
    "email": ConnectorType("connectors.email.connector:EmailConnector", "connectors.email.config:EmailConfig"),
    "framadate": ConnectorType("connectors.framadate.connector:FramadateConnector",
                               "connectors.framadate.config:FramadateConfig"),
}
#: Types a configuration does not name itself: the programme file comes from ``[hub] programme``.
INTERNAL_TYPES = frozenset({"programme_file"})


def register(type_name: str, target: str, settings: str | None = None) -> None:
    """Make ``type = "<type_name>"`` build the class at ``target`` ("module:Class"), its section
    checked by the class at ``settings`` (default: the connector class's ``config_model``)."""
    for where in (target, settings or ":"):
        if ":" not in where:
            raise ValueError(f"expected 'module:Class', got {where!r}")
    CONNECTOR_TYPES[type_name] = ConnectorType(target, settings)


def _entry(type_name: str, section: str, lang: str) -> tuple[ConnectorType, str]:
    entry = CONNECTOR_TYPES.get(type_name)
    where = f"connectors.{section}.type" if section else "type"
    if entry is None:
        known = ", ".join(sorted(set(CONNECTOR_TYPES) - INTERNAL_TYPES))
        raise ConfigError(Problem(MESSAGES.say("type.unknown", lang, type=type_name, known=known),
                                  field=where, lang=lang))
    return entry, where


def _load(target: str, type_name: str, where: str, lang: str) -> Any:
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(Problem(MESSAGES.say("type.library", lang, type=type_name, library=exc.name),
                                  field=where, lang=lang)) from None
    return getattr(module, class_name)


def settings_class(type_name: str, *, section: str = "", lang: str = "en") -> type[ConnectorConfig]:
    """The settings class of ``type_name``, imported without the connector when the registry
    names one; a ``ConfigError`` naming the section (in ``lang``) if the type is unknown."""
    entry, where = _entry(type_name, section, lang)
    if entry.settings is None:
        model: type[ConnectorConfig] = _load(entry.connector, type_name, where, lang).config_model
        return model
    cls: type[ConnectorConfig] = _load(entry.settings, type_name, where, lang)
    return cls


def connector_class(type_name: str, *, section: str = "", lang: str = "en") -> type[Connector[ConnectorConfig]]:
    """The class registered for ``type_name``; a ``ConfigError`` naming the section (in
    ``lang``) if unknown."""
    entry, where = _entry(type_name, section, lang)
    cls: type[Connector[ConnectorConfig]] = _load(entry.connector, type_name, where, lang)
    return cls


def quick_probe(type_name: str) -> str | None:
    """The module of ``type_name``'s lean probe for the quick no-op check, or None: it has none,
    and a sync with such a connector always runs whole."""
    entry = CONNECTOR_TYPES.get(type_name)
    return None if entry is None else entry.probe
