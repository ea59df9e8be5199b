"""The organisers' page, driven in a real headless Chromium over a running ``hub daemon``.

In order (the tests share the daemon and the browser): a link is given by the bot only to an
admin in private; forged, expired and reused links are refused; the admin signs in with the
bot's link; a pad vandalised by a person is held, shown field by field and rejected from the
page, and the real Etherpad holds the programme again; a calendar edit is reverted from the
history and the real Radicale holds the old time again; forms without the session's CSRF token
are refused; the admin signs out. Each page is photographed on a phone (390x844) and a desktop
(1280x800) window.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bots.signin import SignInLinks, admin_url
from sync.state import StateStore
from tests.admin.conftest import ADMIN, GROUP, STRANGER, World
from tests.caldav.conftest import CalDAVServer
from tests.caldav.person import Person as CalendarPerson
from tests.etherpad.conftest import EtherpadServer
from tests.etherpad.conftest import Person as PadPerson
from tests.etherpad.test_review import vandalise

pytestmark = [pytest.mark.peer("etherpad"), pytest.mark.peer("chromium")]

LINK = re.compile(r"https?://\S+/admin/login\?token=[\w-]+")
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
STATE: dict[str, Any] = {}


def wait(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    start = time.monotonic()
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def store(world: World) -> StateStore:
    return StateStore.open(f"sqlite:///{world.folder / 'state' / 'hub.db'}")


def ask_link(world: World, chat: int, user: int, command: str = "/connexion") -> str:
    """Send ``command`` to the bot from ``user`` in ``chat``; the bot's answer."""
    before = len(world.telegram.messages(chat))
    world.telegram.inject_message(chat, command, user_id=user)
    sent = wait(lambda: world.telegram.messages(chat)[before:], 15, "the bot's answer")
    return str(sent[-1].text)


