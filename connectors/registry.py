"""Connector types by name, imported lazily so a broken optional library breaks only its type.

A new connector is one module (or package) plus one line here; nothing else in the hub names
it. :func:`register` adds a type at run time (a plugin, or a test double).
"""

from __future__ import annotations

import importlib

from sync.errors import ConfigError, Problem
from sync.i18n import Catalogue
from sync.protocol import Connector, ConnectorConfig

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

#: ``type = "..."`` in a connector section -> "module:Class".
CONNECTOR_TYPES: dict[str, str] = {
    "files": "connectors.files:FilesConnector",
    "programme_file": "connectors.programme_file:ProgrammeFileConnector",
    "caldav": "connectors.caldav:CalDAVConnector",
    "nextcloud": "connectors.nextcloud:NextcloudConnector",
    "etherpad": "connectors.etherpad:EtherpadConnector",
    "wordpress": "connectors.wordpress:WordPressConnector",
    "telegram": "connectors.telegram:TelegramConnector",
    "signal": "connectors.signal:SignalConnector",
    "humhub": "connectors.humhub:HumHubConnector",
    "email": "connectors.email:EmailConnector",
    "framadate": "connectors.framadate:FramadateConnector",
}
#: Types a configuration does not name itself: the programme file comes from ``[hub] programme``.
INTERNAL_TYPES = frozenset({"programme_file"})


def register(type_name: str, target: str) -> None:
    """Make ``type = "<type_name>"`` build the class at ``target`` ("module:Class")."""
    if ":" not in target:
        raise ValueError(f"expected 'module:Class', got {target!r}")
    CONNECTOR_TYPES[type_name] = target


def connector_class(type_name: str, *, section: str = "", lang: str = "en") -> type[Connector[ConnectorConfig]]:
    """The class registered for ``type_name``; a ``ConfigError`` naming the section (in
    ``lang``) if unknown."""
    target = CONNECTOR_TYPES.get(type_name)
    where = f"connectors.{section}.type" if section else "type"
    if target is None:
        known = ", ".join(sorted(set(CONNECTOR_TYPES) - INTERNAL_TYPES))
        raise ConfigError(Problem(MESSAGES.say("type.unknown", lang, type=type_name, known=known),
                                  field=where, lang=lang))
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(Problem(MESSAGES.say("type.library", lang, type=type_name, library=exc.name),
                                  field=where, lang=lang)) from None
    cls: type[Connector[ConnectorConfig]] = getattr(module, class_name)
    return cls
