"""Etherpad (Framapad): the programme pad, two-way, and meeting-notes pads.

``connectors.etherpad:EtherpadConnector`` is the registered ``type = "etherpad"``. The pad
format is described in ``docs/etherpad.md`` and in :mod:`connectors.etherpad.padtext`.
"""

from connectors.etherpad.connector import EtherpadConfig, EtherpadConnector

__all__ = ["EtherpadConfig", "EtherpadConnector"]
