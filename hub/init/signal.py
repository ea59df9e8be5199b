"""``hub init`` for Signal: the address of signal-cli-rest-api; its accounts are listed, or a new
device is linked with a QR code drawn in the terminal (the phone scans it: Settings → Linked
devices); then the account's groups are listed and picked: no group id is typed."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from connectors.signal_setup import FoundGroup, accounts, groups, link_uri
from hub.init.prompt import Invalid
from hub.init.section import Section, opened
from hub.init.setup import Setup, web_address

T = TypeVar("T")
#: Seconds to wait for the phone to scan the QR code, by default.
LINK_WAIT = 180.0
DEFAULT_URL = "http://127.0.0.1:8080"


def _with(setup: Setup, section: Section, call: Callable[[Any], Awaitable[T]]) -> T:
    async def run() -> T:
        async with opened(section, setup.folder, setup.lang) as connector:
            return await call(connector)

    return asyncio.run(run())


def configure(setup: Setup) -> Section:
    ask, lang = setup.asker, setup.lang

    def reach() -> tuple[Section, list[str]]:
        url = str(ask.ask("signal.url", default=DEFAULT_URL, check=web_address(lang)))
        section = Section(setup.name("signal"), "signal", setup.say("signal.title"))
        setup.taken.discard(section.name)
        section.set("url", url)
        section.set("number", "+0")  # replaced by the account picked below
        section.set("groups", [])
        numbers = _with(setup, section, accounts)
        setup.taken.add(section.name)
        return section, numbers

    section, numbers = setup.attempt(("signal.url",), reach)
    options = [(number, number) for number in numbers] + [("link", setup.say("signal.link_new"))]
    chosen = ask.choose("signal.account", options, default="1")[0]
    number = _link(setup, section, numbers) if chosen == "link" else chosen
    section.set("number", number, setup.say("signal.number.comment"))
    found = _groups(setup, section)
    options = [(group.id, f"{group.name} ({setup.say('signal.members', n=group.members)})") for group in found]
    picked = ask.choose("signal.groups", options, default="1", many=True)
    section.set("groups", [g.id for g in found if g.id in picked], setup.say("signal.groups.comment"))
    setup.attempt(("signal.groups",), lambda: setup.prove(section))
    return section


def _link(setup: Setup, section: Section, before: list[str]) -> str:
    """Show the device link as a QR code and wait until the phone scanned it."""
    import qrcode  # type: ignore[import-untyped]

    ask = setup.asker
    uri = _with(setup, section, link_uri)
    code = qrcode.QRCode(border=1)
    code.add_data(uri)
    drawn = io.StringIO()
    code.print_ascii(out=drawn, invert=True)
    ask.tell("signal.scan")
    ask.out(drawn.getvalue())
    deadline = time.monotonic() + float(ask.given("signal.wait") or LINK_WAIT)
    while time.monotonic() < deadline:
        new = [n for n in _with(setup, section, accounts) if n not in before]
        if new:
            ask.tell("signal.linked", number=new[0])
            return new[0]
        time.sleep(0.5)
    raise Invalid(setup.say("signal.not_scanned"))


def _groups(setup: Setup, section: Section) -> list[FoundGroup]:
    """The account's groups; none yet: the person adds the account to their group and says so."""
    ask = setup.asker
    while True:
        found = _with(setup, section, groups)
        if found:
            return found
        ask.refuse("signal.groups", setup.say("signal.no_group", number=section.values["number"]))
        ask.ask("signal.ready", default=setup.say("telegram.ready.default"))
        ask.forget("signal.ready")
