"""One ``[connectors.<name>]`` section as the wizard builds it, proved, then written.

A :class:`Section` keeps its secrets apart from its settings: the settings go into ``hub.toml``
with a comment each, every secret into its own file under ``secrets/`` (mode 0600) named by a
``*_file`` key, so no secret is ever inside the TOML. :func:`prove` builds the real connector
from the section (secrets given inline, as the environment would) and runs its own ``check()``:
the wizard proves access with exactly the code ``hub check`` and ``hub sync`` run.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.messages import pydantic_message
from config.settings import ConnectorSettings, HubSection, Settings
from hub.init.prompt import Invalid
from hub.runtime import build_connector, validate_section
from sync.errors import HubError
from sync.protocol import Connector, RequestCounter

#: Seconds a server has to answer while the wizard proves access (a person is waiting).
PROVE_TIMEOUT = 15.0


@dataclass
class Section:
    """A connector section: its name, type, settings (in order), their comments and its secrets."""

    name: str
    type: str
    title: str
    values: dict[str, Any] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    def set(self, key: str, value: Any, comment: str = "") -> None:
        self.values[key] = value
        if comment:
            self.comments[key] = comment

    def secret(self, key: str, value: str) -> None:
        self.secrets[key] = value

    def secret_path(self, key: str) -> str:
        """Where the secret ``key`` is written, relative to the configuration."""
        return f"secrets/{self.name}-{key.replace('_', '-')}"

    def inline(self) -> dict[str, Any]:
        """The settings with the secrets inline: what the connector's settings class reads."""
        return {"type": self.type, **self.values, **self.secrets}

    def toml(self) -> str:
        """The section as commented TOML, secrets as ``*_file`` keys."""
        lines = [f"# {line}" for line in self.title.splitlines()]
        lines.append(f"[connectors.{_key(self.name)}]")
        lines.append(f"type = {_value(self.type)}")
        for key, value in self.values.items():
            lines.append(_line(key, value, self.comments.get(key, "")))
        for key in self.secrets:
            lines.append(_line(f"{key}_file", self.secret_path(key), self.comments.get(key, "")))
        return "\n".join(lines) + "\n"

    def write_secrets(self, folder: Path) -> list[Path]:
        """One file per secret, readable by its owner only; never replaces an existing file."""
        written = []
        for key, value in self.secrets.items():
            path = folder / self.secret_path(key)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(value + "\n")
            written.append(path)
        return written


def _key(name: str) -> str:
    return name if name.replace("-", "").replace("_", "").isalnum() and name.isascii() else _value(name)


def _value(value: Any) -> str:
    """A TOML value: strings, integers, booleans and lists of them are all a section needs."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _line(key: str, value: Any, comment: str) -> str:
    text = f"{key} = {_value(value)}"
    if comment:
        text = f"{text:<44}# {comment}"
    return text


def configured(section: Section, lang: str) -> Any:
    """The section checked by its connector type's own settings class, or :class:`Invalid`."""
    try:
        return validate_section(section.name, section.inline(), lang)
    except ValidationError as exc:
        raise Invalid("; ".join(pydantic_message(error, lang) for error in exc.errors())) from None
    except HubError as exc:
        raise Invalid(str(exc)) from None


@asynccontextmanager
async def opened(section: Section, base_dir: Path, lang: str) -> AsyncIterator[Connector[Any]]:
    """The real connector for ``section``, built the one way every command builds it
    (:func:`hub.runtime.build_connector`), opened, closed after; a refusal becomes :class:`Invalid`."""
    config = configured(section, lang)
    settings = Settings(base_dir / "hub.toml", HubSection(language=lang, timeout=PROVE_TIMEOUT), ())
    connector = build_connector(ConnectorSettings(section.name, config), settings, RequestCounter(), attempts=1)
    try:
        await connector.open()
        yield connector
    except HubError as exc:
        raise Invalid(str(exc)) from None
    except OSError as exc:
        raise Invalid(f"{type(exc).__name__}: {exc.strerror or exc}") from None
    finally:
        await connector.close()
        await connector.ctx.close_http()


def prove(section: Section, base_dir: Path, lang: str) -> list[str]:
    """Run the connector's own ``check()`` on the section; what it proved, one line each, or
    :class:`Invalid` with the server's refusal (said in ``lang``, without the secret)."""

    async def check() -> list[str]:
        async with opened(section, base_dir, lang) as connector:
            return await connector.check()

    return asyncio.run(check())
