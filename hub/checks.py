"""``hub check``: prove the configuration, the programme file and every connector's access."""

from __future__ import annotations

from collections.abc import Callable

from config.settings import Settings
from hub.messages import say
from hub.runtime import build_connectors
from sync.errors import ConnectorError, HubError
from sync.programme_reader import load_programme
from sync.protocol import RequestCounter

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


async def run_checks(settings: Settings, lang: str, echo: Callable[[str], None]) -> int:
    """Check everything, print one line per check; the exit code (0 all passed, 1 a connector
    cannot be reached or used, 2 the programme file is bad: nothing would be pushed)."""
    echo(say("check.ok", lang, name="config", detail=say("check.config", lang, n=len(settings.connectors))))
    code = EXIT_OK
    if settings.hub.programme:
        try:
            programme = load_programme(settings.resolve(settings.hub.programme),
                                       max_bytes=settings.hub.max_programme_bytes)
            detail = say("check.programme", lang, sessions=len(programme.sessions), venues=len(programme.venues))
            echo(say("check.ok", lang, name="programme", detail=detail))
        except HubError as exc:
            echo(say("check.failed", lang, name="programme", detail=str(exc)))
            code = EXIT_BAD_INPUT
    for connector in build_connectors(settings, RequestCounter(), attempts=1, with_programme=False):
        try:
            await connector.open()
            for proof in await connector.check():
                echo(say("check.ok", lang, name=connector.name, detail=proof))
        except (ConnectorError, OSError) as exc:
            echo(say("check.failed", lang, name=connector.name, detail=str(exc)))
            code = max(code, EXIT_FAILED)
        finally:
            await connector.close()
            await connector.ctx.close_http()
    return code