def photograph(driver: Any, shots: Path, name: str) -> None:
    """The page on a phone-sized and a desktop-sized screen (the viewport exactly)."""
    for size, (width, height) in SIZES.items():
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": size == "phone"})
        driver.save_screenshot(str(shots / f"{name}-{size}.png"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def click(driver: Any, element_id: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, element_id).click()


def text_of(driver: Any) -> str:
    """The page's text, once the page a click led to is loaded."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    for _ in range(50):
        try:
            if driver.execute_script("return document.readyState") == "complete":
                return str(driver.find_element(By.TAG_NAME, "body").text)
        except (StaleElementReferenceException, NoSuchElementException):
            pass
        time.sleep(0.1)
    raise AssertionError("the page did not load")


def shows(driver: Any, text: str, what: str, timeout: float = 10) -> None:
    wait(lambda: text in text_of(driver), timeout, what)


def test_the_bot_gives_a_link_only_to_an_admin_in_private(world: World) -> None:
    refused = ask_link(world, STRANGER, STRANGER)
    assert "réservée aux organisateurs" in refused and not LINK.search(refused)
    in_group = ask_link(world, GROUP, ADMIN)
    assert "message privé" in in_group and not LINK.search(in_group)
    answer = ask_link(world, ADMIN, ADMIN)
    found = LINK.search(answer)
    assert found and "10 minutes" in answer, answer
    STATE["link"] = found.group(0)
    assert found.group(0).startswith(world.daemon.url + "/admin/login?token=")
    english = ask_link(world, ADMIN, ADMIN, "/login")
    assert "valid for 10 minutes and once only" in english and LINK.search(english)
    db = store(world)
    try:
        stored = str(db.get_meta("admin.links"))
    finally:
        db.close()
    assert found.group(0).rsplit("=", 1)[1] not in stored, "only the token's hash is kept"


def test_forged_and_expired_links_are_refused(world: World, browser: Any, shots: Path) -> None:
    driver = browser
    driver.get(world.daemon.url + "/admin/login?token=" + "forged" * 7)
    click(driver, "signin")
    shows(driver, "Ce lien n'est pas valable", "the forged link's refusal")
    assert driver.get_cookie("hub_admin") is None

    db = store(world)
    try:
        stale = SignInLinks(db, admin_url(f"127.0.0.1:{world.daemon.port}", None), clock=lambda: time.time() - 601)
        expired = stale.issue(f"telegram:{ADMIN}")
    finally:
        db.close()
    driver.get(expired)
    photograph(driver, shots, "sign-in")
    click(driver, "signin")
    shows(driver, "Ce lien n'est pas valable", "the expired link's refusal")
    assert driver.get_cookie("hub_admin") is None
    anonymous = world.daemon.http.get("/admin/")
    assert anonymous.status_code == 401 and "Connectez-vous" in anonymous.text


def test_the_admin_signs_in_with_the_bots_link_once(world: World, browser: Any, shots: Path) -> None:
    driver = browser
    driver.get(STATE["link"])
    click(driver, "signin")
    wait(lambda: "État du hub" in text_of(driver), 10, "the status page")
    cookie = driver.get_cookie("hub_admin")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    STATE["cookie"] = cookie["value"]
    page = text_of(driver)
    for name in ("calendar", "pad", "exports", "telegram"):
        assert name in page
    assert "fermé" in page, "every breaker is closed"
    assert f"Connecté : telegram:{ADMIN}" in page
    photograph(driver, shots, "status")

    token = STATE["link"].rsplit("=", 1)[1]
    again = world.daemon.http.post("/admin/login", data={"token": token})
    assert again.status_code == 403 and "hub_admin" not in again.headers.get("set-cookie", ""), "used once only"

    db = store(world)
    try:
        link = SignInLinks(db, admin_url(f"127.0.0.1:{world.daemon.port}", None)).issue(f"telegram:{ADMIN}")
    finally:
        db.close()
    behind_tls = world.daemon.http.post("/admin/login", data={"token": link.rsplit("=", 1)[1]},
                                        headers={"X-Forwarded-Proto": "https"})
    cookie = behind_tls.headers["set-cookie"].lower()
    assert behind_tls.status_code == 303 and "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_an_in_doubt_message_is_marked_sent_and_a_failed_one_sent_again(
    world: World, browser: Any, shots: Path,
) -> None:
    driver = browser
    db = store(world)
    try:
        with db.transaction() as conn:
            db.enqueue(conn, idem_key=f"doubt-{time.time()}", connector="telegram", target=str(GROUP), op="post",
                       key="accueil-cafe", payload=None, supersede=False, state="in_doubt",
                       error="DeliveryUnknown: the connection broke after the message was sent")
            db.enqueue(conn, idem_key=f"failed-{time.time()}", connector="telegram", target=str(GROUP),
                       op="notice", key="organisers-note", supersede=False, state="failed",
                       payload={"texts": {"fr": "Note des organisateurs", "en": "Organisers' note"}},
                       error="ConnectorError: 502 Bad Gateway")
        doubt, failed = (e.id for e in db.outbox_entries(states=("in_doubt", "failed")))
    finally:
        db.close()

    def state_of(entry: int) -> str:
        db = store(world)
        try:
            return next(e.state for e in db.outbox_entries(states=("pending", "sending", "failed", "in_doubt",
                                                                    "done")) if e.id == entry)
        finally:
            db.close()

    driver.get(world.daemon.url + "/admin/")
    page = text_of(driver)
    assert "incertain" in page and "502 Bad Gateway" in page
    photograph(driver, shots, "status")
    with pytest.raises(Exception, match="no such element"):
        click(driver, f"retry-{doubt}")  # a message in doubt is never sent again blindly

    before = len(world.telegram.messages(GROUP))
    click(driver, f"retry-{failed}")
    shows(driver, f"Envoi n°{failed} remis en file", "the retry")
    wait(lambda: any("Note des organisateurs" in str(m.text) for m in world.telegram.messages(GROUP)[before:]), 20,
         "the message sent again")
    wait(lambda: state_of(failed) == "done", 10, "the entry done")

    click(driver, f"sent-{doubt}")
    shows(driver, f"Envoi n°{doubt} marqué comme envoyé", "the mark as sent")
    assert state_of(doubt) == "done"
    log = world.daemon.messages()
    assert f"page des organisateurs : telegram:{ADMIN} a marqué l'envoi {doubt} comme envoyé" in log


def test_a_vandalised_pad_is_held_then_rejected_from_the_page(
    world: World, browser: Any, shots: Path, etherpad_server: EtherpadServer,
) -> None:
    driver = browser
    person = PadPerson(etherpad_server)
    try:
        original = person.text(world.pad)
        person.write(world.pad, vandalise(original))

        def held() -> bool:
            db = store(world)
            try:
                return bool(db.held_batches(("open",)))
            finally:
                db.close()

        wait(held, 30, "the held batch")
        driver.get(world.daemon.url + "/admin/held")
        page = text_of(driver)
        assert "Lot n°1 · pad" in page and "en attente" in page
        assert "Culture juridique" in page and "<b>spam</b> Rejoignez t.me/spamspam" in page
        photograph(driver, shots, "held")
        click(driver, "reject-1")
        wait(lambda: "Lot n°1 refusé" in text_of(driver), 30, "the rejection")
        assert person.text(world.pad).rstrip("\n") == original.rstrip("\n"), "the pad holds the programme again"
    finally:
        person.close()
    log = world.daemon.messages()
    assert f"page des organisateurs : telegram:{ADMIN} a refusé le lot 1" in log


def test_a_calendar_edit_is_reverted_from_the_history(
    world: World, browser: Any, shots: Path, radicale: CalDAVServer,
) -> None:
    driver = browser
    person = CalendarPerson(radicale, world.calendar)
    before = person.event("restitution").decoded("dtstart")
    person.move("restitution", 1)

    def run() -> int | None:
        db = store(world)
        try:
            rows = [r for r in db.history(session="restitution") if r.origin == "calendar" and r.field == "start"]
        finally:
            db.close()
        return rows[-1].sync if rows else None

    number = wait(run, 30, "the calendar's edit in the history")
    driver.get(world.daemon.url + "/admin/history")
    page = text_of(driver)
    assert f"Synchronisation n°{number}" in page and "la restitution" in page
    photograph(driver, shots, "history")

    cookies = {"hub_admin": STATE["cookie"]}
    for form in ({}, {"csrf": "0" * 64}):
        refused = httpx.post(f"{world.daemon.url}/admin/history/{number}/revert", data=form, cookies=cookies)
        assert refused.status_code == 403 and "Formulaire refusé" in refused.text
    assert person.event("restitution").decoded("dtstart") != before, "nothing was reverted"

    click(driver, f"revert-{number}")
    wait(lambda: f"Synchronisation n°{number} annulée" in text_of(driver), 30, "the revert")
    assert person.event("restitution").decoded("dtstart") == before, "the calendar holds the old time again"


def test_the_programme_page_and_the_language_switch(world: World, browser: Any, shots: Path) -> None:
    driver = browser
    driver.get(world.daemon.url + "/admin/programme")
    page = text_of(driver)
    assert "programme.ics" in page and "la restitution" in page
    photograph(driver, shots, "programme")
    driver.find_element("link text", "English").click()
    wait(lambda: "Public exports:" in text_of(driver), 10, "the English page")
    driver.get(world.daemon.url + "/admin/")
    assert "Hub status" in text_of(driver)
    driver.find_element("link text", "Français").click()
    wait(lambda: "État du hub" in text_of(driver), 10, "the French page")


def test_the_admin_signs_out(world: World, browser: Any) -> None:
    driver = browser
    cookies = {"hub_admin": STATE["cookie"]}
    kept = httpx.post(f"{world.daemon.url}/admin/logout", data={}, cookies=cookies)
    assert kept.status_code == 403, "sign-out needs the CSRF token too"
    driver.get(world.daemon.url + "/admin/")
    click(driver, "signout")
    wait(lambda: "Vous êtes déconnecté" in text_of(driver), 10, "the sign-out")
    assert driver.get_cookie("hub_admin") is None
    assert httpx.get(f"{world.daemon.url}/admin/", cookies=cookies).status_code == 401, "the session is closed"


def test_no_page_shows_a_secret(world: World, radicale: CalDAVServer, etherpad_server: EtherpadServer) -> None:
    db = store(world)
    try:
        link = SignInLinks(db, admin_url(f"127.0.0.1:{world.daemon.port}", None)).issue(f"telegram:{ADMIN}")
        with db.transaction() as conn:  # an error that quotes the request, token and all
            db.enqueue(conn, idem_key=f"leak-{time.time()}", connector="telegram", target=str(GROUP), op="post",
                       key="x", payload=None, supersede=False, state="failed",
                       error=f"401 from {world.telegram.url}/bot{world.telegram.token}/sendMessage")
    finally:
        db.close()
    with httpx.Client(base_url=world.daemon.url) as client:
        assert client.post("/admin/login", data={"token": link.rsplit("=", 1)[1]}).status_code == 303
        secrets = (world.telegram.token, radicale.password, etherpad_server.api_key)
        for path in ("/admin/", "/admin/held", "/admin/history", "/admin/programme", "/admin/nowhere"):
            page = client.get(path).text
            assert "<html" in page
            assert not [s for s in secrets if s in page], path
        assert "/sendMessage" in client.get("/admin/").text, "the error is shown, masked"
