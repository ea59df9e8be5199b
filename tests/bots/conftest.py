"""The reference programme and a clock on its time zone, for the bot tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sync.model import Programme
from sync.programme_reader import load_programme

REFERENCE = Path(__file__).resolve().parents[2] / "config" / "examples" / "programme.yaml"
PARIS = ZoneInfo("Europe/Paris")


def paris(text: str) -> datetime:
    """'2021-11-13T11:00' as a Paris time (what ``hub ask --at`` takes)."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.fixture(scope="session")
def programme() -> Programme:
    return load_programme(REFERENCE)
