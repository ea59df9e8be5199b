"""Rate limits toward shared servers hold across every worker process (the buckets are rows of
the hosting database), and a collective over its own share waits in its own bucket without
slowing another collective."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from connectors.gate import host_of, wait_turn_blocking
from connectors.http import build_client
from hub.hosting.limits import Limit, Limiter, metric_lines, rate_buckets, set_limit
from hub.hosting.queue import make_app, prepare
from hub.hosting.registry import Registry, postgresql_url
from hub.hosting.web import build_app
from sync.errors import TransientError
from sync.protocol import RequestCounter
from tests.caldav.conftest import CalDAVServer, radicale
from tests.fakes.loopback import serve
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REPO, write_config
from tests.hosting.test_collective_commands import hub
from tests.hosting.world import make_collective

__all__ = ["radicale"]


class Counting:
    """A shared server that notes when each request came, and for which collective."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[float, str]] = []

    def app(self) -> Starlette:
        async def hit(request: Request) -> PlainTextResponse:
            with self.lock:
                self.seen.append((time.monotonic(), request.path_params["who"]))
            return PlainTextResponse("ok")

        return Starlette(routes=[Route("/{who}", hit)])

    def times(self, who: str | None = None) -> list[float]:
        with self.lock:
            return sorted(t for t, w in self.seen if who is None or w == who)


def busiest_second(times: list[float], seconds: float = 1.0) -> int:
    """The most requests that arrived within any one second (or ``seconds``)."""
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


#: A worker process's requests: each collective named sends from ``tasks`` tasks at once until
#: ``seconds`` have passed, or ``count`` requests ``every`` seconds apart.
WORKER = """
import asyncio, json, sys, time
from connectors.http import build_client
from hub.hosting.limits import Limiter
from sync.errors import TransientError
from sync.protocol import RequestCounter

url, base, plan = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])

async def main():
    limiter = Limiter(url)
    sent = {}
    async def flood(collective, deadline):
        with limiter.installed(collective):
            async with build_client(collective, RequestCounter(), base_url=base) as http:
                while time.monotonic() < deadline:
                    (await http.get("/" + collective)).raise_for_status()
                    sent[collective] = sent.get(collective, 0) + 1
    async def calm(collective, count, every):
        with limiter.installed(collective):
            async with build_client(collective, RequestCounter(), base_url=base) as http:
                for _ in range(count):
                    (await http.get("/" + collective)).raise_for_status()
                    sent[collective] = sent.get(collective, 0) + 1
                    await asyncio.sleep(every)
    deadline = time.monotonic() + plan["seconds"]
    jobs = []
    for collective, tasks in plan.get("flood", {}).items():
        jobs += [flood(collective, deadline) for _ in range(tasks)]
    for collective, (count, every) in plan.get("calm", {}).items():
        jobs.append(calm(collective, count, every))
    await asyncio.gather(*jobs)
    limiter.close()
    print(json.dumps(sent))

asyncio.run(main())
"""


@pytest.fixture
def server() -> Iterator[tuple[Counting, str]]:
    counting = Counting()
    with serve(counting.app()) as base:
        yield counting, base


