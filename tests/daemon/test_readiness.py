"""``/readyz``: 503 while the state store cannot be reached, 200 again once it can; an open
breaker is shown (and counted in /metrics) but leaves the daemon ready: it needs an organiser's
``hub reset``, which a container restart would not bring.

The daemon keeps its state in the machine's real PostgreSQL, as a deployment does, under a role
of its own: the store is made unreachable by refusing that role's logins and cutting its
connections, as a database restart or a revoked account would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from sync.state import StateStore
from tests.daemon.conftest import DaemonProcess, daemon_sections
from tests.daemon.test_daemon import metric_values
from tests.fakes.loopback import free_port
from tests.helpers import write_config
from tests.peers.postgres import POSTGRES_ADMIN
from tests.peers.process import missing_peer


@pytest.fixture
def database() -> Iterator[tuple[str, str, Engine]]:
    """A new database owned by a new login role: (its URL, the role, an admin engine)."""
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:10]
    name, role = f"hub_ready_{suffix}", f"hub_ready_{suffix}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{role}"'))
    except OperationalError as exc:
        admin.dispose()
        missing_peer("postgresql", f"cannot reach {POSTGRES_ADMIN.split('@')[-1]} ({exc.orig})")
    host = POSTGRES_ADMIN.rsplit("@", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{role}@{host}/{name}", role, admin
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" LOGIN'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_readyz_is_503_while_the_state_store_is_unreachable_and_shows_open_breakers(
    tmp_path: Path, database: tuple[str, str, Engine],
) -> None:
    url, role, admin = database
    port = free_port()
    config = write_config(tmp_path, daemon_sections(port) + """
""", database=url)
    daemon = DaemonProcess(config, port).start()
    try:
        ready = daemon.ready()  # 200
        assert ready["store"] == "ok" and ready["connectors"] == {"exports": {"breaker": "closed"}}

        store = StateStore.open(url)
        try:
            with store.transaction() as conn:
                store.open_breaker(conn, "exports", "mass deletion held")
            answer = daemon.http.get("/readyz")
            assert answer.status_code == 200
            assert answer.json()["connectors"]["exports"] == {"breaker": "open", "reason": "mass deletion held"}
            assert metric_values(daemon)[("hub_breaker_open", (("connector", "exports"),))] == 1
            assert store.reset_breaker("exports")
        finally:
            store.close()

        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" NOLOGIN'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                         {"r": role})
        daemon.wait_for(lambda: daemon.http.get("/readyz").status_code == 503, 10, "/readyz saying 503")
        body = daemon.http.get("/readyz").json()
        assert body["store"].startswith("unreachable: ") and "connectors" not in body
        assert daemon.http.get("/healthz").status_code == 200, "alive all the same"

        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" LOGIN'))
        daemon.wait_for(lambda: daemon.http.get("/readyz").status_code == 200, 10, "/readyz ready again")
        assert daemon.ready()["connectors"] == {"exports": {"breaker": "closed"}}
        code, took = daemon.stop()
        assert code == 0 and took < 10
    finally:
        daemon.close()
