"""``hub init`` typed at a terminal (a real pseudo-terminal): every question shows its help, a
refused password is explained and asked again (the address and login offered back), secrets are
not echoed; the reference set-up's questions and keystrokes are counted (see the README)."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from tests.caldav.conftest import CalDAVServer, radicale  # noqa: F401  (fixture)
from tests.etherpad.conftest import EtherpadServer, etherpad_server  # noqa: F401  (fixture)
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REFERENCE
from tests.init.conftest import GROUP, ORGANISER, Names
from tests.init.terminal import Terminal
from tests.wordpress.conftest import wordpress_site  # noqa: F401  (fixture)
from tests.wordpress.site import Site


def test_the_reference_setup_typed_at_a_terminal(
    tmp_path: Path, radicale: CalDAVServer, etherpad_server: EtherpadServer,  # noqa: F811
    wordpress_site: Site, telegram: FakeTelegram,  # noqa: F811
) -> None:
    names = Names.fresh()
    folder = tmp_path / "collectif"
    folder.mkdir()
    shutil.copy(REFERENCE, folder / "programme.yaml")  # the organisers' own programme file
    advanced = tmp_path / "server.toml"  # what no person types: where the test's Bot API runs
    advanced.write_text(f'[telegram]\napi_url = "{telegram.url}"\n[wordpress]\nnews_slug_prefix = "{names.prefix}"\n')
    term = Terminal("init", str(folder), "--answers", str(advanced))

    term.answer("Language / Langue [en]: ")
    term.answer("Programme file [programme.yaml]: ")
    term.expect("Pick every tool the programme should appear in")
    term.answer("The collective's tools (numbers separated by spaces): ", "2 3 4 5 9")
    # CalDAV: the server's address, not a calendar's; a wrong password first.
    term.expect("Your CalDAV server's address")
    term.answer("Calendar server address: ", radicale.base_url)
    term.answer("Login: ", radicale.username)
    term.answer("Password: ", "wrong-password")
    term.expect("Answer refused: ")
    term.expect("401")
    term.answer(f"Calendar server address [{radicale.base_url}]: ")
    term.answer(f"Login [{radicale.username}]: ")
    term.answer("Password: ", radicale.password)
    term.expect("a new calendar to create")
    term.answer("Programme calendar [assemblee-communs-2021]: ", names.calendar)
    term.expect("created")
    # Etherpad
    term.answer("Etherpad address: ", etherpad_server.url)
    term.answer("API key: ", etherpad_server.api_key)
    term.answer("Programme pad name [assemblee-communs-2021]: ", names.pad)
    term.expect("will be created and filled at the first sync")
    # WordPress: the link to the page where an application password is made
    term.answer("WordPress site address: ", wordpress_site.url)
    term.answer("WordPress login: ", wordpress_site.admin.username)
    term.expect("/wp-admin/profile.php#application-passwords-section")
    term.answer("Application password: ", wordpress_site.admin.app_password)
    term.answer("Programme page slug [programme]: ", names.page)
    # Telegram: the token, then the group found from its /start
    term.expect("@BotFather")
    term.answer("Bot token: ", telegram.token)
    term.expect("Add @commons_hub_bot to your group")
    term.answer("Press Enter once /start is written [ok]: ")
    term.expect("Assemblée des communs (supergroup)")
    term.answer("Groups to announce in (numbers) [1]: ")
    term.expect("Ann (@ann)")
    term.answer("Who may command the bot (/sync, /annonce)? [1]: ")
    term.answer("Exports folder [public]: ")
    code, shown = term.finish()

    assert code == 0, shown
    assert f"({term.prompts} questions, {term.typed} characters typed)" in shown, shown
    for secret in (radicale.password, etherpad_server.api_key, wordpress_site.admin.app_password, telegram.token):
        assert secret not in shown  # hidden input is not echoed, and nothing prints it
    assert "Traceback" not in shown and "✗" not in shown  # every line of the wizard's hub check passed
    config = tomllib.loads((folder / "hub.toml").read_text(encoding="utf-8"))
    assert config["connectors"]["telegram"]["admins"] == [ORGANISER]
    assert config["connectors"]["telegram"]["chats"] == [GROUP]
    print(f"reference set-up: {term.prompts} questions, {term.typed} characters typed")