def run_workers(url: str, base: str, plans: list[dict[str, object]]) -> list[dict[str, int]]:
    """Worker processes started together, each with its own plan; what each sent."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, base, json.dumps(plan)], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for plan in plans]
    sent = []
    for proc in procs:
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err[-3000:]
        sent.append(json.loads(out))
    return sent


def buckets(url: str) -> dict[tuple[str, str], tuple[int, float, int]]:
    engine = create_engine(postgresql_url(url))
    try:
        with engine.connect() as conn:
            return {(r.collective, r.host): (r.waits, r.waited, r.deferred)
                    for r in conn.execute(select(rate_buckets))}
    finally:
        engine.dispose()


def test_a_hosts_limit_holds_across_two_worker_processes(hosting_url: str, server: tuple[Counting, str]) -> None:
    counting, base = server
    host = host_of(base)
    engine = create_engine(postgresql_url(hosting_url))
    set_limit(engine, host, Limit(rate=10, burst=4, share=0, share_burst=0))  # the whole host only
    engine.dispose()
    # Two workers, two collectives each, three requests in flight per collective: 12 at once.
    start = time.monotonic()
    sent = run_workers(hosting_url, base, [{"seconds": 3, "flood": {"a1": 3, "a2": 3}},
                                           {"seconds": 3, "flood": {"b1": 3, "b2": 3}}])
    times = counting.times()
    assert len(times) == sum(sum(s.values()) for s in sent), "every request was sent, none dropped"
    assert all(s for s in sent), "both workers got their turns"
    # In all: the burst, then 10 a second. Within a second or two, as much, give or take the
    # half second by which a busy machine may send a request after its turn came.
    assert len(times) <= 4 + 10 * (times[-1] - start) + 1, (len(times), times[-1] - start)
    assert busiest_second(times) <= 10 + 4 + 5, busiest_second(times)
    assert busiest_second(times, 2.0) <= 20 + 4 + 5, busiest_second(times, 2.0)
    assert len(times) > 4 + 10, "requests went on after the burst, each in its turn"
    waits = buckets(hosting_url)
    assert all(waits[(c, host)][0] > 0 for c in ("a1", "a2", "b1", "b2")), waits
    assert not any(d for _, _, d in waits.values()), "no request waited so long it was deferred"


def test_a_collective_over_its_share_does_not_slow_another(hosting_url: str, server: tuple[Counting, str]) -> None:
    counting, base = server
    host = host_of(base)
    engine = create_engine(postgresql_url(hosting_url))
    set_limit(engine, host, Limit(rate=20, burst=5, share=4, share_burst=2))
    engine.dispose()
    # One worker floods for the greedy collective; another sends the calm one's few requests,
    # well within its share, meanwhile.
    run_workers(hosting_url, base, [{"seconds": 3, "flood": {"greedy": 6}},
                                    {"seconds": 3, "calm": {"calm": [6, 0.4]}}])
    assert busiest_second(counting.times("greedy"), 2.0) <= 2 * 4 + 2 + 2, "the greedy collective kept to its share"
    assert len(counting.times("calm")) == 6
    waits = buckets(hosting_url)
    assert waits[("greedy", host)][0] > 0, waits
    assert ("calm", host) not in waits or waits[("calm", host)][0] == 0, "the calm collective never waited"

    # Without a share, the greedy collective takes the whole host and the calm one waits: what
    # the share prevents.
    engine = create_engine(postgresql_url(hosting_url))
    set_limit(engine, host, Limit(rate=4, burst=2, share=0, share_burst=0))
    engine.dispose()
    run_workers(hosting_url, base, [{"seconds": 3, "flood": {"greedy": 6}},
                                    {"seconds": 3, "calm": {"calm": [6, 0.4]}}])
    assert buckets(hosting_url)[("calm", host)][0] > 0


def test_a_turn_too_far_off_defers_the_work_and_metrics_tell(hosting_url: str, server: tuple[Counting, str]) -> None:
    counting, base = server
    host = host_of(base)
    limiter = Limiter(hosting_url, max_wait=0.2, lang="fr")
    set_limit(limiter.engine, host, Limit(rate=0.5, burst=1, share=0, share_burst=0))

    async def two() -> TransientError:
        with limiter.installed("alpha"):
            async with build_client("agenda", RequestCounter(), base_url=base) as http:
                (await http.get("/alpha")).raise_for_status()
                with pytest.raises(TransientError) as refused:
                    await http.get("/alpha")
            # A request sent from a thread (the CalDAV library's) passes the same gate.
            with pytest.raises(TransientError):
                await asyncio.to_thread(wait_turn_blocking, f"{base}/alpha", "calendar")
        return refused.value

    try:
        error = asyncio.run(two())
        assert error.connector == "agenda" and error.retry_after is not None and 1.0 <= error.retry_after <= 2.5
        assert "limite de débit" in str(error) and host in str(error)
        assert len(counting.times("alpha")) == 1, "the deferred request was not sent"
        lines = metric_lines(limiter.engine)
    finally:
        limiter.close()
    assert f'hub_collective_rate_deferred_total{{collective="alpha",host="{host}"}} 2' in lines
    assert f'hub_collective_rate_waits_total{{collective="alpha",host="{host}"}} 0' in lines


def test_a_workers_sync_passes_the_gate(hosting_url: str, tmp_path: Path) -> None:
    """A hosting worker's jobs send their requests under the limits (the built-in ones here)."""
    chat = FakeTelegram()
    with chat.running():
        hosted = make_collective(tmp_path, 0, chat, None)
        registry = Registry(hosting_url)
        registry.add(hosted.id, hosted.config)
        registry.close()
        env = {**os.environ, "HUB_HOSTING_DATABASE": hosting_url, "HUB_LANGUAGE": "en"}
        for args in (["collective", "sync", hosted.id], ["worker", "--once"]):
            done = subprocess.run([sys.executable, "-m", "hub", *args], cwd=REPO, env=env, capture_output=True,
                                  text=True, timeout=120)
            assert done.returncode == 0, done.stderr[-3000:]
        assert chat.sends(hosted.chat), "the sync announced the programme"
        host = host_of(chat.url)
    engine = create_engine(postgresql_url(hosting_url))
    try:
        with engine.connect() as conn:
            rows = {(r.collective, r.host): r.tokens for r in conn.execute(select(rate_buckets))}
    finally:
        engine.dispose()
    assert set(rows) == {(hosted.id, host), ("", host)}, rows
    assert rows[(hosted.id, host)] < 30 and rows[("", host)] < 60, "each request took a token of both buckets"
    # The hosting daemon's /metrics tells each collective's waits by host.
    assert f'hub_collective_rate_waits_total{{collective="{hosted.id}",host="{host}"}} 0' in scrape(hosting_url)


