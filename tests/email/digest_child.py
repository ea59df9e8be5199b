"""A process that sends the digest and can be killed mid-send: ``python -m tests.email.digest_child
CONFIG_JSON DATABASE NOW``. It plays a ``hub sync``'s refresh for one e-mail connector over a
real state store, with the clock at NOW (epoch seconds)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from connectors.email import EmailConfig, EmailConnector
from connectors.http import build_client
from sync.protocol import ConnectorContext, RequestCounter
from sync.state import StateStore, StoredConnectorState
from tests.helpers import reference_programme


def connector(config: dict[str, object], database: str, folder: Path, now: float) -> EmailConnector:
    store = StateStore.open(database)
    counter = RequestCounter()
    ctx = ConnectorContext("liste", build_client("liste", counter), counter, "fr", folder,
                           StoredConnectorState(store, "liste"))
    made = EmailConnector("liste", EmailConfig.model_validate(config), ctx)
    made.clock = lambda: now
    return made


async def main() -> None:
    config, database, now = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    made = connector(config, database, Path(sys.argv[4]), now)
    await made.refresh(reference_programme())


if __name__ == "__main__":
    asyncio.run(main())
