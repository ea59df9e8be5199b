"""Connector types by name, imported lazily so a broken optional library breaks only its type.

A new connector is one module (or package) plus one line here; nothing else in the hub names
it. :func:`register` adds a type at run time (a plugin, or a test double).
"""

from __future__ import annotations

import importlib

from sync.errors import ConfigError
from sync.protocol import Connector, ConnectorConfig

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
}
#: Types a configuration does not name itself: the programme file comes from ``[hub] programme``.
INTERNAL_TYPES = frozenset({"programme_file"})


def register(type_name: str, target: str) -> None:
    """Make ``type = "<type_name>"`` build the class at ``target`` ("module:Class")."""
    if ":" not in target:
        raise ValueError(f"expected 'module:Class', got {target!r}")
    CONNECTOR_TYPES[type_name] = target


def connector_class(type_name: str, *, section: str = "") -> type[Connector[ConnectorConfig]]:
    """The class registered for ``type_name``; a ``ConfigError`` naming the section if unknown."""
    target = CONNECTOR_TYPES.get(type_name)
    where = f"connectors.{section}.type" if section else "type"
    if target is None:
        known = ", ".join(sorted(set(CONNECTOR_TYPES) - INTERNAL_TYPES))
        raise ConfigError(f"{where}: unknown connector type '{type_name}' (known: {known})")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"{where}: the '{type_name}' connector needs a library that is missing ({exc.name})"
        ) from None
    cls: type[Connector[ConnectorConfig]] = getattr(module, class_name)
    return cls
