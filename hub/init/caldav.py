"""``hub init`` for a CalDAV server (Radicale, Xandikos, SOGo...): its address and a login; the
calendars are discovered (well-known path, principal, home set), one is picked or created."""

from __future__ import annotations

import asyncio

from connectors.caldav_setup import CalendarHome, FoundCalendar, find_calendars, make_calendar
from hub.init.prompt import Invalid
from hub.init.section import Section
from hub.init.setup import Setup, slug, web_address
from sync.errors import ConnectorError

KEYS = ("caldav.url", "caldav.username", "caldav.password")


def configure(setup: Setup) -> Section:
    ask, lang = setup.asker, setup.lang
    verify = ask.given("caldav.verify")
    verify = True if verify is None else verify

    def login() -> tuple[str, str, str, CalendarHome]:
        url = str(ask.ask("caldav.url", check=web_address(lang)))
        username = str(ask.ask("caldav.username"))
        password = str(ask.ask("caldav.password", secret=True))
        try:
            home = asyncio.run(asyncio.to_thread(find_calendars, url, username, password, verify=verify, lang=lang))
        except ConnectorError as exc:
            raise Invalid(str(exc)) from None
        return url, username, password, home

    _url, username, password, home = setup.attempt(KEYS, login)
    calendar = pick_calendar(setup, "caldav", home, username, password, verify)
    section = Section(setup.name("calendar"), "caldav", setup.say("caldav.title", name=calendar.name))
    section.set("url", calendar.url, setup.say("caldav.url.comment"))
    section.set("username", username)
    if verify is not True:
        section.set("verify", verify)
    section.set("owns", ["start", "end", "venue", "status"], setup.say("owns.calendar"))
    section.set("review", "mass", setup.say("review.mass"))
    section.secret("password", password)
    setup.attempt(("caldav.calendar",), lambda: setup.prove(section))
    return section


def pick_calendar(setup: Setup, tool: str, home: CalendarHome, username: str, password: str,
                  verify: bool | str) -> FoundCalendar:
    """One of the account's calendars, by number, name or slug; a new name creates it."""
    ask, lang = setup.asker, setup.lang
    wanted = setup.event_slug()
    listed = list(home.calendars)
    if ask.interactive and ask.given(f"{tool}.calendar") is None:
        ask.tell("calendar.list" if listed else "calendar.none")
        for number, found in enumerate(listed, 1):
            ask.out(f"  {number}. {found.name} ({found.slug})")
    default = next((str(n) for n, c in enumerate(listed, 1) if c.slug == wanted), wanted)

    def choose(text: str) -> FoundCalendar:
        if text.isdigit() and 1 <= int(text) <= len(listed):
            return listed[int(text) - 1]
        for found in listed:
            if text.lower() in (found.slug.lower(), found.name.lower()):
                return found
        new = slug(text)
        if not new:
            raise Invalid(setup.say("answer.not_a_name", answer=text))
        try:
            made = asyncio.run(asyncio.to_thread(make_calendar, home.home, new, text, username, password,
                                                 verify=verify, lang=lang))
        except ConnectorError as exc:
            raise Invalid(str(exc)) from None
        ask.tell("calendar.created", name=text, url=made.url)
        return made

    chosen: FoundCalendar = ask.ask(f"{tool}.calendar", default=default, check=choose)  # type: ignore[assignment]
    return chosen
