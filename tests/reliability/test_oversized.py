"""Oversized inputs: a 10 MB pad and a 100,000-line programme are refused with a message naming
the limit, or read in memory that grows with the input and no faster.

Peak memory is measured with tracemalloc around the hub's own work; the bound (200 MB) is
generous for what is read and is what a quadratic or unbounded reader would break.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from connectors.etherpad import EtherpadConfig, EtherpadConnector
from connectors.etherpad.padtext import PadReader
from sync.errors import InputError, PermanentError
from sync.programme_reader import MAX_PROGRAMME_BYTES, load_programme, parse_programme_yaml
from sync.protocol import ConnectorContext
from tests.conftest import LONG
from tests.etherpad.conftest import EtherpadServer
from tests.reliability.test_fuzz_files import PAD_TEXT, PARIS, PROGRAMME, REFERENCE_TEXT

MB = 1_000_000
BOUND = 200 * MB
T = TypeVar("T")


def peak(work: Callable[[], T]) -> tuple[T | BaseException, int]:
    """What ``work`` returned (or raised) and the peak of memory allocated while it ran."""
    tracemalloc.start()
    try:
        result: T | BaseException = work()
    except Exception as exc:  # returned, for the caller to check its type and message
        result = exc
    finally:
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, top


# the pad ----------------------------------------------------------------------------------


@pytest.fixture
def big_pad(etherpad_server: EtherpadServer) -> Iterator[str]:
    """A pad holding 10 MB: ten thousand lines of a thousand characters pasted into it."""
    pad = "reliability-10mb"
    with httpx.Client(base_url=etherpad_server.api, timeout=60) as person:
        key = etherpad_server.api_key
        person.post("/createPad", data={"apikey": key, "padID": pad})
        answer = person.post("/setText", data={"apikey": key, "padID": pad, "text": ("y" * 999 + "\n") * 10_000})
        assert answer.json()["code"] == 0, answer.text
        yield pad
        person.post("/deletePad", data={"apikey": key, "padID": pad})


@pytest.mark.peer("etherpad")
async def test_a_10_mb_pad_is_refused_naming_the_limit(
    etherpad_server: EtherpadServer, big_pad: str, make_context: Callable[[str], ConnectorContext]
) -> None:
    config = EtherpadConfig.model_validate(
        {"type": "etherpad", "url": etherpad_server.url, "pad": big_pad, "api_key": etherpad_server.api_key}
    )
    pad = EtherpadConnector("pad", config, make_context("pad"))
    tracemalloc.start()
    try:
        with pytest.raises(PermanentError) as refused:
            await pad.pull(None, {}, PROGRAMME)
        _, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(refused.value)
    assert "max_pad_chars (2000000)" in message and "10000000" in message and big_pad in message
    assert top < 100 * MB, f"{top / MB:.0f} MB to refuse a 10 MB pad"


def test_a_pad_at_the_limit_is_read_in_bounded_memory() -> None:
    """2,000,000 characters of programme (the default limit): every block read, in memory
    proportional to the text."""
    copies = (PAD_TEXT.replace("[#", f"[#copy{i}-") for i in range(2 * MB // len(PAD_TEXT) + 1))
    text = "".join(copies)[: 2 * MB]
    reader = PadReader(tz=PARIS, venues=PROGRAMME.venues, lang="fr", default_year=2021)
    parsed, top = peak(lambda: reader.parse(text))
    assert not isinstance(parsed, BaseException), parsed
    assert len(parsed.blocks) > 2 * MB // 400
    assert top < 20 * len(text), f"{top / MB:.0f} MB for a {len(text) / MB:.0f} MB pad"


# the programme file -----------------------------------------------------------------------


def _sessions_yaml(sessions: int, filler_lines: int) -> str:
    """The reference event and venues, ``sessions`` sessions of 8 lines, and an ``x-`` section
    of ``filler_lines`` lines (sections of one's own are read and ignored)."""
    head = REFERENCE_TEXT.split("\nsessions:")[0]
    body = "".join(
        f"  - id: s-{i}\n    title: Session {i}\n    start: 2021-11-13T14:00\n    end: 2021-11-13T15:00\n"
        f"    venue: massalia-vox\n    hosts: [Ann, Bob]\n    description: Une description {i}\n"
        "    status: scheduled\n"
        for i in range(sessions)
    )
    filler = "x-notes:\n" + "  - une note\n" * filler_lines
    return f"{head}\n{filler}sessions:\n{body}"


def test_a_100_000_line_programme_is_read_in_bounded_memory() -> None:
    """100,000 lines: in CI 2,000 sessions and 84,000 lines of notes; with HUB_LONG_TESTS=1
    12,500 sessions (every line a session's)."""
    sessions = 12_500 if LONG else 2_000
    text = _sessions_yaml(sessions, 100_000 - 8 * sessions - REFERENCE_TEXT.split("\nsessions:")[0].count("\n"))
    assert text.count("\n") >= 100_000
    programme, top = peak(lambda: parse_programme_yaml(text, "programme.yaml"))
    assert not isinstance(programme, BaseException), programme
    assert len(programme.sessions) == sessions
    assert top < BOUND, f"{top / MB:.0f} MB for {len(text) / MB:.1f} MB of YAML"


def test_a_programme_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "programme.yaml"
    with path.open("wb") as file:  # sparse: 30 MB of nothing, cheap to make
        file.truncate(30 * MB)
    refused, top = peak(lambda: load_programme(path))
    assert isinstance(refused, InputError)
    assert f"larger than max_programme_bytes ({MAX_PROGRAMME_BYTES:,})" in str(refused)
    assert str(path) in str(refused)
    assert top < MB, "the file was read"


def test_a_billion_laughs_programme_is_read_in_bounded_memory() -> None:
    """Nine aliases nested eight deep would expand to 43 million values if each alias were built
    again; aliases are shared, so the file reads in the memory of its few lines."""
    lines = ['  a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    text = "x-bomb:\n" + "\n".join(lines) + "\nevent: {id: a, title: t, rules: {big: *a8}}\nsessions: []\n"
    refused, top = peak(lambda: parse_programme_yaml(text, "programme.yaml"))
    assert isinstance(refused, InputError)  # the rules are no place for a structure
    assert "event.rules.big" in str(refused)
    assert top < MB
