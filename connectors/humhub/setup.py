"""The spaces a HumHub account sees, for ``hub init``: a person picks their space from a list
instead of finding its URL name. Read with the connector's own paged listing (``GET /api/v1/space/``),
so a refused token is said the way ``hub check`` says it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from connectors.humhub.connector import HumHubConnector


@dataclass(frozen=True)
class FoundSpace:
    """A space: its URL name (what ``space`` takes, as in ``/s/<name>/``) and its display name."""

    url_name: str
    name: str


async def spaces(connector: HumHubConnector) -> list[FoundSpace]:
    """Every space the account can list, by display name."""
    found = []
    for space in await connector.api.pages("space/", "list the spaces"):
        parts = [p for p in urlsplit(str(space.get("url") or "")).path.split("/") if p]
        url_name = parts[1] if len(parts) >= 2 and parts[0] == "s" else str(space.get("guid") or "")
        if url_name:
            found.append(FoundSpace(url_name, str(space.get("name") or url_name)))
    return sorted(found, key=lambda s: s.name.casefold())
