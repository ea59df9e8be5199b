"""The fake signal-cli-rest-api against the real signalbot 2.x client pieces and parser."""

from __future__ import annotations

import asyncio

import pytest
from signalbot import SendMessage, SignalBot
from signalbot._client import ConnectionMode, SendError, SignalAPI
from signalbot.messages.parser import parse

from tests.fakes.signal import FakeSignal

MEMBER = "+4917612345678"


async def test_signalbot_api_startup_send_and_errors(signal_fake: FakeSignal) -> None:
    gid = signal_fake.add_group("Assemblée", members=[MEMBER])
    api = SignalAPI(signal_fake.service, signal_fake.number, connection_mode=ConnectionMode.AUTO)
    try:
        assert await api.check_signal_service()  # https is tried first, then http
        about = await api.general.about()
        assert (about.mode, about.version) == ("json-rpc", "0.101")
        groups = await api.groups.get_all()
        assert [(g.id, g.name, g.internal_id) for g in groups] == [
            (gid, "Assemblée", signal_fake.internal_id(gid))
        ]
        request = await SendMessage(text="Programme", recipient=gid).to_generated(
            signal_fake.number, [gid]
        )
        [answer] = await api.messages.send(request)
        assert int(answer.timestamp) > 0 and answer.errors is None
        signal_fake.partial_failure([MEMBER])
        [answer] = await api.messages.send(request)
        assert answer.errors is not None and answer.errors.recipients is not None
        assert [e.number for e in answer.errors.recipients] == [MEMBER]
        signal_fake.rate_limit(times=1)
        with pytest.raises(SendError) as info:
            await api.messages.send(request)
        assert getattr(info.value.__cause__, "status", None) == 429
    finally:
        await api.close()
    assert signal_fake.shown(gid) == ["Programme", "Programme"]


async def test_edits_apply_only_inside_the_window(signal_fake: FakeSignal) -> None:
    gid = signal_fake.add_group("Assemblée", members=[MEMBER])
    api = SignalAPI(
        signal_fake.service, signal_fake.number, connection_mode=ConnectionMode.HTTP_ONLY
    )
    try:
        first = await SendMessage(text="v1", recipient=gid).to_generated(signal_fake.number, [gid])
        [answer] = await api.messages.send(first)
        stamp = int(answer.timestamp)
        edit = await SendMessage(text="v2", recipient=gid, edit_timestamp=stamp).to_generated(
            signal_fake.number, [gid]
        )
        await api.messages.send(edit)
        assert signal_fake.shown(gid) == ["v2"]
        signal_fake.advance(hours=25)
        late = await SendMessage(text="v3", recipient=gid, edit_timestamp=stamp).to_generated(
            signal_fake.number, [gid]
        )
        await api.messages.send(late)  # accepted by the server, ignored by members' apps
        assert signal_fake.shown(gid) == ["v2"]
    finally:
        await api.close()


async def test_receive_socket_frames_parse_as_group_messages(signal_fake: FakeSignal) -> None:
    gid = signal_fake.add_group("Assemblée", members=[MEMBER])
    bot = SignalBot(
        {
            "phone_number": signal_fake.number,
            "signal_service": signal_fake.service,
            "connection_mode": "http_only",
        }
    )
    api = bot._signal
    try:
        await bot.groups.refresh()  # what the bot does at startup (GET /v1/groups/<number>)
        signal_fake.inject_message(gid, "quand est la plénière ?", source=MEMBER)
        stream = api.messages.receive()
        raw = await asyncio.wait_for(anext(stream), 10)
        await stream.aclose()
        message = await parse(api, raw)
        assert message.text == "quand est la plénière ?"  # type: ignore[attr-defined]
        assert bot.groups.resolve(gid) == gid
    finally:
        await api.close()
