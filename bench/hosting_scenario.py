"""The hosting benchmark's scenario, run by :mod:`bench.hosting_bench` through pytest (it borrows
the test suite's real PostgreSQL, Radicale and Telegram fake).

Not a test: it measures and writes ``bench/results/hosting.json``; no threshold here fails it.

1. *Throughput*: ``HUB_BENCH_COLLECTIVES`` (200) collectives, each the reference programme on
   the files sink and a chat of the Telegram fake; once all are synced, one change in each
   programme and a trigger per collective, then the time until every collective's sync of that
   change is done, with 1, 2 and 4 worker processes (one job at a time each), and each
   collective's delay from its trigger to the end of its sync (p50, p95, max).
2. *Idle cost*: ``HUB_BENCH_IDLE_COLLECTIVES`` (20) collectives whose source is a Radicale
   calendar, probed every ``HUB_BENCH_PROBE`` (5) seconds by one worker for
   ``HUB_BENCH_IDLE`` (60) seconds: requests to their servers, the worker's CPU, the rows each
   collective keeps in the database; per collective and per hour at the default probe
   interval (60 s).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from hub.hosting.registry import Registry
from tests.caldav.conftest import CalDAVServer, radicale  # noqa: F401  (fixture)
from tests.fakes.loopback import free_port
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REPO, edit_programme
from tests.hosting.conftest import Process, new_database, wait_for
from tests.hosting.world import Hosted, make_collective, trigger

RESULTS = REPO / "bench" / "results" / "hosting.json"
COLLECTIVES = int(os.environ.get("HUB_BENCH_COLLECTIVES", "200"))
WORKERS = [int(n) for n in os.environ.get("HUB_BENCH_WORKERS", "1,2,4").split(",")]
IDLE_COLLECTIVES = int(os.environ.get("HUB_BENCH_IDLE_COLLECTIVES", "20"))
IDLE_SECONDS = float(os.environ.get("HUB_BENCH_IDLE", "60"))
PROBE = float(os.environ.get("HUB_BENCH_PROBE", "5"))
DEFAULT_PROBE = 60.0
#: ``HUB_BENCH_CHAT=0``: the throughput's collectives on the files sink only (no shared fake
#: server in the chain: what is left shared is PostgreSQL).
WITH_CHAT = os.environ.get("HUB_BENCH_CHAT", "1") != "0"
#: ``HUB_BENCH_CHAT_LATENCY=0.2``: each message the Telegram fake takes that long to answer, as a
#: real Bot API does from far away (loopback answers at once, which no collective's server does):
#: a sync then waits on its server as it would in a deployment, and workers can overlap waits.
CHAT_LATENCY = float(os.environ.get("HUB_BENCH_CHAT_LATENCY", "0"))


@pytest.fixture
def chat() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    fake.latency = CHAT_LATENCY
    with fake.running():
        yield fake


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL server's processes (its backends included)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _cpu_seconds(int(entry.name))
            except OSError:
                continue  # gone meanwhile
    return total


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (``/proc/stat``)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _workers(url: str, folder: Path, count: int, tag: str) -> list[Process]:
    return [Process(["worker", "--concurrency", "1"], url, folder / f"{tag}-{n}.log").start() for n in range(count)]


def _stop(processes: list[Process]) -> None:
    for process in processes:
        if process.alive():
            process.stop()


def _save(key: str, value: Any) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    found = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    found[key] = value
    RESULTS.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")


def test_throughput_with_1_2_4_workers(tmp_path: Path, chat: FakeTelegram) -> None:
    with new_database() as url:
        registry = Registry(url)
        collectives = [make_collective(tmp_path, i, chat if WITH_CHAT else None, None, probe_interval=DEFAULT_PROBE)
                       for i in range(COLLECTIVES)]
        for hosted in collectives:
            registry.add(hosted.id, hosted.config)
        port = free_port()
        daemon = Process(["daemon", "--hosting", "--listen", f"127.0.0.1:{port}"], url, tmp_path / "daemon.log")
        daemon.start()
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(base), 30, "the hosting daemon")
        results: dict[str, Any] = {"collectives": COLLECTIVES, "chat": WITH_CHAT, "chat_latency": CHAT_LATENCY,
                                   "rounds": []}
        try:
            start = time.monotonic()
            first = _workers(url, tmp_path, max(WORKERS), "first")
            wait_for(lambda: all(r.last_result == "ok" for r in registry.all()), 60 * 60, "the first syncs")
            results["first_sync_seconds"] = round(time.monotonic() - start, 1)
            results["first_sync_workers"] = max(WORKERS)
            _stop(first)
            print(f"first sync of {COLLECTIVES} collectives with {max(WORKERS)} workers: "
                  f"{results['first_sync_seconds']} s")
            for round_number, count in enumerate(WORKERS):
                results["rounds"].append(_round(url, base, tmp_path, registry, collectives, count, round_number))
        finally:
            daemon.stop()
            registry.close()
        key = "throughput" if WITH_CHAT else "throughput_files_only"
        _save(f"{key}_latency_{CHAT_LATENCY:g}s" if WITH_CHAT and CHAT_LATENCY else key, results)


def _rate_waits(registry: Registry) -> tuple[float, float, float]:
    """Requests that waited for their turn under the rate limits, seconds waited, deferred."""
    with registry.engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass('hub_hosting.rate_buckets')")).scalar() is None:
            return 0.0, 0.0, 0.0
        row = conn.execute(text("SELECT coalesce(sum(waits), 0), coalesce(sum(waited), 0), "
                                "coalesce(sum(deferred), 0) FROM hub_hosting.rate_buckets")).one()
    return float(row[0]), float(row[1]), float(row[2])


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _round(url: str, base: str, folder: Path, registry: Registry, collectives: list[Hosted], count: int,
           number: int) -> dict[str, Any]:
    stamp = f"2021-11-12T08:{15 + number:02d}"  # within the session's hours, a new time each round
    before = {r.id: r.syncs for r in registry.all()}
    for hosted in collectives:
        edit_programme(hosted.folder, "accueil-meteo", start=stamp)
    asked: dict[str, float] = {}
    workers = _workers(url, folder, count, f"round{number}")
    for process in workers:  # started and listening: the round times the jobs, not Python's start-up
        wait_for(lambda p=process: any("worker started" in e["message"] for e in p.logs()), 60, "a worker's start")  # type: ignore[misc]
    cpu_start = {p.pid: _cpu_seconds(p.pid) for p in workers}
    waits_start = _rate_waits(registry)
    machine_start = _machine_ticks()
    database_start, own_start = _postgres_cpu(), time.process_time()
    start = time.time()
    for hosted in collectives:
        asked[hosted.id] = time.time()
        assert trigger(base, hosted).status_code == 202
    rows = registry.all()
    while not all(r.syncs > before[r.id] and r.last_at and r.last_at >= asked[r.id] and r.last_result == "ok"
                  for r in rows):
        time.sleep(0.2)
        rows = registry.all()
    took = time.time() - start
    cpu = sum(_cpu_seconds(p.pid) - cpu_start[p.pid] for p in workers)
    machine_end = _machine_ticks()
    database, own = _postgres_cpu() - database_start, time.process_time() - own_start
    busy = (machine_end[0] - machine_start[0]) / max(1, machine_end[1] - machine_start[1])
    waits = [end - begin for end, begin in zip(_rate_waits(registry), waits_start, strict=True)]
    _stop(workers)
    delays = [r.last_at - asked[r.id] for r in rows if r.last_at]
    changed = sum(1 for h in collectives if h.ics_has("accueil-meteo", stamp.replace("-", "").replace(":", "")))
    result = {
        "workers": count, "seconds": round(took, 1), "collectives_per_second": round(len(collectives) / took, 2),
        "delay_p50": round(statistics.median(delays), 2), "delay_p95": round(_percentile(delays, 0.95), 2),
        "delay_max": round(max(delays), 2), "worker_cpu_seconds": round(cpu, 1),
        "cpu_seconds_per_sync": round(cpu / len(collectives), 3), "changed_on_sink": changed,
        "machine_busy": round(busy, 2), "load_average": os.getloadavg()[0],
        "postgres_cpu_seconds_per_sync": round(database / len(collectives), 3),
        "bench_and_fakes_cpu_seconds_per_sync": round(own / len(collectives), 3),
        "rate_limit_waits": int(waits[0]), "rate_limit_wait_seconds": round(waits[1], 1),
        "rate_limit_deferred": int(waits[2]),
    }
    print(f"{count} worker(s): {len(collectives)} collectives synced in {took:.1f} s "
          f"({result['collectives_per_second']}/s), delay p95 {result['delay_p95']} s, "
          f"machine busy {busy:.0%}, load {os.getloadavg()[0]:.1f}; "
          f"CPU per sync: workers {cpu / len(collectives):.3f} s, "
          f"PostgreSQL {database / len(collectives):.3f} s, this process and the fakes {own / len(collectives):.3f} s; "
          f"rate limits: {waits[0]:.0f} request(s) waited ({waits[1]:.1f} s), {waits[2]:.0f} deferred")
    return result


def test_idle_collective_cost(tmp_path: Path, chat: FakeTelegram, radicale: CalDAVServer) -> None:  # noqa: F811
    with new_database() as url:
        registry = Registry(url)
        collectives = [make_collective(tmp_path, i, chat, radicale, probe_interval=PROBE)
                       for i in range(IDLE_COLLECTIVES)]
        for hosted in collectives:
            registry.add(hosted.id, hosted.config)
        workers = _workers(url, tmp_path, 1, "idle")
        try:
            wait_for(lambda: all(r.last_result == "ok" for r in registry.all()), 600, "the first syncs")
            time.sleep(PROBE * 2)  # the follow-up syncs of the first import settle
            rows = {r.id: r for r in registry.all()}
            cpu = _cpu_seconds(workers[0].pid)
            start = time.monotonic()
            time.sleep(IDLE_SECONDS)
            window = time.monotonic() - start
            cpu = _cpu_seconds(workers[0].pid) - cpu
            after = {r.id: r for r in registry.all()}
            probes = sum(after[k].probes - rows[k].probes for k in after)
            requests = sum(after[k].probe_requests - rows[k].probe_requests for k in after)
            syncs = sum(after[k].syncs - rows[k].syncs for k in after)
            with registry.engine.connect() as conn:
                state_rows = []
                for hosted in collectives:
                    tables = [r[0] for r in conn.execute(text(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                        {"s": f"c_{hosted.id}"})]
                    state_rows.append(sum(int(conn.execute(text(f'SELECT count(*) FROM "c_{hosted.id}"."{t}"'))
                                              .scalar() or 0) for t in tables))
                jobs = int(conn.execute(text("SELECT count(*) FROM hub_queue.procrastinate_jobs")).scalar() or 0)
        finally:
            _stop(workers)
            registry.close()
    per_probe_cpu = cpu / max(1, probes)
    result = {
        "collectives": IDLE_COLLECTIVES, "window_seconds": round(window, 1), "probe_interval": PROBE,
        "probes": probes, "syncs_while_idle": syncs, "requests": requests,
        "requests_per_probe": round(requests / max(1, probes), 2),
        "requests_per_hour_per_collective_at_60s": round(requests / max(1, probes) * 3600 / DEFAULT_PROBE, 1),
        "worker_cpu_seconds": round(cpu, 2), "cpu_ms_per_probe": round(per_probe_cpu * 1000, 1),
        "cpu_seconds_per_hour_per_collective_at_60s": round(per_probe_cpu * 3600 / DEFAULT_PROBE, 2),
        "state_rows_per_collective": round(statistics.mean(state_rows), 1),
        "queue_rows_after": jobs,
    }
    print(json.dumps(result, indent=2))
    _save("idle", result)
