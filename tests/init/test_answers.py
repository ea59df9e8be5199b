"""``hub init --answers``: from an empty folder to a configuration ``hub check`` passes and whose
first ``hub sync`` writes every sink, against real Radicale, Etherpad and WordPress and the
Telegram fake; secrets only in their own files (0600), never in the TOML."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import httpx

from tests.caldav.conftest import CalDAVServer, radicale  # noqa: F401  (fixture)
from tests.etherpad.conftest import EtherpadServer, etherpad_server  # noqa: F401  (fixture)
from tests.fakes.telegram import FakeTelegram
from tests.init.conftest import GROUP, ORGANISER, Names, answers_text, hub, secret_files
from tests.wordpress.conftest import wordpress_site  # noqa: F401  (fixture)
from tests.wordpress.site import Site


def test_from_an_empty_folder_to_a_first_sync_on_every_channel(
    tmp_path: Path, radicale: CalDAVServer, etherpad_server: EtherpadServer,  # noqa: F811
    wordpress_site: Site, telegram: FakeTelegram,  # noqa: F811
) -> None:
    names = Names.fresh()
    answers = tmp_path / "answers.toml"
    answers.write_text(answers_text(
        names, radicale.base_url, radicale.username, radicale.password, etherpad_server.url,
        etherpad_server.api_key, wordpress_site.url, wordpress_site.admin.username,
        wordpress_site.admin.app_password, telegram,
    ), encoding="utf-8")
    folder = tmp_path / "collectif"
    done = hub("init", str(folder), "--answers", str(answers))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Calendar “" in done.stdout and "created" in done.stdout
    text = (folder / "hub.toml").read_text(encoding="utf-8")
    config = tomllib.loads(text)
    connectors = config["connectors"]
    assert set(connectors) == {"calendar", "pad", "site", "telegram", "exports"}
    assert connectors["calendar"]["url"].rstrip("/").endswith(names.calendar)
    assert connectors["telegram"]["chats"] == [GROUP]
    assert connectors["telegram"]["admins"] == [ORGANISER]  # wrote /start; Bob only said hello
    assert connectors["pad"]["review"] == "deletions"
    for secret in (radicale.password, etherpad_server.api_key, wordpress_site.admin.app_password, telegram.token):
        assert secret not in text and secret not in done.stdout + done.stderr
    assert secret_files(folder) == {
        "calendar-password": 0o600, "pad-api-key": 0o600, "site-application-password": 0o600,
        "telegram-token": 0o600,
    }
    assert (folder / "secrets" / "pad-api-key").read_text().strip() == etherpad_server.api_key

    # The wizard ran ``hub check`` on what it wrote (its exit code is the check's): every line passed.
    checked = done.stdout.split("Checking (hub check):", 1)[1].split("Next:", 1)[0]
    assert "✗" not in checked
    for name in ("config", "programme", "calendar", "pad", "site", "telegram"):
        assert f"✓ {name}:" in checked, (name, checked)

    sync = hub("sync", "--config", str(folder / "hub.toml"), "--json")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    report = json.loads(sync.stdout)["connectors"]
    sessions = 22
    for sink in ("calendar", "pad", "site", "exports"):
        assert report[sink]["created"] + report[sink]["updated"] > 0, (sink, report[sink])
    assert report["calendar"]["created"] == sessions
    assert (folder / "public" / "programme.ics").exists()
    assert telegram.messages(GROUP), "the pinned programme was posted in the group"
    pad = httpx.get(f"{etherpad_server.api}/getText",
                    params={"apikey": etherpad_server.api_key, "padID": names.pad}, timeout=30).json()
    assert "Culture juridique" in pad["data"]["text"]
    auth = (wordpress_site.admin.username, wordpress_site.admin.app_password)
    pages = httpx.get(f"{wordpress_site.rest}/pages", params={"slug": names.page, "context": "edit"}, auth=auth,
                      timeout=30).json()
    assert "Culture juridique" in pages[0]["content"]["raw"]
