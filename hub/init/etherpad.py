"""``hub init`` for Etherpad or Framapad: the instance, its API key (or an OAuth client, from an
answers file), and the programme pad: created and filled from the programme at the first sync,
or adopted when it already exists."""

from __future__ import annotations

from connectors.etherpad.messages import MESSAGES as PAD_MESSAGES
from hub.init.prompt import Invalid
from hub.init.section import Section
from hub.init.setup import Setup, web_address

PAD_ID_MAX = 50


def configure(setup: Setup) -> Section:
    ask, lang = setup.asker, setup.lang

    def pad_id(text: str) -> str:
        if len(text) > PAD_ID_MAX or any(c in text for c in "$/?&# "):
            raise Invalid(setup.say("etherpad.bad_pad", max=PAD_ID_MAX))
        return text

    def step() -> Section:
        url = str(ask.ask("etherpad.url", check=web_address(lang)))
        section = Section(setup.name("pad"), "etherpad", setup.say("etherpad.title"))
        setup.taken.discard(section.name)  # named for good once proved
        section.set("url", url)
        client_id = ask.given("etherpad.client_id")
        if client_id:
            section.set("client_id", str(client_id), setup.say("etherpad.oauth.comment"))
            section.secret("client_secret", str(ask.ask("etherpad.client_secret", secret=True)))
        else:
            section.secret("api_key", str(ask.ask("etherpad.api_key", secret=True, url=url)))
        section.set("pad", str(ask.ask("etherpad.pad", default=setup.event_slug(), check=pad_id)),
                    setup.say("etherpad.pad.comment"))
        section.set("owns", ["title", "description", "start", "end", "venue", "hosts", "status"],
                    setup.say("owns.pad"))
        section.set("review", "deletions", setup.say("review.deletions"))
        proofs = setup.prove(section)
        setup.taken.add(section.name)
        missing = PAD_MESSAGES.say("check.no_pad", lang, pad=section.values["pad"])
        ask.tell("etherpad.create" if missing in proofs else "etherpad.adopt", pad=section.values["pad"])
        return section

    return setup.attempt(("etherpad.url", "etherpad.api_key", "etherpad.client_secret", "etherpad.pad"), step)
