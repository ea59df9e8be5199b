"""Benchmark: ``hub daemon`` with seven connectors (the programme file, exports, a Radicale
calendar, an Etherpad pad, a WordPress site, Telegram and Signal).

    python -m bench.daemon_bench                 # 20 changes, 30 s idle
    HUB_BENCH_CHANGES=5 HUB_BENCH_IDLE=10 python -m bench.daemon_bench

Measures the propagation time from a programme-file save to the end of the sync that wrote it
to every sink (p50, p95 over the changes; the daemon's default file interval of 1 s and probe
interval of 60 s), then the idle daemon's CPU share and resident memory, then how long SIGTERM
takes. The real servers come from the test suite's harness (``scripts/install-peers``), so
the scenario (:mod:`bench.daemon_scenario`) runs under pytest. Prints a summary and writes
``bench/results/daemon.json``. Measurements only: no threshold here decides anything.
"""

from __future__ import annotations

import sys

import pytest

from bench.sync_bench import REPO


def main() -> int:
    scenario = REPO / "bench" / "daemon_scenario.py"
    return int(pytest.main(["-q", "-s", "-p", "no:cacheprovider", "--rootdir", str(REPO), str(scenario)]))


if __name__ == "__main__":
    sys.exit(main())
