"""A programming error in a connector is a bug: that connector's work fails, the traceback is
logged, the others go on, and nothing is queued again as if the server had been down."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any, NoReturn

import pytest

from hub.runtime import build_engine, load_settings
from sync.state import StateStore
from tests.doubles.memory import MemoryConnector, MemoryStore
from tests.helpers import write_config

CALENDAR = """
[connectors.calendar]
type = "memory"
store = "calendar"
owns = ["start", "end", "venue", "status"]
fields = ["title", "start", "end", "venue", "status"]
"""
FILES = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'


def bug(*args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")


def bug_records(caplog: pytest.LogCaptureFixture, stage: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(f"{stage} calendar failed: ")]


def traceback_of(record: logging.LogRecord) -> str:
    """The record's traceback (a secrets redactor on a handler may have rendered it already)."""
    if record.exc_info:
        return "".join(traceback.format_exception(*record.exc_info))
    return record.exc_text or ""


async def test_a_bug_in_pull_fails_that_connector_with_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(tmp_path, CALENDAR + FILES)
    monkeypatch.setattr(MemoryConnector, "pull", bug)
    with caplog.at_level(logging.WARNING):
        report = await build_engine(load_settings(config)).sync()
    calendar = report.connectors["calendar"]
    assert report.failed and calendar.failed
    assert (calendar.error or "").startswith("TypeError: unsupported operand")
    [record] = bug_records(caplog, "pull from")
    assert "Traceback" in traceback_of(record) and "TypeError: unsupported operand" in traceback_of(record)
    assert report.connectors["exports"].created == 22, "the other connectors go on"


async def test_a_bug_in_apply_is_not_retried_as_a_transient_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(tmp_path, CALENDAR + FILES)
    settings = load_settings(config)
    with monkeypatch.context() as patch:
        patch.setattr(MemoryConnector, "apply", bug)
        with caplog.at_level(logging.WARNING):
            report = await build_engine(settings).sync()
    calendar = report.connectors["calendar"]
    assert calendar.failed and (calendar.error or "").startswith("TypeError")
    assert report.connectors["exports"].created == 22
    [record] = bug_records(caplog, "apply to")
    assert "Traceback" in traceback_of(record) and "TypeError: unsupported operand" in traceback_of(record)
    store = StateStore.open(settings.database_url)
    entries = store.outbox_entries("calendar", ("pending", "sending", "done", "failed", "superseded"))
    assert len(entries) == 22
    assert not [e for e in entries if e.state == "pending" and e.error], "not queued again as transient"
    assert {e.state for e in entries} == {"sending"}, "left for the next run's recovery, as after a crash"
    assert MemoryStore.named("calendar").items == {}
    # The bug fixed, the next run carries the writes out once.
    fixed = await build_engine(settings).sync()
    assert fixed.connectors["calendar"].created == 22 and not fixed.failed
    assert len(MemoryStore.named("calendar").items) == 22
