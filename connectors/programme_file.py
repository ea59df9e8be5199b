"""The programme file as a source: YAML (the hub's format) or a frab/pretalx schedule JSON.

It is a source like any other: its sessions are pulled and merged three-way, so an edit made in
the calendar is not undone by a file that did not change. An unchanged file costs no parsing:
the cursor is the sha256 of its bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from sync.errors import InputError, Problem
from sync.model import EXISTENCE, SESSION_FIELDS, Programme, Session, content_hash
from sync.programme_reader import load_programme, parse_programme_bytes
from sync.protocol import Capability, Connector, ConnectorConfig, Link, PullResult, RemoteItem


class ProgrammeFileConfig(ConnectorConfig):
    type: str = "programme_file"
    path: str
    owns: list[str] = Field(default_factory=lambda: [*SESSION_FIELDS, EXISTENCE])


class ProgrammeFileConnector(Connector[ProgrammeFileConfig]):
    """Reads the programme file named by ``[hub] programme``."""

    type = "programme_file"
    capabilities = Capability.READ
    config_model = ProgrammeFileConfig
    fields = SESSION_FIELDS
    whole_programme = True

    @property
    def path(self) -> Path:
        path = Path(self.config.path)
        return path if path.is_absolute() else self.ctx.base_dir / path

    async def check(self) -> list[str]:
        programme = load_programme(self.path)
        return [f"{self.path.name}: {len(programme.sessions)} sessions, {len(programme.venues)} venues"]

    def project(self, session: Session, programme: Programme) -> dict[str, Any]:
        record = session.to_record()
        return {name: record[name] for name in self.fields}

    async def pull(
        self, cursor: str | None, links: Mapping[str, Link], programme: Programme
    ) -> PullResult:
        data = self.path.read_bytes() if self.path.exists() else None
        if data is None:
            raise InputError(Problem("programme file not found", file=str(self.path)))
        digest = hashlib.sha256(data).hexdigest()
        if digest == cursor:
            return PullResult(cursor=cursor)
        parsed = parse_programme_bytes(data, str(self.path))
        items = []
        for session in parsed.sessions.values():
            fields = self.project(session, parsed)
            # Each session's own version, so one edit leaves the other links untouched.
            items.append(RemoteItem(key=session.id, fields=fields, remote_id=session.id, version=content_hash(fields)))
        return PullResult(items=items, cursor=digest, complete=True, meta=parsed.meta_record())
