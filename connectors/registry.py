"""Connector types by name, imported lazily so a broken optional library breaks only its type."""

from __future__ import annotations

import importlib

from connectors.base import Connector, ConnectorConfig
from sync.errors import ConfigError

#: ``type = "..."`` in a connector section -> "module:Class".
CONNECTOR_TYPES: dict[str, str] = {
    "files": "connectors.files:FilesConnector",
    "programme_file": "connectors.programme_file:ProgrammeFileConnector",
    "memory": "connectors.memory:MemoryConnector",
    "caldav": "connectors.caldav:CalDAVConnector",
    "nextcloud": "connectors.nextcloud:NextcloudConnector",
    "etherpad": "connectors.etherpad:EtherpadConnector",
    "wordpress": "connectors.wordpress:WordPressConnector",
    "telegram": "connectors.telegram:TelegramConnector",
    "signal": "connectors.signal:SignalConnector",
}


def connector_class(type_name: str, *, section: str = "") -> type[Connector[ConnectorConfig]]:
    """The class registered for ``type_name``; a ``ConfigError`` naming the section if unknown."""
    target = CONNECTOR_TYPES.get(type_name)
    where = f"connectors.{section}.type" if section else "type"
    if target is None:
        known = ", ".join(sorted(t for t in CONNECTOR_TYPES if t != "programme_file"))
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
