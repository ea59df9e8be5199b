"""What ``hub init`` needs from signal-cli-rest-api: the accounts it holds, a link for a new
device (the QR code a phone scans: Settings → Linked devices), and the groups of an account.

``GET /v1/accounts`` answers the numbers registered or linked there (``["+33600000000"]``);
``GET /v1/qrcodelink/raw?device_name=`` answers ``{"device_link_uri": "sgnl://linkdevice?…"}``,
which stays valid while signal-cli waits for the phone; the account appears in ``/v1/accounts``
once the phone has scanned it. Groups come through the connector's own signalbot client, so a
refusal is said the way ``hub check`` says it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from signalbot._client import SignalAPIError

from connectors.http import describe_transport_error, raise_for_response
from connectors.signal import SignalConnector
from sync.errors import PermanentError

#: The name the hub's device shows under the phone's linked devices.
DEVICE_NAME = "Commons Hub"


@dataclass(frozen=True)
class FoundGroup:
    """A Signal group the account belongs to: its public id (what ``groups`` takes), its name."""

    id: str
    name: str
    members: int


async def _get(connector: SignalConnector, path: str, **params: str) -> Any:
    config = connector.config
    auth = (config.username, connector.secret("password") or "") if config.username else None
    url = config.url.rstrip("/") + path
    try:
        response = await connector.ctx.http.get(url, params=params, auth=auth or httpx.USE_CLIENT_DEFAULT)
    except httpx.HTTPError as exc:
        raise describe_transport_error(exc, connector.name, lang=connector.lang) from None
    raise_for_response(response, connector.name, lang=connector.lang)
    try:
        return response.json()
    except ValueError:
        raise PermanentError(f"GET {url}: {response.status_code}, not JSON", connector=connector.name) from None


async def accounts(connector: SignalConnector) -> list[str]:
    """The numbers signal-cli holds (registered or linked)."""
    found = await _get(connector, "/v1/accounts")
    return [str(number) for number in found] if isinstance(found, list) else []


async def link_uri(connector: SignalConnector, device_name: str = DEVICE_NAME) -> str:
    """The ``sgnl://linkdevice`` address to show as a QR code for the phone to scan."""
    answer = await _get(connector, "/v1/qrcodelink/raw", device_name=device_name)
    uri = answer.get("device_link_uri") if isinstance(answer, dict) else None
    if not isinstance(uri, str) or not uri.startswith("sgnl://"):
        raise PermanentError(f"{connector.config.url}/v1/qrcodelink/raw: no device_link_uri", connector=connector.name)
    return uri


async def groups(connector: SignalConnector) -> list[FoundGroup]:
    """The groups of the connector's ``number``."""
    await connector.open()
    try:
        entries = await connector.api.groups.get_all()
    except SignalAPIError as exc:
        raise connector._error(exc, None, sending=False) from None
    connector.ctx.count_request()
    return [FoundGroup(g.id, g.name or g.id, len(g.members or [])) for g in entries]

