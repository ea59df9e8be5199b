"""The compose deployment, checked statically (no Docker engine or image registry is reachable
where the tests run): docker-compose.yml validates against the Compose Specification's JSON
Schema (tests/data/compose-spec.json, see its NOTICE), and what the schema cannot see is checked
here: healthchecks and restart policies, every secret and volume a service uses declared, every
secret file listed in deploy/secrets.list, the image's entry point and the service's command a
real ``hub`` command, the image's user able to write its volumes, the healthcheck asking the
daemon's /readyz on the port it listens on, and deploy/config/hub.toml a valid configuration.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from hub.cli import cli
from hub.runtime import load_settings
from tests.helpers import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SCHEMA = json.loads((REPO / "tests" / "data" / "compose-spec.json").read_text(encoding="utf-8"))
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def last(word: str) -> str:
    values = [rest for kind, rest in instructions() if kind == word]
    assert values, f"the Dockerfile has no {word}"
    return values[-1]


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(COMPOSE), key=lambda e: list(e.path))
    assert [f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors] == []


def test_the_schema_copy_refuses_what_compose_refuses() -> None:
    """The copy is the real schema, not an empty one: a misspelt key and a bad type are refused."""
    validator = jsonschema.Draft7Validator(SCHEMA)
    assert not validator.is_valid({"services": {"hub": {"imgae": "x"}}})
    assert not validator.is_valid({"services": {"hub": {"image": "x", "restart": ["always"]}}})


def test_every_service_has_a_healthcheck_and_a_restart_policy() -> None:
    for name, service in COMPOSE["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name}: no healthcheck"
        assert service.get("restart") in ("always", "unless-stopped", "on-failure"), f"{name}: no restart policy"
    assert COMPOSE["services"]["hub"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_every_secret_and_volume_used_is_declared_and_every_secret_file_is_listed() -> None:
    declared_secrets, declared_volumes = set(COMPOSE.get("secrets", {})), set(COMPOSE.get("volumes", {}))
    listed = {line.split()[0] for line in (REPO / "deploy" / "secrets.list").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#") and not line.startswith("name ")}
    for name, service in COMPOSE["services"].items():
        for secret in service.get("secrets", []):
            source = secret if isinstance(secret, str) else secret["source"]
            assert source in declared_secrets, f"{name}: secret {source} not declared"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                assert (REPO / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in declared_volumes, f"{name}: volume {source} not declared"
        for key, value in (service.get("environment") or {}).items():
            if key.endswith("_FILE") or key == "PGPASSFILE":
                secret = str(value).removeprefix("/run/secrets/")
                assert secret in (service.get("secrets") or []), f"{name}: {key} names a secret it is not given"
    for secret, spec in COMPOSE["secrets"].items():
        assert spec["file"] == f"./deploy/secrets/{secret}", secret
        assert secret in listed, f"{secret} missing from deploy/secrets.list"
    assert listed == declared_secrets


def _hub_command() -> list[str]:
    entrypoint = json.loads(last("ENTRYPOINT"))
    assert entrypoint == ["hub"]
    command = COMPOSE["services"]["hub"]["command"]
    return list(command if isinstance(command, list) else shlex.split(command))


@pytest.mark.parametrize("source", ["compose", "dockerfile"])
def test_the_entry_point_runs_a_real_hub_command(source: str) -> None:
    args = _hub_command() if source == "compose" else json.loads(last("CMD"))
    name, rest = args[0], args[1:]
    assert name == "daemon" and name in cli.commands
    context = cli.commands[name].make_context(name, list(rest))  # refuses an unknown option
    assert context.params["config_path"] == "/config/hub.toml"
    assert context.params["listen"] == "0.0.0.0:8765"


def test_the_healthcheck_asks_readyz_on_the_port_the_daemon_listens_on() -> None:
    service = COMPOSE["services"]["hub"]
    port = _hub_command()[_hub_command().index("--listen") + 1].rsplit(":", 1)[1]
    probe = " ".join(service["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/readyz" in probe
    assert any(str(p).endswith(f":{port}") for p in service["ports"])
    assert service["stop_grace_period"] and service.get("stop_signal", "SIGTERM") == "SIGTERM"


def test_the_images_user_can_write_its_volumes() -> None:
    user = last("USER")
    assert user not in ("root", "0"), "the daemon does not run as root"
    runs = " && ".join(rest for kind, rest in instructions() if kind == "RUN")
    assert re.search(rf"useradd\b[^&]*\b{user}\b", runs), "the user is created"
    made = set(re.findall(r"mkdir -p ([^&]+)", runs)[0].split())
    owned = re.findall(rf"chown -R {user}:{user} ([^&]+)", runs)
    owned_dirs = {d for group in owned for d in group.split()}
    service = COMPOSE["services"]["hub"]
    for volume in service["volumes"]:
        source, target, *mode = volume.split(":")
        if mode == ["ro"]:
            continue
        assert not source.startswith((".", "/")), f"{target}: a host folder's owner is not the image's to set"
        assert any(target == d or target.startswith(d.rstrip("/") + "/") for d in owned_dirs), \
            f"{target} is not owned by {user}"
        assert any(m == target or m.startswith(target.rstrip("/") + "/") for m in made), f"{target} is not created"
    assert "/data" in json.loads(last("VOLUME"))


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")}
    for pattern in (".venv", ".peers", ".git", "tests", "deploy", "*.db", "config/examples/demo-state"):
        assert pattern in ignored, pattern
    for kind, rest in instructions():
        if kind == "COPY":
            assert not any(part in ignored for part in rest.split()[:-1]), f"COPY {rest} copies an ignored path"


def test_the_example_configuration_is_valid_and_fits_the_image() -> None:
    settings = load_settings(REPO / "deploy" / "config" / "hub.toml", environ={})
    assert settings.daemon.public == "/data/public" and settings.daemon.trigger_token_file == "/run/secrets/trigger"
    exports: Any = next(s.config for s in settings.connectors if s.config.type == "files")
    assert exports.path == settings.daemon.public
    given = set(COMPOSE["services"]["hub"]["secrets"])
    for section in settings.connectors:
        for field, value in vars(section.config).items():
            if field.endswith("_file") and value:
                assert str(value).removeprefix("/run/secrets/") in given, f"{section.name}.{field}: {value}"
    assert not settings.hub.programme_write_back, "the configuration is mounted read-only"
    assert (REPO / "deploy" / "config" / Path(settings.hub.programme or "").name).exists()
