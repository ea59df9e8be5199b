"""``hub init`` for Framadate: only the instance (framadate.org by default). Framadate has no
API and no account: polls are created by ``hub poll create``, whose admin links are kept as
secrets by the hub; the connector's check proves the instance answers."""

from __future__ import annotations

from hub.init.section import Section
from hub.init.setup import Setup, web_address

DEFAULT_URL = "https://framadate.org"


def configure(setup: Setup) -> Section:
    ask, lang = setup.asker, setup.lang

    def step() -> Section:
        url = str(ask.ask("framadate.url", default=DEFAULT_URL, check=web_address(lang))).rstrip("/")
        section = Section(setup.name("sondages"), "framadate", setup.say("framadate.title"))
        setup.taken.discard(section.name)
        section.set("url", url)
        section.set("admin_email", str(ask.ask("framadate.admin_email")), setup.say("framadate.admin_email.comment"))
        setup.prove(section)
        setup.taken.add(section.name)
        return section

    return setup.attempt(("framadate.url",), step)
