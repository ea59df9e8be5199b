"""``hub check``: prove the configuration, the programme file and every connector's access."""

from __future__ import annotations

from collections.abc import Callable

from config.settings import Settings
from hub.messages import say
from hub.runtime import build_connectors
from sync.errors import ConnectorError, HubError
from sync.programme_reader import load_programme
from sync.protocol import RequestCounter


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
    for connector in build_connectors(settings, RequestCounter(), attempts=1, with_programme=False):
        try:
            await connector.open()
            for proof in await connector.check():
                echo(say("check.ok", lang, name=connector.name, detail=proof))
        except (ConnectorError, OSError) as exc:
            echo(say("check.failed", lang, name=connector.name, detail=str(exc)))
            ok = False
        finally:
            await connector.close()
            await connector.ctx.http.aclose()
    return ok
