"""The daemon benchmark's scenario, run by :mod:`bench.daemon_bench` through pytest (it borrows
the test suite's real servers: Radicale, Etherpad, WordPress, and its Telegram and Signal fakes).

Not a test: it measures and writes ``bench/results/daemon.json``; no threshold here fails it.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.caldav.conftest import CalDAVServer, radicale  # noqa: F401  (fixture)
from tests.daemon.conftest import CHAT, DaemonProcess, daemon_config
from tests.daemon.test_daemon import ics_event
from tests.etherpad.conftest import EtherpadServer, etherpad_server  # noqa: F401  (fixture)
from tests.fakes.loopback import free_port
from tests.fakes.signal import FakeSignal
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REPO, edit_programme
from tests.wordpress.conftest import wordpress_site  # noqa: F401  (fixture)
from tests.wordpress.site import Site

RESULTS = REPO / "bench" / "results" / "daemon.json"
CHANGES = int(os.environ.get("HUB_BENCH_CHANGES", "20"))
IDLE_SECONDS = float(os.environ.get("HUB_BENCH_IDLE", "30"))


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegram, FakeSignal, str]]:
    telegram, signal = FakeTelegram(), FakeSignal()
    with telegram.running(), signal.running():
        telegram.add_chat(CHAT)
        group = signal.add_group("Assemblée", members=["+4917612345678"])
        yield telegram, signal, group
        telegram.inject_message(CHAT, "fin")  # ends the long poll the stopped daemon left open


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_mib(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of the process, MiB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def test_propagation_and_idle_cost(
    tmp_path: Path, radicale: CalDAVServer, etherpad_server: EtherpadServer,  # noqa: F811
    wordpress_site: Site, fakes: tuple[FakeTelegram, FakeSignal, str],  # noqa: F811
) -> None:
    telegram, signal, group = fakes
    port = free_port()
    signal_section = f"""
[connectors.signal]
type = "signal"
url = "{signal.url}"
number = "{signal.number}"
groups = ["{group}"]
pace_seconds = 0
"""
    config = daemon_config(tmp_path, radicale, radicale.new_calendar(), etherpad_server, "bench-pad", wordpress_site,
                           "bench-programme", "bench-changes", telegram, port)
    text = config.read_text(encoding="utf-8")
    # The defaults: the programme file looked at every second, the other sources every minute.
    text = text.replace("probe_interval = 0.5\nfile_interval = 0.2\n", "")
    config.write_text(text + signal_section, encoding="utf-8")
    daemon = DaemonProcess(config, port)
    daemon.start()
    try:
        assert daemon.proc is not None
        pid = daemon.proc.pid
        after_start = _memory_mib(pid)[0]
        propagation: list[float] = []
        for index in range(CHANGES):
            done = daemon.syncs()
            start = "2021-11-12T16:00" if index % 2 == 0 else "2021-11-12T15:30"
            edit_programme(tmp_path, "restitution", start=start)
            written = time.time()
            daemon.wait_for(lambda n=done: daemon.syncs() > n, 60, f"the sync of change {index + 1}")
            ended = [e for e in daemon.logs() if "terminée" in e["message"]][-1]
            finished = datetime.fromisoformat(ended["time"]).timestamp()
            stamp = start.replace("-", "").replace(":", "") + "00"
            assert f":{stamp}" in ics_event(tmp_path, "restitution"), "the change is in the exports"
            propagation.append(max(0.0, finished - written))
            time.sleep(0.3)
        time.sleep(5)  # let the last announcements and probes settle
        cpu_before, wall_before = _cpu_seconds(pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        cpu = (_cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before) * 100
        rss, peak = _memory_mib(pid)
        code, took = daemon.stop()
    finally:
        daemon.close()
    connectors = ["programme", "exports", "calendar", "pad", "site", "telegram", "signal"]
    results: dict[str, Any] = {
        "connectors": connectors,
        "changes": CHANGES,
        "propagation_seconds": {
            "p50": round(statistics.median(propagation), 3),
            "p95": round(_percentile(propagation, 0.95), 3),
            "max": round(max(propagation), 3),
            "all": [round(p, 3) for p in propagation],
        },
        "idle": {"seconds": IDLE_SECONDS, "cpu_percent": round(cpu, 2), "rss_mib": round(rss, 1),
                 "rss_mb": round(rss * 1.048576, 1),
                 "peak_rss_mib": round(peak, 1), "rss_after_first_sync_mib": round(after_start, 1)},
        "stop": {"exit_code": code, "seconds": round(took, 2)},
        "targets": {"propagation_p95_seconds": 5, "idle_cpu_percent": 1, "idle_rss_mb": 150},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print()
    print(f"connectors: {len(connectors)} ({', '.join(connectors)})")
    print(f"propagation over {CHANGES} changes: p50 {results['propagation_seconds']['p50']} s, "
          f"p95 {results['propagation_seconds']['p95']} s, max {results['propagation_seconds']['max']} s "
          "(target p95 < 5 s)")
    print(f"idle over {IDLE_SECONDS:.0f} s: CPU {results['idle']['cpu_percent']} % (target < 1 %), "
          f"RSS {results['idle']['rss_mib']} MiB ({rss * 1.048576:.1f} MB), "
          f"peak {results['idle']['peak_rss_mib']} MiB (target < 150 MB; "
          f"{results['idle']['rss_after_first_sync_mib']} MiB after the first sync)")
    print(f"SIGTERM: exit {code} in {took:.2f} s; written to {RESULTS.relative_to(REPO)}")
