"""``hub init`` for WordPress: the site, a user and an application password (with the link to
the page where WordPress makes one); the connector's check proves the rights on pages and posts."""

from __future__ import annotations

from hub.init.section import Section
from hub.init.setup import Setup, slug, web_address


def configure(setup: Setup) -> Section:
    ask, lang = setup.asker, setup.lang

    def step() -> Section:
        url = str(ask.ask("wordpress.url", check=web_address(lang))).rstrip("/")
        username = str(ask.ask("wordpress.username"))
        password = str(ask.ask("wordpress.password", secret=True,
                               link=f"{url}/wp-admin/profile.php#application-passwords-section"))
        page = slug(str(ask.ask("wordpress.page", default="programme"))) or "programme"
        section = Section(setup.name("site"), "wordpress", setup.say("wordpress.title"))
        setup.taken.discard(section.name)
        section.set("url", url)
        section.set("username", username)
        section.set("page", page, setup.say("wordpress.page.comment"))
        extra = ask.given("wordpress.news_slug_prefix")
        if extra:
            section.set("news_slug_prefix", str(extra))
        section.secret("application_password", password.replace(" ", ""))  # shown in groups of four
        setup.prove(section)
        setup.taken.add(section.name)
        return section

    return setup.attempt(("wordpress.url", "wordpress.username", "wordpress.password", "wordpress.page"), step)
