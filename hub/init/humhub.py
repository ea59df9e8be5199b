"""``hub init`` for HumHub: the network's address and an access token (Administration → REST
API); the account's spaces are listed and one is picked; the connector's check proves the rights
to post and to write the space's calendar."""

from __future__ import annotations

import asyncio

from connectors.humhub.setup import FoundSpace, spaces
from hub.init.section import Section, opened
from hub.init.setup import Setup, web_address


def configure(setup: Setup) -> Section:
    ask, lang = setup.asker, setup.lang

    def reach() -> tuple[Section, list[FoundSpace]]:
        url = str(ask.ask("humhub.url", check=web_address(lang))).rstrip("/")
        token = str(ask.ask("humhub.token", secret=True, link=f"{url}/rest/admin"))
        section = Section(setup.name("reseau"), "humhub", setup.say("humhub.title"))
        setup.taken.discard(section.name)
        section.set("url", url)
        section.set("space", "-")  # replaced by the space picked below
        section.secret("token", token)

        async def listing() -> list[FoundSpace]:
            async with opened(section, setup.folder, lang) as connector:
                return await spaces(connector)  # type: ignore[arg-type]

        found = asyncio.run(listing())
        setup.taken.add(section.name)
        return section, found

    section, found = setup.attempt(("humhub.url", "humhub.token"), reach)
    options = [(s.url_name, f"{s.name} ({s.url_name})") for s in found]
    wanted = setup.event_slug()
    default = next((str(n) for n, s in enumerate(found, 1) if s.url_name == wanted), "1")
    space = ask.choose("humhub.space", options, default=default)[0]
    section.set("space", space, setup.say("humhub.space.comment"))
    setup.attempt(("humhub.space",), lambda: setup.prove(section))
    return section