def scrape(url: str) -> str:
    """The hosting daemon's /metrics, served in this process."""
    async def get() -> str:
        prepare(url)
        registry = Registry(url)
        queue = make_app(url, pool_size=1)
        try:
            async with queue.open_async():
                transport = httpx.ASGITransport(app=build_app(registry, queue))
                async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
                    return (await client.get("/metrics")).text
        finally:
            registry.close()

    return asyncio.run(get())


def test_the_limits_are_the_deployments_set_by_command(hosting_url: str) -> None:
    shown = hub(hosting_url, "collective", "limits", "--json")
    assert shown.returncode == 0, shown.stderr
    limits = json.loads(shown.stdout)["limits"]
    assert limits["*"] == {"rate": 30.0, "burst": 60.0, "share": 10.0, "share_burst": 30.0, "source": "default"}
    assert limits["api.telegram.org"]["rate"] == 0 and limits["api.telegram.org"]["share"] == 30

    # A shared Nextcloud: 5 a second in all; the rest stays as it was for it.
    assert hub(hosting_url, "collective", "limits", "Nuage.Example.org", "--rate", "5").returncode == 0
    one = json.loads(hub(hosting_url, "collective", "limits", "nuage.example.org", "--json").stdout)["limits"]
    assert one == {"nuage.example.org": {"rate": 5.0, "burst": 60.0, "share": 10.0, "share_burst": 30.0,
                                         "source": "set"}}
    text_fr = hub(hosting_url, "collective", "limits", lang="fr").stdout
    assert "nuage.example.org : 5 requêtes/s (d'un coup : 60) en tout, 10 requêtes/s (d'un coup : 30) par collectif" \
        in text_fr, text_fr
    assert "api.telegram.org : sans limite en tout, 30 requêtes/s (d'un coup : 30) par collectif (par défaut)" \
        in text_fr, text_fr

    # Every worker reads them (the gate of a worker started now).
    limiter = Limiter(hosting_url)
    try:
        assert [b[1:] for b in limiter.gate("alpha")._buckets("nuage.example.org:443")] == [(10.0, 30.0), (5.0, 60.0)]
        assert [b[1:] for b in limiter.gate("alpha")._buckets("api.telegram.org")] == [(30.0, 30.0)]
    finally:
        limiter.close()

    assert hub(hosting_url, "collective", "limits", "nuage.example.org", "--reset").returncode == 0
    back = json.loads(hub(hosting_url, "collective", "limits", "nuage.example.org", "--json").stdout)["limits"]
    assert back["nuage.example.org"]["source"] == "default" and back["nuage.example.org"]["rate"] == 30
    refused = hub(hosting_url, "collective", "limits", "--rate", "3")
    assert refused.returncode == 2 and "need a server" in refused.stderr, refused.stderr
    assert hub(hosting_url, "collective", "limits", "x.org", "--burst", "0").returncode == 2


