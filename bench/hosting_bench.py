"""Benchmark: hosting many collectives on one PostgreSQL with 1, 2 and 4 worker processes.

    python -m bench.hosting_bench                          # 200 collectives, 1, 2, 4 workers; idle cost
    HUB_BENCH_COLLECTIVES=50 HUB_BENCH_WORKERS=1,2 python -m bench.hosting_bench
    HUB_BENCH_CHAT_LATENCY=0.2 python -m bench.hosting_bench   # the chat server 0.2 s away, as a real one

Measures, for 200 collectives with one change each, the time until every one is synced with
1, 2 and 4 worker processes (the curve), each collective's delay from its trigger to the end
of its sync (p50, p95, max) and the workers' CPU per sync; then an idle collective's cost
(requests per hour to its servers, the worker's CPU, its rows in the database). The scenario
(:mod:`bench.hosting_scenario`) runs under pytest to borrow the test suite's real PostgreSQL,
Radicale and Telegram fake. Prints a summary and writes ``bench/results/hosting.json``.
Measurements only: no threshold here decides anything.
"""

from __future__ import annotations

import sys

import pytest

from bench.sync_bench import REPO


def main() -> int:
    scenario = REPO / "bench" / "hosting_scenario.py"
    return int(pytest.main(["-q", "-s", "-p", "no:cacheprovider", "--rootdir", str(REPO), str(scenario)]))


if __name__ == "__main__":
    sys.exit(main())
