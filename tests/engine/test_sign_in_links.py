"""One-time sign-in links stay one-time when several processes share the state store."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bots.signin import LINKS, SignInLinks, token_hash
from sync.state import StateStore

BASE = "http://127.0.0.1:8765/admin/"


def _token(link: str) -> str:
    return link.rsplit("token=", 1)[1]


def test_racing_requests_redeem_a_link_once(database_url: str) -> None:
    stores = [StateStore.open(database_url) for _ in range(4)]
    try:
        token = _token(SignInLinks(stores[0], BASE).issue("telegram:4242"))
        barrier = threading.Barrier(len(stores))

        def redeem(store: StateStore) -> str | None:
            barrier.wait()
            try:
                return SignInLinks(store, BASE).redeem(token)
            except Exception:  # SQLite refuses the second writer's stale write: not a sign-in either
                return None

        with ThreadPoolExecutor(len(stores)) as pool:
            results = list(pool.map(redeem, stores))
        assert results.count("telegram:4242") == 1, results
        assert SignInLinks(stores[0], BASE).redeem(token) is None
    finally:
        for store in stores:
            store.close()


def test_a_link_given_out_during_a_redeem_does_not_bring_the_used_one_back(postgres_url: str) -> None:
    giver, page = StateStore.open(postgres_url), StateStore.open(postgres_url)
    try:
        used = _token(SignInLinks(giver, BASE).issue("telegram:1"))
        outcome: list[str | None] = []
        with giver.transaction() as conn:
            # The bot's process has read the list to add a link when the page comes to redeem.
            links = giver.get_meta(LINKS, {}, conn=conn, for_update=True)
            redeeming = threading.Thread(target=lambda: outcome.append(SignInLinks(page, BASE).redeem(used)))
            redeeming.start()
            time.sleep(0.5)
            assert redeeming.is_alive(), "the redeem must wait for the list being written"
            links[token_hash("another")] = {"who": "telegram:2", "expires": time.time() + 600}
            giver.set_meta(conn, LINKS, links)
        redeeming.join(10)
        assert outcome == ["telegram:1"]
        kept = giver.get_meta(LINKS, {})
        assert token_hash(used) not in kept
        assert token_hash("another") in kept, "the link given out meanwhile is kept"
        assert SignInLinks(page, BASE).redeem(used) is None
    finally:
        giver.close()
        page.close()
