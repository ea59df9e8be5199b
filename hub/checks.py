"""``hub check``: prove the configuration, the programme file and every connector's access."""

from __future__ import annotations

from collections.abc import Callable

from config.settings import Settings
from connectors.base import ConnectorContext
from connectors.http import RequestCounter, build_client
from connectors.registry import connector_class
from hub.messages import say
from sync.errors import ConnectorError, HubError
from sync.programme_file import load_programme


async def run_checks(settings: Settings, lang: str, echo: Callable[[str], None]) -> bool:
    """Check everything, print one line per check; True when all passed."""
    echo(say("check.ok", lang, name="config", detail=say("check.config", lang, n=len(settings.connectors))))
    ok = True
    if settings.hub.programme:
        try:
            programme = load_programme(settings.resolve(settings.hub.programme))
            detail = say("check.programme", lang, sessions=len(programme.sessions), venues=len(programme.venues))
            echo(say("check.ok", lang, name="programme", detail=detail))
        except HubError as exc:
            echo(say("check.failed", lang, name="programme", detail=str(exc)))
            ok = False
    counter = RequestCounter()
    for section in settings.connectors:
        cls = connector_class(section.config.type, section=section.name)
        http = build_client(section.name, counter, attempts=1)
        ctx = ConnectorContext(section.name, http, counter, settings.hub.language, settings.base_dir)
        connector = cls(section.name, section.config, ctx)
        try:
            await connector.open()
            for proof in await connector.check():
                echo(say("check.ok", lang, name=section.name, detail=proof))
        except (ConnectorError, OSError) as exc:
            echo(say("check.failed", lang, name=section.name, detail=str(exc)))
            ok = False
        finally:
            await connector.close()
            await http.aclose()
    return ok
