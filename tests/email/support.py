"""Announcements built the way the engine builds them: the difference between two versions."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from sync.announce import Announcement, diff_versions
from sync.model import Programme
from tests.helpers import reference_programme

PROGRAMME = reference_programme()


def edited(programme: Programme, key: str, **fields: Any) -> Programme:
    session = dataclasses.replace(programme.sessions[key], **fields)
    return dataclasses.replace(programme, sessions={**programme.sessions, key: session})


def later(programme: Programme, key: str, hours: float = 1) -> Programme:
    session = programme.sessions[key]
    return edited(programme, key, start=session.start + timedelta(hours=hours),
                  end=session.end + timedelta(hours=hours))


def announcement(before: Programme, after: Programme, occurrence: str = "") -> Announcement:
    old = {k: s.to_record() for k, s in before.sessions.items()}
    new = {k: s.to_record() for k, s in after.sessions.items()}
    changes = diff_versions(old, new)
    assert changes
    return Announcement(tuple(changes), after.venues, occurrence=occurrence)
