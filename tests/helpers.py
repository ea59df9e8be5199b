"""Shared test helpers: the reference programme, throw-away configurations, running ``hub``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from sync.model import Programme
from sync.programme_reader import load_programme

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "config" / "examples" / "programme.yaml"


def reference_programme() -> Programme:
    return load_programme(REFERENCE)


def write_config(folder: Path, connectors: str = "", *, programme: bool = True, database: str | None = None,
                 hub_extra: str = "") -> Path:
    """A config in ``folder`` with a copy of the reference programme and the given sections."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["[hub]"]
    if programme:
        shutil.copy(REFERENCE, folder / "programme.yaml")
        lines.append('programme = "programme.yaml"')
    lines.append(f'database = "{database or "sqlite:///state/hub.db"}"')
    lines.append(hub_extra)
    path = folder / "hub.toml"
    path.write_text("\n".join(lines) + "\n" + connectors, encoding="utf-8")
    return path


def edit_programme(folder: Path, session_id: str, **changes: str) -> None:
    """Change fields of one session in the programme file, as an organiser would in an editor."""
    path = folder / "programme.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    inside = False
    for index, line in enumerate(lines):
        if line.strip().startswith("- id:"):
            inside = line.strip() == f"- id: {session_id}"
            continue
        if inside:
            key = line.strip().split(":", 1)[0]
            if key in changes:
                indent = line[: len(line) - len(line.lstrip())]
                lines[index] = f"{indent}{key}: {changes.pop(key)}"
    assert not changes, f"fields not found for {session_id}: {changes}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_hub(*args: str, env: dict[str, str] | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real ``hub`` command in a child process."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.doubles.hub", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"hub {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def hub_json(*args: str, env: dict[str, str] | None = None, expect: int = 0) -> dict[str, Any]:
    result = run_hub(*args, "--json", env=env)
    assert result.returncode == expect, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def poll_sections(framadate_url: str, telegram_url: str, chat: int) -> str:
    """A Framadate section whose meetings are announced in one Telegram chat (read from
    ``telegram.token`` beside the config), that chat only announcing: the poll tests' setup."""
    return f"""
[connectors.sondages]
type = "framadate"
url = "{framadate_url}"
admin_email = "orga@example.org"
announce_to = ["telegram:{chat}"]

[connectors.telegram]
type = "telegram"
api_url = "{telegram_url}"
token_file = "telegram.token"
chats = [{chat}]
pace_seconds = 0
sync = false
"""
