"""The ``files`` sink: the programme exported to a folder as ICS, frab JSON and an HTML page.

A document sink: one batch of operations rewrites the three files once. Per-session fragments
are cached next to the files (keyed by the projection's hash, so a stale cache is never used),
which keeps a one-change sync of a 10,000-session programme from re-rendering everything.
Files are replaced atomically (write, then rename), so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from connectors.exports import frab_document, frab_fragment, html_document, html_fragment, ics_document, ics_fragment
from sync.errors import PermanentError
from sync.i18n import Catalogue
from sync.model import Programme, content_hash
from sync.protocol import Capability, Connector, ConnectorConfig, Op, OpResult, RemoteRef

CACHE_NAME = ".hub-fragments.json"
MESSAGES = Catalogue({
    "check": {"fr": "peut écrire dans {folder}", "en": "can write into {folder}"},
    "cannot": {"fr": "impossible d'écrire dans {folder} : {why}", "en": "cannot write into {folder}: {why}"},
})
say = MESSAGES.say


class FilesConfig(ConnectorConfig):
    type: str = "files"
    path: str = Field(description="Folder the exports are written to (created if missing).")
    ics: str = "programme.ics"
    json_name: str = Field("programme.json", alias="json")
    html: str = "index.html"
    language: str | None = Field(None, description="Language of the HTML page; default [hub] language.")


class FilesConnector(Connector[FilesConfig]):
    """Writes programme.ics, programme.json (frab) and index.html into a folder."""

    type = "files"
    capabilities = Capability.WRITE | Capability.DELETE
    config_model = FilesConfig
    collection = "exports"

    @property
    def folder(self) -> Path:
        path = Path(self.config.path).expanduser()
        return path if path.is_absolute() else self.ctx.base_dir / path

    @property
    def language(self) -> str:
        return self.config.language or self.ctx.language

    async def check(self) -> list[str]:
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".hub-write-check"
            probe.write_text("ok", encoding="utf-8")
            probe.unlink()
        except OSError as exc:
            raise PermanentError(say("cannot", self.ctx.language, folder=folder, why=exc.strerror),
                                 connector=self.name) from None
        return [say("check", self.ctx.language, folder=folder)]

    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            error = PermanentError(f"cannot create {folder}: {exc.strerror}", connector=self.name)
            return [error for _ in ops]
        cache = self._load_cache()
        stamp = datetime.now(UTC).replace(microsecond=0)
        sequences = {op.key: op.sequence for op in ops}
        for op in ops:
            if op.action == "delete":
                cache.pop(op.key, None)
        fresh: dict[str, Any] = {}
        for session in programme.sessions.values():
            projection = self.project(session, programme)
            digest = content_hash(projection)
            entry = cache.get(session.id)
            if entry is not None and entry.get("hash") == digest and session.id not in sequences:
                fresh[session.id] = entry
                continue
            sequence = sequences.get(session.id, entry.get("sequence", 0) if entry else 0)
            fresh[session.id] = {
                "hash": digest,
                "sequence": sequence,
                "ics": ics_fragment(projection, programme.event.id, sequence, stamp, programme.event.timezone),
                "frab": frab_fragment(projection, programme.event.id, self.language, programme.event.website),
                "html": html_fragment(projection, self.language),
            }
        order = [s.id for s in programme.sorted_sessions()]
        self._write(folder / self.config.ics, ics_document(programme, (fresh[k]["ics"] for k in order)))
        document = frab_document(programme, {k: fresh[k]["frab"] for k in order})
        self._write(folder / self.config.json_name, json.dumps(document, ensure_ascii=False, separators=(",", ":")))
        self._write(folder / self.config.html, html_document(programme, {k: fresh[k]["html"] for k in order},
                                                             self.language))
        self._write(folder / CACHE_NAME, json.dumps(fresh, ensure_ascii=False))
        return [RemoteRef(f"{self.config.ics}#{op.key}", str(op.sequence)) for op in ops]

    def _load_cache(self) -> dict[str, Any]:
        try:
            data = json.loads((self.folder / CACHE_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _write(path: Path, text: str) -> None:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
