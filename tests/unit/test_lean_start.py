"""Every command starts lean: ``hub --help`` and reading a configuration that names every
connector type import no client library and no database layer (they cost about a second
together). What is loaded is checked in a fresh interpreter, not how long it takes: the time
is the benchmark's business (``python -m bench``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from config.connector import ConnectorConfig
from connectors.registry import CONNECTOR_TYPES, INTERNAL_TYPES, connector_class, settings_class
from sync.model import SESSION_FIELDS

REPO = Path(__file__).resolve().parents[2]
#: The hub's own types (the suite registers test doubles too).
PRODUCT_TYPES = {name for name, entry in CONNECTOR_TYPES.items()
                 if entry.connector.startswith("connectors.") and name not in INTERNAL_TYPES}
#: Libraries that only building a connector or opening the state store may import.
HEAVY = ("sqlalchemy", "alembic", "psycopg", "telegram", "signalbot", "aiohttp", "caldav", "nc_py_api",
         "wordpress_xmlrpc", "httpx", "icalendar", "jinja2", "yaml", "ruamel", "rapidfuzz")

#: One section of every connector type a configuration can name, with what each requires.
EVERY_TYPE = """
[hub]
programme = "programme.yaml"
language = "en"

[connectors.exports]
type = "files"
path = "public"

[connectors.agenda]
type = "caldav"
url = "http://127.0.0.1:5232/hub/programme/"
username = "hub"
password = "calendar-secret"
owns = ["title", "existence"]

[connectors.cloud]
type = "nextcloud"
url = "http://127.0.0.1:8081"
username = "hub"
app_password = "nextcloud-secret"
calendar = "programme"
talk_room = "abcdef"
talk_admins = ["alice"]

[connectors.pad]
type = "etherpad"
url = "http://127.0.0.1:9001"
pad = "programme"
api_key = "etherpad-secret"
owns = ["title"]

[connectors.site]
type = "wordpress"
url = "http://127.0.0.1:8082"
username = "hub"
application_password = "wordpress-secret"

[connectors.chat]
type = "telegram"
token = "123456:telegram-secret"
chats = [-1001]
admins = [42]

[connectors.group]
type = "signal"
number = "+33600000000"
groups = ["group.abc"]
admins = ["+33611111111"]

[connectors.network]
type = "humhub"
url = "http://127.0.0.1:8083"
space = "programme"
token = "humhub-secret"

[connectors.list]
type = "email"
host = "127.0.0.1"
from = "hub@example.org"
to = ["list@example.org"]

[connectors.polls]
type = "framadate"
url = "http://127.0.0.1:8084"
"""

PROBE = """
import json, sys
{body}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


def loaded_after(body: str, cwd: Path) -> set[str]:
    """The top-level modules a fresh interpreter has imported after running ``body``."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(body=body)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def through_click(args: list[str], expected: str) -> str:
    """A probe script: ``hub <args>`` run through the command line's own ``main``, exiting 0 and
    printing ``expected`` (a part of its output)."""
    return f"""
import contextlib, io, sys
from hub.cli import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        cli.main({args!r}, prog_name="hub", standalone_mode=False)
    except SystemExit as exc:
        assert exc.code == 0, exc.code
assert {expected!r} in out.getvalue(), out.getvalue()
"""


def test_the_configuration_of_this_test_names_every_connector_type() -> None:
    named = {line.split('"')[1] for line in EVERY_TYPE.splitlines() if line.startswith("type = ")}
    assert named == PRODUCT_TYPES


def test_help_imports_no_client_library_and_no_database_layer(tmp_path: Path) -> None:
    body = """
from hub.cli import cli
try:
    cli.main(["--help"], prog_name="hub", standalone_mode=False)
except SystemExit:
    pass
"""
    loaded = loaded_after(body, REPO)
    assert "click" in loaded  # the probe ran the command line
    assert loaded & set(HEAVY) == set()


def test_reading_a_configuration_of_every_type_imports_no_client_library(tmp_path: Path) -> None:
    (tmp_path / "hub.toml").write_text(EVERY_TYPE, encoding="utf-8")
    body = f"""
