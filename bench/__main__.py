"""``python -m bench``: every benchmark of the hub in one command, side by side with the tools
people use today, written to ``bench/results.md`` and ``bench/results.json``.

    python -m bench              # 22, 1,000 and 10,000 sessions, 3 runs per phase (12 to 25 min on 2 cores)
    python -m bench --quick      # 22 and 1,000 sessions, 1 run (a few minutes)
    python -m bench --sizes 22 --runs 1 --output /tmp/bench   # the smallest case

- Sync (:mod:`bench.sync_cases`): first sync, no-op, one change, 100 changes; ``hub sync`` into
  the files sink, and ``hub sync`` and vdirsyncer into the same real Radicale, alternated.
- Start-up (:mod:`bench.startup`): ``hub --help``, ``hub status``, ``hub ask`` on the largest state.
- Chats (:mod:`bench.chats`): one announcement to 20 chats, the hub against Apprise.
- Bots (:mod:`bots.bench`): answer times in process on 10,000 sessions.

vdirsyncer and Apprise are installed from PyPI at pinned versions into ``.bench/venv`` the first
time (:mod:`bench.tools`). Measurements only: the targets are reported, nothing fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import tools
from bench.report import markdown
from bench.sync_bench import REPO

#: Above this many sessions, a first sync starts from a calendar holding the events already
#: (see :func:`bench.sync_cases.seed`): from empty it measures Radicale's quadratic PUTs.
SEED_ABOVE = 1_000


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _machine(versions: dict[str, str]) -> dict[str, Any]:
    wanted = ("commons-hub", "radicale", "python-telegram-bot", "httpx")
    found = {}
    for name in wanted:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    described = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True)
    return {
        "revision": described.stdout.strip() or "unknown",
        "cores": os.cpu_count(),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "versions": {**found, **versions},
    }


def bots(sessions: int) -> dict[str, Any]:
    """``bots.bench``'s measurement, in this process."""
    from bots.bench import measure, questions, synthetic_programme
    from bots.index import index_for

    programme = synthetic_programme(sessions)
    started = time.perf_counter()
    index_for(programme)
    built = (time.perf_counter() - started) * 1000
    asked = questions(programme, 1_500)
    measure(programme, asked[:100])  # warm, as a running bot is
    values = sorted(t for t, _ in measure(programme, asked))
    return {"sessions": sessions, "questions": len(values), "index_ms": round(built, 1),
            "p50_ms": round(statistics.median(values), 2), "p99_ms": round(values[int(len(values) * 0.99) - 1], 2),
            "max_ms": round(values[-1], 2)}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="22 and 1,000 sessions, 1 run")
    parser.add_argument("--runs", type=int, help="runs per phase (default 3, quick 1)")
    parser.add_argument("--sizes", help="comma-separated session counts (default 22,1000,10000; quick 22,1000)")
    parser.add_argument("--seed-above", type=int, help=f"seed the calendar for first syncs above this many "
                        f"sessions (default {SEED_ABOVE:,}; quick 22)")
    parser.add_argument("--only", default="sync,startup,chats,bots", help="which parts (default: all)")
    parser.add_argument("--no-vdirsyncer", action="store_true", help="the hub alone into Radicale")
    parser.add_argument("--no-apprise", action="store_true", help="the hub alone for the chats")
    parser.add_argument("--hub", type=Path, help="the hub command to measure (default: this checkout, installed "
                        "with pip into .bench/hub as a user installs it)")
    parser.add_argument("--output", type=Path, default=REPO / "bench", help="where results.md and .json go")
    args = parser.parse_args(argv)
    args.runs = args.runs or (1 if args.quick else 3)
    args.sizes = [int(s) for s in (args.sizes or ("22,1000" if args.quick else "22,1000,10000")).split(",")]
    if args.seed_above is None:
        args.seed_above = 22 if args.quick else SEED_ABOVE
    args.only = set(args.only.split(","))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    from bench.chats import chats
    from bench.measure import Failed
    from bench.servers import Radicale, radicale
    from bench.startup import startup
    from bench.sync_cases import files_case, radicale_case

    args = parse(argv)
    started = time.perf_counter()
    if args.hub:
        tools.use_hub(args.hub.resolve())
    else:
        tools.ensure_hub()
    need_tools = not (args.no_vdirsyncer and args.no_apprise) and bool(args.only & {"sync", "chats"})
    versions = tools.ensure() if need_tools else {}
    results: dict[str, Any] = {
        "command": " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)]),
        "runs": args.runs, "machine": _machine(versions), "sync": [], "notes": [],
    }
    work = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    # Radicale's storage in memory when the machine has it: fsync on this disk would otherwise be
    # most of every write, for both tools alike.
    shm = Path("/dev/shm")
    server_root = Path(tempfile.mkdtemp(prefix="hub-bench-radicale-", dir=shm if shm.is_dir() else None))
    results["machine"]["radicale_storage"] = "tmpfs" if shm.is_dir() else "disk"
    failed: list[str] = []

    def attempt(part: str, step: Callable[[], None]) -> None:
        """One part; a command that fails is reported in the results and the others still run."""
        try:
            step()
        except Failed as exc:
            failed.append(part)
            results["notes"].append(f"{part}: not measured, a command failed: {str(exc).splitlines()[0]}")
            _say(f"{part} failed:\n{exc}")

    def sync() -> None:
        for sessions in args.sizes:
            attempt(f"files sink, {sessions:,} sessions", partial(files_part, sessions))
        with radicale(server_root / "radicale") as server:
            for sessions in args.sizes:
                attempt(f"Radicale, {sessions:,} sessions", partial(radicale_part, server, sessions))

    def files_part(sessions: int) -> None:
        results["sync"].append(files_case(work, sessions, args.runs, _say, first_runs(sessions)).summary())

    def first_runs(sessions: int) -> int | None:
        """A first sync of more than 1,000 sessions is long and much the same run after run (into
        Radicale it is mostly the server's time, the same for both tools): one run. The first
        sync of 1,000 has a target of its own, a near tie where one run decides nothing: the
        phases' runs (the tables say how many runs each median has)."""
        return 1 if sessions > 1_000 else None

    def radicale_part(server: Radicale, sessions: int) -> None:
        seeded = sessions > args.seed_above
        case = radicale_case(work, server, sessions, args.runs, not args.no_vdirsyncer, _say,
                             seeded=seeded, first_runs=first_runs(sessions)).summary()
        case["seeded"] = seeded
        results["sync"].append(case)

    def start() -> None:
        largest = max(args.sizes)
        config = work / f"files-{largest}" / "hub.toml"
        if not config.exists():
            from bench.sync_cases import FILES_CONFIG, HubSetup

            HubSetup(config.parent, largest, FILES_CONFIG).sync()
        results["startup_sessions"] = largest
        results["startup"] = startup(config, max(3, args.runs * 2 - 1), _say)

    def chat() -> None:
        results["chats"] = chats(work, max(3, args.runs), not args.no_apprise, _say)

    def answer() -> None:
        results["bots"] = bots(10_000)
        _say(f"bots: p99 {results['bots']['p99_ms']} ms")

    try:
        for part, step in (("sync", sync), ("startup", start), ("chats", chat), ("bots", answer)):
            if part in args.only:
                attempt(part, step)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(server_root, ignore_errors=True)
    results["machine"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    (args.output / "results.md").write_text(markdown(results), encoding="utf-8")
    _say(f"wrote {args.output / 'results.md'} ({results['seconds'] / 60:.1f} min)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
