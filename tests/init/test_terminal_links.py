"""At a terminal, Nextcloud's login link and Signal's QR code are shown where a person acts on
them, and the wizard goes on by itself once the browser granted access and the phone scanned
the code: the person types the two addresses and presses Enter."""

from __future__ import annotations

import secrets
import time
import tomllib
from pathlib import Path

from tests.caldav.conftest import CalDAVServer, WebDAVServer, radicale, wsgidav  # noqa: F401  (fixtures)
from tests.fakes.nextcloud import FakeNextcloud
from tests.fakes.signal import FakeSignal
from tests.init.conftest import small_programme
from tests.init.terminal import Terminal
from tests.init.test_nextcloud import nextcloud  # noqa: F401  (fixture)


def test_login_link_and_qr_code_at_a_terminal(tmp_path: Path, nextcloud: FakeNextcloud) -> None:  # noqa: F811
    calendar, folder = f"init-{secrets.token_hex(3)}", f"Programme-{secrets.token_hex(3)}"
    with FakeSignal("+33600000002", linked=False).running() as signal:
        group = signal.add_group("Assemblée des communs")
        small_programme(tmp_path / "hub")
        term = Terminal("init", str(tmp_path / "hub"))
        term.answer("Language / Langue [en]: ")
        term.answer("Programme file [programme.yaml]: ")
        term.answer("The collective's tools (numbers separated by spaces): ", "1 6")
        term.answer("Nextcloud address: ", nextcloud.url)
        term.expect("/index.php/login/v2/flow/")
        term.expect("The hub waits for your approval")
        time.sleep(0.3)
        nextcloud.grant()  # the person logged in and granted access in their browser
        term.expect("Access granted for “hub”")
        term.answer("Programme calendar [assemblee-communs-2021]: ", calendar)
        term.expect("Assemblée (group)")
        term.answer("Talk conversation to announce in [1]: ", "2")  # none: the fake serves no Talk chat
        term.answer("Exports folder in Nextcloud [Programme]: ", folder)
        term.answer("signal-cli-rest-api address [http://127.0.0.1:8080]: ", signal.url)
        term.expect("link a new device (QR code)")
        term.answer("The hub's Signal account [1]: ")
        term.expect("Linked devices")
        term.expect("▀▀▀▀▀▀▀▀▀▀")  # the QR code's last row
        signal.scan_link()  # the phone scanned it
        term.expect("Device linked: +33600000002")
        term.answer("Groups to announce in (numbers) [1]: ")
        code, shown = term.finish()

    assert code == 0, shown
    # Ten answers, five of them a bare Enter; typed: two addresses, the tools, and this test's own
    # calendar and folder names; no password, token or id.
    assert term.prompts == 10 and f"({term.prompts} questions, {term.typed} characters typed)" in shown, shown
    config = tomllib.loads((tmp_path / "hub" / "hub.toml").read_text(encoding="utf-8"))["connectors"]
    assert config["nuage"]["calendar"] == calendar and config["nuage"]["folder"] == folder
    assert config["signal"]["number"] == "+33600000002" and config["signal"]["groups"] == [group]
