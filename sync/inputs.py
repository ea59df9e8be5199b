"""The digest of what a sync reads besides its sources: the validated settings.

A sync that ended with nothing left to do records it (``sync_inputs``); ``hub sync`` may then
say "nothing to do" without running only while the settings it would run with have the same
digest (:mod:`sync.quick`). The digest is taken over the *validated* settings, so the
configuration file, the environment variables that override it and the defaults the hub fills
in all count, each value in a canonical form (sets sorted, paths as text) so that the same
settings give the same digest in every process. Secrets are left out (they are not written to
the state, even hashed): a new password changes no item a sync would write.

The hub's own code counts as well (:func:`code_digest`: the size and time of each of its
modules): after an upgrade or an edit the first sync runs whole, whatever a connector's new
version does on a sync with nothing new (moving a cache, a file layout).

Kept apart from :mod:`sync.quick` and the engine so that both take the same digest and neither
imports the other.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import date, time, timedelta
from pathlib import Path, PurePath
from typing import Any

#: The names of the settings' and the code's digests in ``sync_inputs``.
SETTINGS = "settings"
CODE = "code"
#: The hub's packages, beside this one.
PACKAGES = ("config", "sync", "connectors", "bots", "hub")
ROOT = Path(__file__).resolve().parents[1]


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data that is the same in every process for equal settings."""
    # Imported here: the quick check reads the code's digest without loading pydantic.
    from pydantic import BaseModel, SecretBytes, SecretStr

    if isinstance(value, SecretStr | SecretBytes):
        return {"secret": bool(value.get_secret_value())}
    if isinstance(value, BaseModel):
        fields = {name: canonical(getattr(value, name)) for name in type(value).model_fields}
        if value.model_extra:  # a model that takes extra keys: they count too
            fields["(extra)"] = canonical(value.model_extra)
        return {"model": f"{type(value).__module__}.{type(value).__qualname__}", "fields": fields}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"model": f"{type(value).__module__}.{type(value).__qualname__}", "fields": fields}
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {"map": sorted([json.dumps(canonical(k), sort_keys=True), canonical(v)] for k, v in value.items())}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, set | frozenset):
        return {"set": sorted(json.dumps(canonical(item), sort_keys=True) for item in value)}
    if isinstance(value, PurePath):
        return {"path": str(value)}
    if isinstance(value, date | time):
        return {"moment": value.isoformat()}
    if isinstance(value, timedelta):
        return {"seconds": value.total_seconds()}
    # Anything else: its type and text. A text that differs between processes (an address)
    # only makes the check fall through to a full sync, never say "nothing to do" wrongly.
    return {"other": f"{type(value).__module__}.{type(value).__qualname__}", "repr": repr(value)}


def settings_digest(settings: Any) -> str:
    """The sha256 of the canonical form of validated settings."""
    text = json.dumps(canonical(settings), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def secret_variables(settings: Any, environ: Mapping[str, str]) -> list[str] | None:
    """The environment variables that hold the settings' secrets (``HUB_CONNECTORS__CAL__PASSWORD``),
    sorted; None when a secret is written in the configuration file itself (or set some other
    way), so that no digest of the file's bytes is ever taken over a secret. Secrets read from
    ``*_file`` settings are not values of the settings and do not count."""
    from pydantic import BaseModel, SecretBytes, SecretStr

    from config.environment import variable_name

    found: list[str] = []

    def walk(value: Any, path: tuple[str, ...]) -> bool:
        if isinstance(value, SecretStr | SecretBytes):
            secret = value.get_secret_value()
            if not secret:
                return True
            variable = variable_name(path)
            text = secret if isinstance(secret, str) else secret.decode("utf-8", "replace")
            if environ.get(variable) != text:
                return False
            found.append(variable)
            return True
        if isinstance(value, BaseModel):
            return all(walk(getattr(value, name), (*path, name)) for name in type(value).model_fields)
        if isinstance(value, list | tuple):
            return all(walk(item, path) for item in value)
        return True

    sections = [(("hub",), settings.hub), (("daemon",), settings.daemon),
                *((("connectors", section.name), section.config) for section in settings.connectors)]
    if not all(walk(model, path) for path, model in sections):
        return None
    return sorted(set(found))


def code_digest(root: Path = ROOT) -> str:
    """The sha256 of the path, size and modification time of every module of the hub's packages
    under ``root``: any upgrade or edit changes it (a few milliseconds, no file is read)."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            try:
                stat = path.stat()
            except OSError:
                continue
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@functools.cache
def running_code_digest() -> str:
    """:func:`code_digest` of the hub's code as this process first saw it: a daemon running for
    days records the digest of the code it runs, not of an upgrade installed under it, and pays
    for the few hundred ``stat`` calls once, not at every sync."""
    return code_digest()