from hub.runtime import load_settings
settings = load_settings({str(tmp_path / "hub.toml")!r}, environ={{}})
assert len(settings.connectors) == {len(PRODUCT_TYPES)}, settings.connectors
"""
    loaded = loaded_after(body, REPO)
    assert "pydantic" in loaded
    assert loaded & set(HEAVY) == set()


@pytest.mark.parametrize("type_name", sorted(CONNECTOR_TYPES))
def test_the_light_settings_class_is_the_connectors_own(type_name: str) -> None:
    """The registry's settings class is the one the connector is built with, and it declares the
    same carried fields (what ``owns`` is checked against before the connector is imported)."""
    cls = connector_class(type_name)
    model = settings_class(type_name)
    assert model is cls.config_model
    assert issubclass(model, ConnectorConfig)
    assert tuple(cls.fields) == (SESSION_FIELDS if model.carries is None else model.carries)


def test_an_owned_field_the_type_does_not_carry_is_refused_without_the_connector(tmp_path: Path) -> None:
    from config.errors import ConfigError
    from hub.runtime import load_settings

    (tmp_path / "hub.toml").write_text('[connectors.list]\ntype = "email"\nhost = "h"\nfrom = "a@b.org"\n'
                                       'to = ["l@b.org"]\nowns = ["title"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="title"):
        load_settings(tmp_path / "hub.toml", environ={})


def test_telegram_stand_in_accounts_are_the_librarys() -> None:
    from telegram.constants import ChatID

    from connectors.telegram_config import ANONYMOUS_ADMIN, FAKE_CHANNEL, SERVICE_CHAT

    assert (ANONYMOUS_ADMIN, FAKE_CHANNEL, SERVICE_CHAT) == (
        ChatID.ANONYMOUS_ADMIN, ChatID.FAKE_CHANNEL, ChatID.SERVICE_CHAT)


def test_status_reads_a_current_sqlite_state_without_sqlalchemy(tmp_path: Path) -> None:
    from sync.state import StateStore

    (tmp_path / "hub.toml").write_text(EVERY_TYPE.replace('language = "en"', 'language = "en"\ndatabase = "hub.db"'),
                                       encoding="utf-8")
    store = StateStore.open(f"sqlite:///{tmp_path / 'hub.db'}")
    with store.transaction() as conn:
        store.set_meta(conn, "last_report", {"connectors": {"exports": {"created": 22}}, "changes": [],
                                             "conflicts": [], "at": "2026-12-04T10:00:00+01:00"})
    store.close()
    body = through_click(["status", "--config", str(tmp_path / "hub.toml")], "exports: created 22")
    loaded = loaded_after(body, tmp_path)
    assert loaded & set(HEAVY) == set()


def test_a_sync_with_nothing_to_do_answers_without_the_engine(tmp_path: Path) -> None:
    """The quick no-op check (``sync.quick``): no engine, no database layer, no client library."""
    from tests.helpers import run_hub, write_config

    config = write_config(tmp_path, '\n[connectors.exports]\ntype = "files"\npath = "public"\n',
                          hub_extra='programme_review = "never"')
    run_hub("sync", "--config", str(config), check=True)
    body = through_click(["sync", "--config", str(config)], "Rien à faire : tout est à jour.") + """
assert out.getvalue().strip() == "Rien à faire : tout est à jour.", out.getvalue()
assert not [m for m in ("sync.engine", "sync.state", "connectors.files", "connectors.exports", "rich")
            if m in sys.modules]
"""
    loaded = loaded_after(body, tmp_path)
    assert loaded & set(HEAVY) == set()


def test_a_plain_sync_with_nothing_to_do_loads_neither_the_settings_models_nor_the_command_line(
        tmp_path: Path) -> None:
    """Once a sync kept what the check reads of its settings (:mod:`hub.quickstart`), the ``hub``
    command's entry point answers before pydantic and click are even imported."""
    from tests.helpers import run_hub, write_config

    config = write_config(tmp_path, '\n[connectors.exports]\ntype = "files"\npath = "public"\n',
                          hub_extra='programme_review = "never"')
    run_hub("sync", "--config", str(config), check=True)
    run_hub("sync", "--config", str(config), check=True)
    body = f"""
import contextlib, io, sys
from hub.entry import main
sys.argv = ["hub", "sync", "--config", {str(config)!r}]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main()
    except SystemExit as exc:
        assert exc.code == 0, exc.code
assert out.getvalue().strip() == "Rien à faire : tout est à jour.", out.getvalue()
"""
    loaded = loaded_after(body, tmp_path)
    assert loaded & {*HEAVY, "pydantic", "click", "rich"} == set()


def test_a_sync_with_work_on_a_current_sqlite_state_imports_neither_sqlalchemy_nor_alembic(
        tmp_path: Path) -> None:
    """The store's statements go through ``sqlite3`` itself (:mod:`sync.database`): a sync that
    merges a change, writes a sink and records it all loads no database layer once the schema
    is current (the first run creates it with Alembic)."""
    from sync.state import StateStore
    from tests.helpers import edit_programme, run_hub, write_config

    config = write_config(tmp_path, '\n[connectors.exports]\ntype = "files"\npath = "public"\n',
                          hub_extra='programme_review = "never"')
    run_hub("sync", "--config", str(config), check=True)
    edit_programme(tmp_path, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30")
    body = through_click(["sync", "--config", str(config)], "1 changement(s) au programme")
    loaded = loaded_after(body, tmp_path)
    assert loaded & {"sqlalchemy", "alembic", "psycopg"} == set()
    store = StateStore.open(f"sqlite:///{tmp_path / 'state' / 'hub.db'}")
    try:  # what went in by sqlite3 reads back through the store as it was written
        assert store.load_sessions()["atelier-culture-juridique"]["start"].startswith("2021-11-13T15:00")
        [change] = [r for r in store.history() if r.field == "start"]
        assert change.session == "atelier-culture-juridique" and change.at.tzinfo is not None
    finally:
        store.close()
    assert "20211113T150000" in (tmp_path / "public" / "programme.ics").read_text(encoding="utf-8")


def test_masking_secrets_needs_no_settings_models(tmp_path: Path) -> None:
    """The redactor and the HTTP clients' URL masking load no pydantic: the commands that answer
    from kept facts (``hub status``, ``hub sync`` with nothing to do) mask as the others do."""
    body = """
from config.redaction import Redactor, redact_url, secret_forms
import connectors.net
assert Redactor(secret_forms(["a-long-secret"], ["hub"]))("x a-long-secret y") == "x *** y"
"""
    assert "pydantic" not in loaded_after(body, tmp_path)


def test_a_first_sync_creates_its_sqlite_state_without_alembic(tmp_path: Path) -> None:
    """A newcomer's first ``hub sync`` makes the state from the kept schema (:mod:`sync.sqlite_schema`)."""
    from tests.helpers import write_config

    config = write_config(tmp_path, '\n[connectors.exports]\ntype = "files"\npath = "public"\n',
                          hub_extra='programme_review = "never"')
    body = through_click(["sync", "--config", str(config)], "22 changement(s) au programme")
    loaded = loaded_after(body, tmp_path)
    assert loaded & {"alembic", "sqlalchemy"} == set()
    assert (tmp_path / "public" / "programme.ics").exists()
