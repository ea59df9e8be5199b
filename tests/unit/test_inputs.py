"""The settings' digest the quick no-op check compares (:mod:`sync.inputs`): the same settings
give the same digest in every process, any setting that changes a sync changes it, and secrets
do not enter it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hub.runtime import load_settings
from sync.inputs import PACKAGES, code_digest, settings_digest
from tests.helpers import REPO

CONFIG = """
[hub]
programme = "programme.yaml"
language = "en"
admin_chats = ["chat"]

[connectors.exports]
type = "files"
path = "public"

[connectors.agenda]
type = "caldav"
url = "http://127.0.0.1:5232/hub/programme/"
username = "hub"
password = "calendar-secret"
owns = ["title", "existence"]

[connectors.chat]
type = "telegram"
token = "123456:telegram-secret"
chats = [-1001, -1002]
admins = [42]
"""


def digest_in_a_new_process(config: Path, seed: str) -> str:
    code = (f"from hub.runtime import load_settings; from sync.inputs import PACKAGES, code_digest, settings_digest; "
            f"print(settings_digest(load_settings({str(config)!r}, environ={{}})))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                          env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}, timeout=120)
    return done.stdout.strip()


def test_the_same_settings_give_the_same_digest_in_every_process(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(CONFIG, encoding="utf-8")
    here = settings_digest(load_settings(config, environ={}))
    assert {digest_in_a_new_process(config, seed) for seed in ("1", "2")} == {here}


def test_a_changed_setting_changes_the_digest_and_a_secret_does_not(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(CONFIG, encoding="utf-8")
    base = settings_digest(load_settings(config, environ={}))
    changed = [
        {"HUB_HUB__ANNOUNCE_DELAY": "60"},
        {"HUB_CONNECTORS__EXPORTS__ICS": "other.ics"},
        {"HUB_CONNECTORS__CHAT__CHATS": "[-1001]"},
        {"HUB_CONNECTORS__AGENDA__SYNC": "false"},
    ]
    digests = [settings_digest(load_settings(config, environ=environ)) for environ in changed]
    assert base not in digests and len(set(digests)) == len(digests)
    secret = {"HUB_CONNECTORS__AGENDA__PASSWORD": "another-calendar-secret"}
    assert settings_digest(load_settings(config, environ=secret)) == base
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "hub.toml").write_text(CONFIG, encoding="utf-8")
    assert settings_digest(load_settings(moved / "hub.toml", environ={})) != base  # its paths are elsewhere


def test_the_code_digest_changes_with_any_module_and_only_then(tmp_path: Path) -> None:
    for package in PACKAGES:
        (tmp_path / package / "sub").mkdir(parents=True)
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
        (tmp_path / package / "sub" / "mod.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "sync" / "notes.txt").write_text("not code", encoding="utf-8")
    first = code_digest(tmp_path)
    assert code_digest(tmp_path) == first
    (tmp_path / "sync" / "notes.txt").write_text("still not code", encoding="utf-8")
    assert code_digest(tmp_path) == first
    module = tmp_path / "connectors" / "sub" / "mod.py"
    module.write_text("X = 2\n", encoding="utf-8")  # same size, another time
    os.utime(module, ns=(1, 1))
    edited = code_digest(tmp_path)
    assert edited != first
    (tmp_path / "hub" / "new.py").write_text("", encoding="utf-8")
    assert code_digest(tmp_path) not in (first, edited)
    assert code_digest() == code_digest()  # the hub's own, stable while nothing is edited
