"""``hub init`` for the exports (ICS, frab JSON, an HTML page) written to a folder: no server,
so it always works, and the first sync shows the programme somewhere at once."""

from __future__ import annotations

from hub.init.section import Section
from hub.init.setup import Setup


def configure(setup: Setup) -> Section:
    path = str(setup.asker.ask("files.path", default="public"))
    section = Section(setup.name("exports"), "files", setup.say("files.title"))
    section.set("path", path, setup.say("files.path.comment"))
    return section
