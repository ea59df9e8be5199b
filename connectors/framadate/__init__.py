"""Framadate connector: date polls and sign-up polls through Framadate's web forms (it has no API).

See :mod:`connectors.framadate.connector`; the meetings workflow (a closed date poll becomes a
calendar meeting with its notes pad) is :mod:`connectors.framadate.meetings`.
"""

from connectors.framadate.config import FramadateConfig
from connectors.framadate.connector import FramadateConnector

__all__ = ["FramadateConfig", "FramadateConnector"]
