"""``hub daemon`` stops and restarts without losing or repeating anything, and reloads its
configuration on SIGHUP only when the new one is valid.

SIGTERM arrives while the daemon's sync is sending a chat message (the Telegram fake holds the
answer back): the daemon gives the sync its stop timeout, abandons it, exits 0 within 10 s; the
next start settles the outbox (the message whose fate is unknown is flagged, never sent twice)
and finishes the work on every sink.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.caldav.conftest import CalDAVServer
from tests.daemon.conftest import CHAT, DaemonProcess
from tests.daemon.test_daemon import calendar_has, ics_event, metric_values, pad_text
from tests.etherpad.conftest import EtherpadServer
from tests.fakes.loopback import free_port
from tests.fakes.telegram import FakeTelegram
from tests.helpers import edit_programme


def test_sighup_keeps_the_old_configuration_when_the_new_one_is_bad(
    world: tuple[DaemonProcess, dict[str, str]],
) -> None:
    daemon, _ = world
    good = daemon.config.read_text(encoding="utf-8")
    daemon.config.write_text(good.replace("probe_interval = 0.5", "probe_intervall = 0.5"), encoding="utf-8")
    daemon.signal(signal.SIGHUP)
    daemon.wait_for(lambda: any(m.startswith("nouvelle configuration refusée") for m in daemon.messages()), 10,
                    "the refusal")
    refusal = next(m for m in daemon.messages() if m.startswith("nouvelle configuration refusée"))
    assert "probe_intervall" in refusal and "probe_interval" in refusal
    assert daemon.http.get("/healthz").status_code == 200
    assert daemon.proc is not None and daemon.proc.poll() is None

    daemon.config.write_text(good.replace("probe_interval = 0.5", "probe_interval = 0.4"), encoding="utf-8")
    before = daemon.syncs()
    daemon.signal(signal.SIGHUP)
    daemon.wait_for(lambda: "configuration relue" in daemon.messages(), 10, "the reload")
    daemon.wait_for(lambda: daemon.syncs() > before, 30, "a sync on the new configuration")
    daemon.config.write_text(good, encoding="utf-8")


def test_sighup_with_a_new_listen_address_says_it_keeps_the_old_one_until_a_restart(
    world: tuple[DaemonProcess, dict[str, str]],
) -> None:
    daemon, _ = world
    good = daemon.config.read_text(encoding="utf-8")
    old, new = f"127.0.0.1:{daemon.port}", f"127.0.0.1:{free_port()}"
    daemon.config.write_text(good.replace(f'listen = "{old}"', f'listen = "{new}"'), encoding="utf-8")
    reloads = daemon.messages().count("configuration relue")
    try:
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(lambda: daemon.messages().count("configuration relue") > reloads, 10, "the reload")
        said = [e for e in daemon.logs() if e["message"].startswith("[daemon] listen")]
        assert said and said[-1]["level"] == "ATTENTION"  # WARNING, in the configuration's language
        assert said[-1]["message"] == (f"[daemon] listen changé en {new} : le démon reste à l'écoute sur {old} "
                                       "jusqu'à son redémarrage")
        assert daemon.http.get("/healthz").status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://{new}/healthz", timeout=2)
    finally:
        daemon.config.write_text(good, encoding="utf-8")
    daemon.signal(signal.SIGHUP)
    daemon.wait_for(lambda: daemon.messages().count("configuration relue") > reloads + 1, 10, "the reload back")


def test_sigterm_during_a_sync_loses_nothing_and_the_next_start_finishes_the_work(
    world: tuple[DaemonProcess, dict[str, str]], radicale: CalDAVServer,
    etherpad_server: EtherpadServer, telegram: FakeTelegram,
) -> None:
    daemon, names = world
    folder: Path = daemon.config.parent
    sent = len(telegram.sends(CHAT))
    telegram.rearm()  # a hold of the earlier module was released
    held = telegram.hold("sendMessage", chat_id=CHAT)
    edit_programme(folder, "accueil-meteo", start="2021-11-12T09:15")
    assert held.wait(30), "the daemon's sync is sending the announcement"

    code, took = daemon.stop()
    assert code == 0 and took < 10, f"exit {code} after {took:.1f} s"
    assert any("abandonnée" in m for m in daemon.messages()), daemon.log_text()[-3000:]
    telegram.release()  # the message went out; the daemon never heard its id

    daemon.start()
    folder_ics = ics_event(folder, "accueil-meteo")
    assert "DTSTART;TZID=Europe/Paris:20211112T091500" in folder_ics
    assert calendar_has(radicale, names["calendar"], "accueil-meteo", "20211112T091500")
    line = next(x for x in pad_text(etherpad_server, names["pad"]).splitlines() if "[#accueil-meteo]" in x)
    assert line.strip().startswith("09:15")
    values = metric_values(daemon)
    for name in ("calendar", "pad", "site", "telegram", "exports"):
        assert values.get(("hub_outbox_depth", (("connector", name),)), 0) == 0, name
    assert values.get(("hub_outbox_in_doubt", (("connector", "telegram"),)), 0) <= 1
    announced = [c for c in telegram.sends(CHAT)[sent:] if "Accueil et météo" in str(c.params.get("text"))]
    assert len(announced) == 1, "the announcement whose fate was unknown is not sent again"

    time.sleep(1.0)  # probes over a settled world change nothing
    settled = daemon.syncs()
    time.sleep(1.0)
    assert daemon.syncs() == settled
    code, took = daemon.stop()
    assert code == 0 and took < 10
