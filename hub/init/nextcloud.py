"""``hub init`` for Nextcloud: its address only. Login Flow v2 gives the hub an app password
(the person approves in their browser, types no password); then the account's calendars are
listed (one is picked or created), its Talk conversations listed, and the exports' folder named."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from connectors.caldav_setup import find_calendars
from connectors.http import build_client
from connectors.nextcloud.setup import Granted, LoginFlow, TalkRoom, poll_login, start_login, talk_rooms
from hub.init.caldav import pick_calendar
from hub.init.prompt import Invalid
from hub.init.section import PROVE_TIMEOUT, Section
from hub.init.setup import Setup, web_address
from sync.errors import ConnectorError
from sync.protocol import RequestCounter

T = TypeVar("T")
#: Seconds the person has to approve the login in their browser, by default (Nextcloud keeps a
#: flow 20 minutes).
LOGIN_WAIT = 600.0


def _http(call: Callable[[httpx.AsyncClient], Awaitable[T]], lang: str) -> T:
    async def run() -> T:
        client = build_client("nextcloud", RequestCounter(), attempts=1, language=lang, timeout=PROVE_TIMEOUT)
        try:
            return await call(client)
        except ConnectorError as exc:
            raise Invalid(str(exc)) from None
        finally:
            await client.aclose()

    return asyncio.run(run())


def configure(setup: Setup) -> Section:
    ask, lang = setup.asker, setup.lang
    given_verify = ask.given("nextcloud.verify")
    verify: bool | str = True if given_verify is None else given_verify

    def login() -> tuple[str, str, str]:
        url = str(ask.ask("nextcloud.url", check=web_address(lang))).rstrip("/")
        user, password = ask.given("nextcloud.username"), ask.given("nextcloud.app_password")
        if user and password:  # an answers file that already has an app password
            return url, str(user), str(password)
        flow: LoginFlow = _http(lambda http: start_login(http, url, lang=lang), lang)
        ask.tell("nextcloud.open", link=flow.login)
        deadline = time.monotonic() + float(ask.given("nextcloud.wait") or LOGIN_WAIT)
        while time.monotonic() < deadline:
            granted: Granted | None = _http(lambda http: poll_login(http, flow, lang=lang), lang)
            if granted is not None:
                ask.tell("nextcloud.granted", user=granted.login_name)
                return url, granted.login_name, granted.app_password
            time.sleep(0.5)
        raise Invalid(setup.say("nextcloud.not_granted"))

    url, user, password = setup.attempt(("nextcloud.url",), login)
    try:
        home = asyncio.run(asyncio.to_thread(find_calendars, f"{url}/remote.php/dav/calendars/{user}/", user,
                                             password, verify=verify, lang=lang))
    except ConnectorError as exc:
        raise Invalid(str(exc)) from None
    calendar = pick_calendar(setup, "nextcloud", home, user, password, verify)
    rooms: list[TalkRoom] = _http(lambda http: talk_rooms(http, url, user, password, lang=lang), lang)
    section = Section(setup.name("nuage"), "nextcloud", setup.say("nextcloud.title", name=calendar.name))
    section.set("url", url)
    section.set("username", user)
    section.set("calendar", calendar.slug, setup.say("nextcloud.calendar.comment", name=calendar.name))
    if rooms:
        options = [(r.token, f"{r.name} ({r.kind})") for r in rooms] + [("none", setup.say("nextcloud.no_room"))]
        room = ask.choose("nextcloud.talk_room", options, default="1")[0]
        if room != "none":
            section.set("talk_room", room, setup.say("nextcloud.talk_room.comment"))
    folder = str(ask.ask("nextcloud.folder", default="Programme")).strip("/")
    section.set("folder", folder, setup.say("nextcloud.folder.comment"))
    if verify is not True:
        section.set("verify", verify)
    section.set("owns", ["start", "end", "venue", "status"], setup.say("owns.calendar"))
    section.set("review", "mass", setup.say("review.mass"))
    section.secret("app_password", password)
    setup.attempt(("nextcloud.folder",), lambda: setup.prove(section))
    return section
