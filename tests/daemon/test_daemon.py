"""``hub daemon`` keeps every channel current by itself: one daemon, started as a real child
process, beside real Radicale, Etherpad and WordPress servers and the Telegram fake.

What it proves, in order (the tests share the daemon and run in file order): a change to the
programme file reaches every sink at once; a hand edit in the pad is found by the probe, which
costs one request per source when nothing changed; the trigger webhook refuses a bad token and
runs a sync for a good one; the bot answers in the chat; /metrics parses with
prometheus-client's own parser; a ``hub sync`` run by hand while the daemon's sync writes waits
for it and applies nothing a second time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.caldav.conftest import CalDAVServer
from tests.daemon.conftest import CHAT, TRIGGER, DaemonProcess
from tests.etherpad.conftest import EtherpadServer, Person
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REPO, edit_programme
from tests.wordpress.site import Site


def ics_event(folder: Path, session: str) -> str:
    ics = (folder / "public" / "programme.ics").read_text(encoding="utf-8")
    return next(e for e in ics.split("BEGIN:VEVENT")[1:] if f"X-HUB-ID:{session}" in e)


def calendar_has(caldav: CalDAVServer, url: str, session: str, stamp: str) -> bool:
    from caldav.davclient import DAVClient

    client = DAVClient(url=url, username=caldav.username, password=caldav.password, ssl_verify_cert=caldav.verify)
    for event in client.calendar(url=url).events():
        data = str(event.data)
        if f"X-HUB-ID:{session}" in data:
            return stamp in data
    return False


def pad_text(pad: EtherpadServer, pad_id: str) -> str:
    answer = httpx.get(f"{pad.api}/getText", params={"apikey": pad.api_key, "padID": pad_id}, timeout=30).json()
    text: str = answer["data"]["text"]
    return text


def page_content(site: Site, page: str) -> str:
    auth = (site.admin.username, site.admin.app_password)
    pages = httpx.get(f"{site.rest}/pages", params={"slug": page, "context": "edit"}, auth=auth, timeout=30).json()
    return str(pages[0]["content"]["raw"]) if pages else ""


def metric_values(daemon: DaemonProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = daemon.http.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    values = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def test_a_programme_file_change_is_on_every_sink_within_one_probe_interval(
    world: tuple[DaemonProcess, dict[str, str]], radicale: CalDAVServer,
    etherpad_server: EtherpadServer, wordpress_site: Site, telegram: FakeTelegram,
) -> None:
    daemon, names = world
    folder = daemon.config.parent
    assert daemon.ready()["connectors"]["calendar"] == {"breaker": "closed"}
    sent = len(telegram.messages(CHAT))
    before = daemon.syncs()
    edit_programme(folder, "restitution", start="2021-11-12T16:00")
    written = time.monotonic()

    # The file is looked at every 0.2 s: the sync starts within that, and ends with every sink written.
    daemon.wait_for(lambda: daemon.syncs() > before, 30, "a sync after the file changed")
    took = time.monotonic() - written
    assert "DTSTART;TZID=Europe/Paris:20211112T160000" in ics_event(folder, "restitution")
    assert calendar_has(radicale, names["calendar"], "restitution", "20211112T160000")
    assert "16:00" in next(line for line in pad_text(etherpad_server, names["pad"]).splitlines()
                           if "[#restitution]" in line)
    assert "16:00" in page_content(wordpress_site, names["page"]) or "16 h" in page_content(wordpress_site,
                                                                                           names["page"])
    assert any("16" in m.text for m in telegram.messages(CHAT)[sent:]), "the change announced in the chat"
    started = [e for e in daemon.logs() if e["message"].startswith("synchronisation") and "commencée" in e["message"]]
    assert "(programme file)" in started[-1]["message"] and started[-1]["sync"] == before + 1
    assert took < 15, f"{took:.1f} s from the file's change to the last sink"


def test_a_pad_edit_is_found_by_the_probe_which_costs_one_request_per_source(
    world: tuple[DaemonProcess, dict[str, str]], etherpad_server: EtherpadServer,
) -> None:
    daemon, names = world
    folder = daemon.config.parent
    quiet = metric_values(daemon)
    time.sleep(1.5)  # three probe intervals with nothing changed
    later = metric_values(daemon)
    for name in ("calendar", "pad", "site"):
        probe_key = ("hub_probes_total", (("connector", name),))
        request_key = ("hub_requests_total", (("by", "probe"), ("connector", name)))
        probes = later[probe_key] - quiet[probe_key]
        requests = later[request_key] - quiet[request_key]
        assert probes >= 1 and requests == probes, f"{name}: {requests} requests for {probes} probes"

    person = Person(etherpad_server)
    try:
        before = daemon.syncs()
        person.replace(names["pad"], "14:00-16:30 Culture juridique", "15:00-17:30 Culture juridique")
        daemon.wait_for(lambda: daemon.syncs() > before, 20, "a sync after the pad's edit")
    finally:
        person.close()
    assert "DTSTART;TZID=Europe/Paris:20211113T150000" in ics_event(folder, "atelier-culture-juridique")
    assert any(e["message"] == "[pad] changement trouvé par le sondage" and e.get("connector") == "pad"
               for e in daemon.logs())


def test_the_trigger_webhook_refuses_a_bad_token_and_syncs_for_a_good_one(
    world: tuple[DaemonProcess, dict[str, str]],
) -> None:
    daemon, _ = world
    http = daemon.http
    assert http.post("/webhooks/trigger").status_code == 403
    assert http.post("/webhooks/trigger", headers={"X-Hub-Token": TRIGGER + "x"}).status_code == 403
    assert http.post("/webhooks/trigger", params={"token": TRIGGER[:-1]}).status_code == 403
    assert http.get("/webhooks/trigger").status_code == 405
    before = daemon.syncs()
    answer = http.post("/webhooks/trigger", headers={"Authorization": f"Bearer {TRIGGER}"})
    assert answer.status_code == 202 and answer.json() == {"queued": True}
    daemon.wait_for(lambda: daemon.syncs() > before, 20, "the triggered sync")
    assert http.post("/webhooks/trigger", params={"token": TRIGGER}).status_code == 202
    assert TRIGGER not in daemon.log_text()
    assert "(trigger)" in " ".join(daemon.messages())


def test_the_bot_answers_in_the_chat(world: tuple[DaemonProcess, dict[str, str]], telegram: FakeTelegram) -> None:
    daemon, _ = world
    sent = len(telegram.messages(CHAT))
    telegram.inject_message(CHAT, "/programme@commons_hub_bot")
    daemon.wait_for(lambda: len(telegram.messages(CHAT)) > sent, 20, "the bot's answer")
    daemon.wait_for(lambda: metric_values(daemon).get(("hub_bot_questions_total", (("channel", "telegram"),)), 0)
                    >= 1, 5, "the question counted")


def test_metrics_and_readiness_say_the_state_of_every_connector(world: tuple[DaemonProcess, dict[str, str]]) -> None:
    daemon, _ = world
    values = metric_values(daemon)
    assert values[("hub_syncs_total", (("result", "ok"),))] >= 3
    assert values[("hub_sync_duration_seconds_count", ())] >= 3
    for name in ("calendar", "pad", "site", "telegram", "exports"):
        assert values[("hub_outbox_depth", (("connector", name),))] == 0
        assert values[("hub_breaker_open", (("connector", name),))] == 0
        assert values[("hub_last_success_timestamp_seconds", (("connector", name),))] > time.time() - 600
    assert values[("hub_held_batches", ())] == 0
    assert values[("hub_webhooks_total", (("kind", "trigger"), ("status", "403")))] == 3
    ready = daemon.ready()
    assert ready["store"] == "ok" and set(ready["connectors"]) == {"exports", "calendar", "pad", "site", "telegram"}
    assert daemon.http.get("/healthz").json() == {"status": "alive"}


def test_the_exports_are_served_with_caching_headers(world: tuple[DaemonProcess, dict[str, str]]) -> None:
    daemon, _ = world
    folder = daemon.config.parent
    answer = daemon.http.get("/public/programme.ics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    assert answer.content == (folder / "public" / "programme.ics").read_bytes()
    etag, modified = answer.headers["etag"], answer.headers["last-modified"]
    assert daemon.http.get("/public/programme.ics", headers={"If-None-Match": etag}).status_code == 304
    assert daemon.http.get("/public/programme.ics", headers={"If-Modified-Since": modified}).status_code == 304
    assert daemon.http.get("/public/../secrets/trigger").status_code == 404


def test_a_hand_run_sync_during_the_daemons_sync_waits_and_applies_nothing_twice(
    world: tuple[DaemonProcess, dict[str, str]], telegram: FakeTelegram,
) -> None:
    daemon, _ = world
    folder = daemon.config.parent
    sent = len(telegram.sends(CHAT))
    held = telegram.hold("sendMessage", chat_id=CHAT)
    edit_programme(folder, "accueil-meteo", start="2021-11-12T09:30")
    assert held.wait(30), "the daemon's announcement is being sent"  # the daemon holds the writer lock now
    result: dict[str, Any] = {}

    def by_hand() -> None:
        result["run"] = subprocess.run(
            [sys.executable, "-m", "hub", "sync", "--json", "--config", str(daemon.config)],
            capture_output=True, text=True, cwd=REPO, timeout=120,
        )

    thread = threading.Thread(target=by_hand)
    thread.start()
    time.sleep(2.0)
    assert thread.is_alive(), "the hand-run sync waits for the daemon's"
    telegram.release()
    thread.join(120)
    run = result["run"]
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    for name, figures in report["connectors"].items():
        assert (figures["created"], figures["updated"], figures["deleted"], figures["failed"]) == (0, 0, 0, 0), \
            (name, figures)
    announced = [c for c in telegram.sends(CHAT)[sent:] if "Accueil et météo" in str(c.params.get("text"))]
    assert len(announced) == 1, "announced once, by the daemon"


def test_no_secret_in_metrics_readiness_or_the_daemons_log(world: tuple[DaemonProcess, dict[str, str]]) -> None:
    """The daemon's own outputs hold none of the configured secrets, in any encoding a request
    carries them (the same scan as tests/reliability/test_secrets_scan.py)."""
    from tests.reliability.test_secrets_scan import forms

    daemon, _ = world
    folder = daemon.config.parent
    secrets_in_use = [path.read_text(encoding="utf-8").strip() for path in (folder / "secrets").iterdir()]
    said = {
        "/metrics": daemon.http.get("/metrics").text,
        "/readyz": daemon.http.get("/readyz").text,
        "/healthz": daemon.http.get("/healthz").text,
        "log": daemon.log_text(),
    }
    leaks = [(where, form) for where, text in said.items() for secret in secrets_in_use
             for form in forms(secret) if form in text]
    assert not leaks, leaks