def test_a_sync_run_by_hand_passes_the_same_gate(hosting_url: str, tmp_path: Path) -> None:
    chat = FakeTelegram()
    with chat.running():
        hosted = make_collective(tmp_path, 0, chat, None)
        registry = Registry(hosting_url)
        registry.add(hosted.id, hosted.config)
        registry.close()
        host = host_of(chat.url)
        limited = hub(hosting_url, "collective", "limits", host, "--share", "2", "--share-burst", "1")
        assert limited.returncode == 0, limited.stderr
        synced = hub(hosting_url, "sync", "--collective", hosted.id)
        assert synced.returncode == 0, synced.stderr + synced.stdout
        assert len(chat.sends(hosted.chat)) >= 2, "the announcement went out, in its turns"
    waits = buckets(hosting_url)
    assert waits[(hosted.id, host)][0] > 0, waits


def test_a_caldav_calendars_requests_pass_the_gate_from_the_librarys_thread(
    hosting_url: str, tmp_path: Path, radicale: CalDAVServer,
) -> None:
    """The CalDAV library sends from a worker thread, through its own session: its requests
    wait their turn too (here a share of 5 a second, 1 at once)."""
    hosted = make_collective(tmp_path, 0, None, radicale)
    assert hosted.calendar is not None
    host = host_of(hosted.calendar)
    registry = Registry(hosting_url)
    registry.add(hosted.id, hosted.config)
    registry.close()
    assert hub(hosting_url, "collective", "limits", host, "--share", "5", "--share-burst", "1").returncode == 0
    synced = hub(hosting_url, "sync", "--collective", hosted.id, "--json")
    assert synced.returncode == 0, synced.stderr
    requests = json.loads(synced.stdout)["connectors"]["calendar"]["requests"]
    waits = buckets(hosting_url)
    assert requests > 1 and waits[(hosted.id, host)][0] >= requests - 2, (requests, waits)


def test_a_removed_collective_leaves_no_bucket_behind(hosting_url: str, server: tuple[Counting, str],
                                                      tmp_path: Path) -> None:
    counting, base = server
    registry = Registry(hosting_url)
    for collective in ("alpha", "beta"):
        registry.add(collective, write_config(tmp_path / collective, "", database="sqlite:///unused.db"))
    limiter = Limiter(hosting_url)

    async def send(collective: str) -> None:
        with limiter.installed(collective):
            async with build_client("agenda", RequestCounter(), base_url=base) as http:
                (await http.get(f"/{collective}")).raise_for_status()

    try:
        for collective in ("alpha", "beta"):
            asyncio.run(send(collective))
        assert {c for c, _h in buckets(hosting_url)} == {"alpha", "beta", ""}
        registry.remove("alpha")
        assert {c for c, _h in buckets(hosting_url)} == {"beta", ""}
        assert 'collective="alpha"' not in "\n".join(metric_lines(limiter.engine))
    finally:
        limiter.close()
        registry.close()
    assert len(counting.times()) == 2
