"""Benchmark: first sync, no-op sync and one-change sync through the files sink.

    python -m bench.sync_bench            # reference programme and 10,000 generated sessions
    python -m bench.sync_bench --sessions 2000

Each sync runs in its own process (as ``hub sync`` does) so wall time and peak memory are those
of one real run. Prints a table and writes ``bench/results/sync.json``. Measurements only: no
threshold here decides anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = """[hub]
programme = "programme.yaml"
database = "sqlite:///state/hub.db"

[connectors.exports]
type = "files"
path = "public"
"""


def child(config: str) -> None:
    """One sync in this process; prints its figures as JSON."""
    from hub.runtime import build_engine, load_settings

    started = time.perf_counter()
    report = asyncio.run(build_engine(load_settings(config)).sync())
    elapsed = time.perf_counter() - started
    exports = report.connectors["exports"]
    print(json.dumps({
        "seconds": round(elapsed, 3),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "writes": exports.created + exports.updated + exports.deleted,
        "requests": sum(r.requests for r in report.connectors.values()),
        "changes": len(report.changes),
    }))


def run_phase(config: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", "bench.sync_bench", "--child", str(config)],
                         cwd=REPO, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def change_one_session(programme: Path) -> None:
    """Move the first session one hour later (start and end), as an organiser would."""
    move_sessions(programme, 1, 60)


def move_sessions(programme: Path, count: int, minutes: int) -> None:
    """Move the first ``count`` sessions by ``minutes`` (start and end), editing the file's text as an
    organiser's editor would (other lines are left as they are)."""
    text = programme.read_text(encoding="utf-8")
    position = text.index("sessions:")
    parts: list[str] = []
    for _ in range(count):
        for key in ("start: ", "end: "):
            index = text.index(key, position)
            line_end = text.index("\n", index)
            value = text[index + len(key):line_end].split("#")[0].strip().strip("'\"")
            new = (datetime.fromisoformat(value) + timedelta(minutes=minutes)).isoformat(timespec="minutes")
            parts += [text[position:index], key, new]
            position = line_end
    parts.append(text[position:])
    programme.write_text(text[:text.index("sessions:")] + "".join(parts), encoding="utf-8")


def bench(label: str, make_programme: object) -> dict[str, dict[str, float]]:
    folder = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    try:
        (folder / "hub.toml").write_text(CONFIG, encoding="utf-8")
        make_programme(folder / "programme.yaml")  # type: ignore[operator]
        phases = {"first": run_phase(folder / "hub.toml"), "no-op": run_phase(folder / "hub.toml")}
        change_one_session(folder / "programme.yaml")
        phases["1-change"] = run_phase(folder / "hub.toml")
        print(f"\n{label}")
        print(f"{'phase':10} {'seconds':>8} {'peak MiB':>9} {'writes':>7} {'requests':>9}")
        for name, figures in phases.items():
            print(f"{name:10} {figures['seconds']:8.3f} {figures['peak_mib']:9.1f} "
                  f"{int(figures['writes']):7d} {int(figures['requests']):9d}")
        return phases
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    from bench.generate import write

    results = {
        "reference": bench("reference programme (22 sessions)",
                           lambda p: shutil.copy(REPO / "config" / "examples" / "programme.yaml", p)),
        f"generated-{args.sessions}": bench(f"generated programme ({args.sessions} sessions)",
                                            lambda p: write(p, args.sessions)),
    }
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "sync.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
