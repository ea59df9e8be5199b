"""Which configuration file a command reads, decided in one place.

Kept free of pydantic: ``hub sync``'s quick check (:mod:`hub.quickstart`) finds the file before
the settings' models are loaded, and must find the same file :func:`config.settings.load_settings`
reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

#: The file read when neither the command line nor ``HUB_CONFIG`` names one.
DEFAULT_CONFIG = "hub.toml"


def config_file(path: str | Path | None, environ: Mapping[str, str]) -> Path:
    """The configuration file: ``path``, else ``$HUB_CONFIG``, else ``hub.toml`` (relative to the
    working folder)."""
    return Path(path or environ.get("HUB_CONFIG") or DEFAULT_CONFIG)
