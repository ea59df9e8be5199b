"""Each connector's server in turn goes wrong while ``hub sync`` runs beside real Radicale,
Etherpad and WordPress and the Telegram and Signal fakes: it answers 500, never answers (the
section's ``timeout`` decides), refuses connections, closes the connection half way through its
answer, answers 200 with a body that is neither JSON nor XML, or rate limits with a
``retry_after`` of two hours.

Each time the run exits 1 and ``--json`` names the failed connector, every other sink is
complete, and the run does not sleep on the server's pause; once the server is back (and, for a
rate limit, once its pause is over, or the breaker a CAPTCHA opened is reset) the next run
fills the failed sink, and the run after that writes nothing. A connection cut after a chat
message was sent may leave that message flagged ``in_doubt``, never resent silently.

A faulty server is a :class:`~tests.fakes.faulty_proxy.FaultyProxy` in front of the real one.
CI runs each connector with one fault and each fault at least once; ``HUB_LONG_TESTS=1`` runs
the whole matrix.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.conftest import LONG
from tests.fakes.faulty_proxy import FaultyProxy
from tests.reliability.world import Peers, Runner, World, check_converged

pytestmark = [pytest.mark.peer("radicale"), pytest.mark.peer("etherpad"), pytest.mark.peer("wordpress")]

CONNECTORS = ("calendar", "pad", "site", "telegram", "signal")
FAULTS = ("500", "timeout", "refused", "close", "garbage", "429")
#: CI: every connector, every fault, in eight runs (a chat's answer cut after the post went out too).
SAMPLE = [("calendar", "timeout"), ("pad", "close"), ("site", "garbage"), ("telegram", "429"),
          ("signal", "429"), ("signal", "close"), ("calendar", "refused"), ("site", "500")]
CASES = [(c, f) for c in CONNECTORS for f in FAULTS] if LONG else SAMPLE
#: The faulty section's own timeout (seconds): what "never answers" costs.
TIMEOUT = 2
#: Two hours: a pause no run may sleep through.
PAUSE = 7200
#: A faulty run ends well within this (the pause above is not slept, the hang is cut).
RUN_LIMIT = 60.0


def upstream(peers: Peers, name: str) -> str:
    return {
        "calendar": peers.radicale.base_url,
        "pad": peers.etherpad.url,
        "site": peers.wordpress.url,
        "telegram": peers.telegram.url,
        "signal": peers.signal.url,
    }[name]


def rate_limit(proxy: FaultyProxy, name: str) -> None:
    """A 429 as each platform sends it, asking for a two-hour pause."""
    if name == "telegram":
        body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {PAUSE}",
                "parameters": {"retry_after": PAUSE}}
        proxy.break_down("status", status=429, headers={"Content-Type": "application/json"},
                         body=json.dumps(body).encode())
    elif name == "signal":
        body = {"error": "Failed to send message due to rate limiting. Use the attached challenge tokens to "
                         "lift the rate limit restrictions via the '/v1/accounts/{number}/rate-limit-challenge' "
                         "endpoint.", "challenge_tokens": ["b3a5c0f8-challenge-token"]}
        proxy.break_down("status", status=429, headers={"Content-Type": "application/json"},
                         body=json.dumps(body).encode())
    else:
        proxy.break_down("status", status=429, headers={"Retry-After": str(PAUSE)}, body=b"Too Many Requests")


def pause_over(world: World) -> None:
    """Two hours later: what the server asked to wait is behind us (the outbox's due times)."""
    with contextlib.closing(sqlite3.connect(world.folder / "state" / "hub.db")) as db:
        db.execute("UPDATE outbox SET next_at = 0 WHERE state = 'pending'")
        db.commit()


@pytest.mark.parametrize(("name", "fault"), CASES, ids=[f"{c}-{f}" for c, f in CASES])
def test_one_faulty_server_holds_up_only_its_own_sink(
    tmp_path: Path, hub_peers: Peers, hub_runner: Runner, name: str, fault: str
) -> None:
    peers, runner = hub_peers, hub_runner
    proxy = FaultyProxy(upstream(peers, name))
    world = World(tmp_path, peers, runner=runner, urls={name: proxy.url},
                  sections={name: f"timeout = {TIMEOUT}"})
    with contextlib.ExitStack() as stack:
        if fault != "refused":
            stack.enter_context(proxy.running())
        if fault == "500":
            proxy.break_down("status", status=500)
        elif fault == "429":
            rate_limit(proxy, name)
        elif fault in ("timeout", "close", "garbage"):
            proxy.break_down({"timeout": "hang"}.get(fault, fault))

        started = time.monotonic()
        code, report, err = world.sync()
        took = time.monotonic() - started
        assert report is not None, err[-3000:]
        assert code == 1, f"exit {code}: {report['connectors']}"
        assert took < RUN_LIMIT, f"the run took {took:.0f} s"
        assert "Traceback" not in err, f"a faulty server is said in a sentence, not a traceback:\n{err[-3000:]}"
        failed = report["connectors"][name]
        assert failed.get("error") or failed.get("failed") or failed.get("in_doubt"), failed
        for other, figures in report["connectors"].items():
            if other not in (name, "programme"):
                assert not figures.get("error") and not figures.get("failed"), f"{other}: {figures}"
        check_converged(world, moved=False, skip={name})

        if fault == "refused":
            stack.enter_context(proxy.running())
        proxy.repair()
        if fault == "429":
            if name == "signal":
                # A CAPTCHA: the breaker stays open, the next runs leave Signal alone until reset.
                assert "hub connector reset signal" in (failed.get("error") or "")
                seen = len(proxy.seen)
                code, held, err = world.sync()
                assert code == 1 and held is not None, err[-3000:]
                assert "held" in (held["connectors"]["signal"].get("error") or "")
                assert len(proxy.seen) == seen, "a held connector sends nothing"
                reset, out, err = runner(["connector", "reset", "signal", "--config", str(world.config)], {})
                assert reset == 0, out + err
            else:
                pause_over(world)

        code, report, err = world.sync()
        assert report is not None, err[-3000:]
        doubted = any(f.get("in_doubt") for f in report["connectors"].values())
        assert code == (1 if doubted else 0), f"exit {code}: {report['connectors']}"
        status = check_converged(world, moved=False)
        assert status["outbox"].get(name, {}).get("pending", 0) == 0, status["outbox"]

        code, report, err = world.sync()
        assert code == 0 and report is not None, err[-3000:]
        for other, figures in report["connectors"].items():
            wrote = {k: figures.get(k, 0) for k in ("created", "updated", "deleted", "failed", "sent", "in_doubt")}
            assert not any(wrote.values()), f"{other} still written: {wrote}"
