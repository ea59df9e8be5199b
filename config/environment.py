"""Settings from the environment: ``HUB_<SECTION>__<KEY>=value``, typed by the field they set.

A variable's value arrives as an :class:`EnvValue`, a string that remembers the variable's name
(so a problem with it names the variable, not a line of the TOML file). The settings models
(:class:`config.connector.ConnectorConfig`, the ``[hub]`` section) settle each one against the
field it sets, in :func:`settle`:

- a text field (``str``, ``SecretStr``, a choice of words) takes the raw string, always: a
  password ``12345678`` or ``true`` stays that password;
- a field that takes no text (``int``, ``bool``, ``list[int]``...) takes the value read as TOML
  (``42``, ``true``, ``[1, 2]``, ``["start", "end"]``) when it parses, else the string, which
  pydantic converts or refuses;
- a field that takes text or something else (``verify: bool | str``) takes the TOML value when
  it is valid for the field, else the raw string (``false`` is False, ``/etc/ssl/ca.pem`` a path).
"""

from __future__ import annotations

import enum
import tomllib
import types
from collections.abc import Mapping
from pathlib import PurePath
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

ENV_PREFIX = "HUB_"


class EnvValue(str):
    """The raw value of one environment variable, with the variable's name."""

    variable: str

    def __new__(cls, value: str, variable: str) -> EnvValue:
        self = super().__new__(cls, value)
        self.variable = variable
        return self

    def __repr__(self) -> str:  # the value may be a secret
        return f"EnvValue({self.variable})"

    def toml(self) -> tuple[bool, Any]:
        """(True, the value read as TOML) when it parses as one, else (False, None)."""
        try:
            return True, tomllib.loads(f"v = {self}")["v"]
        except tomllib.TOMLDecodeError:
            return False, None


def variable_name(path: tuple[str, ...] | list[str]) -> str:
    """The environment variable that sets ``path`` (``("connectors", "site", "password")``)."""
    return ENV_PREFIX + "__".join(part.upper() for part in path)


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Nested overrides from ``HUB_A__B__C=value`` variables (only those with ``__``), each
    leaf an :class:`EnvValue`."""
    overrides: dict[str, Any] = {}
    for key, raw in sorted(environ.items()):
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        path = [part.lower() for part in key[len(ENV_PREFIX) :].split("__")]
        if not all(path):
            continue
        node = overrides
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = EnvValue(raw, key)
    return overrides


def env_variables(overrides: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    """Path -> variable name of every value in ``overrides``."""
    found: dict[tuple[str, ...], str] = {}
    for key, value in overrides.items():
        if isinstance(value, EnvValue):
            found[(*prefix, key)] = value.variable
        elif isinstance(value, Mapping):
            found |= env_variables(value, (*prefix, key))
    return found


# --- typing a value by its field -------------------------------------------------------------

_TEXT = (str, SecretStr, PurePath)


def _members(annotation: Any) -> list[Any]:
    """The types a field accepts, ``None`` and ``Annotated`` metadata left out."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [m for arg in get_args(annotation) for m in _members(arg)]
    if annotation is None or annotation is type(None):
        return []
    return [annotation]


def _is_text(member: Any) -> bool:
    if get_origin(member) is Literal:
        return all(isinstance(value, str) for value in get_args(member))
    return isinstance(member, type) and (issubclass(member, _TEXT) or issubclass(member, enum.Enum))


def _model_of(annotation: Any) -> type[BaseModel] | None:
    members = _members(annotation)
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    return models[0] if len(models) == 1 and len(members) == 1 else None


def _settle_value(annotation: Any, value: EnvValue) -> Any:
    members = _members(annotation)
    raw = str(value)
    texts = [m for m in members if _is_text(m)]
    if members and len(texts) == len(members):
        return raw
    parsed, typed = value.toml()
    if not parsed:
        return raw
    if not texts:
        return typed
    try:
        TypeAdapter(annotation).validate_python(typed)
    except ValidationError:
        return raw
    return typed


def settle(model: type[BaseModel], data: Any) -> Any:
    """``data`` (a section about to be validated by ``model``) with each :class:`EnvValue`
    replaced by the string or TOML value its field takes (see the module's doc). Values for
    unknown keys stay strings: the model refuses them by name."""
    if not isinstance(data, Mapping) or not any(
        isinstance(value, EnvValue | Mapping) for value in data.values()
    ):
        return data
    settled: dict[Any, Any] = {}
    for key, value in data.items():
        field = model.model_fields.get(key) if isinstance(key, str) else None
        if field is None:
            settled[key] = str(value) if isinstance(value, EnvValue) else value
        elif isinstance(value, EnvValue):
            settled[key] = _settle_value(field.annotation, value)
        elif isinstance(value, Mapping) and (nested := _model_of(field.annotation)) is not None:
            settled[key] = settle(nested, value)
        else:
            settled[key] = value
    return settled
