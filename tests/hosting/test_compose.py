"""The compose file's hosting services: real hub commands, the worker replicated, both on the
state store's database (the whole file's schema check is tests/daemon/test_compose.py's)."""

from __future__ import annotations

import yaml

from hub.cli import cli
from tests.helpers import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


def test_the_worker_is_replicated_and_runs_hub_worker() -> None:
    worker = COMPOSE["services"]["worker"]
    assert worker["deploy"]["replicas"] >= 2
    name, *rest = worker["command"]
    context = cli.commands[name].make_context(name, rest)  # refuses an unknown option
    assert name == "worker" and context.params["concurrency"] >= 1
    assert worker["profiles"] == ["hosting"], "a single-collective `docker compose up` starts no worker"


def test_the_hosting_daemon_and_the_workers_share_the_database_and_the_collectives() -> None:
    hosting, worker, hub = (COMPOSE["services"][n] for n in ("hosting", "worker", "hub"))
    name, *rest = hosting["command"]
    context = cli.commands[name].make_context(name, rest)
    assert context.params["hosting"] is True
    port = context.params["listen"].rsplit(":", 1)[1]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(hosting["healthcheck"]["test"])
    database = hub["environment"]["HUB_HUB__DATABASE"]
    for service in (hosting, worker):
        assert service["environment"]["HUB_HOSTING_DATABASE"] == database
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert "hub-data:/data" in service["volumes"]
