"""Start-up: ``hub --help``, ``hub status`` and ``hub ask`` from the command line, on the state a
10,000-session sync left; the three commands take turns, round after round, and the medians are
kept (a run's figures drift with the machine's load, a round's order should not matter)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import tools
from bench.measure import Sample, median, run

QUESTION = "qu'est-ce qu'il y a à 11 h ?"
AT = "2021-11-13T10:00"


def commands(config: Path) -> dict[str, list[str]]:
    return {
        "hub --help": [str(tools.hub()), "--help"],
        "hub status": [str(tools.hub()), "status", "--config", str(config)],
        "hub ask": [str(tools.hub()), "ask", QUESTION, "--at", AT, "--config", str(config)],
    }


def startup(config: Path, rounds: int, say: Callable[[str], None]) -> dict[str, Any]:
    """``config``: a hub configuration whose state holds a synced programme."""
    found: dict[str, list[Sample]] = {}
    named = commands(config)
    names = list(named)
    for n in range(rounds):
        for name in names[n % len(names):] + names[:n % len(names)]:
            # hub status exits 1 when something waits for a look; it still answered.
            found.setdefault(name, []).append(run(named[name], cwd=config.parent, ok=(0, 1)))
    out: dict[str, Any] = {name: {"median": median(samples), "samples": [s.figures() for s in samples],
                  "answer": samples[-1].output.strip().splitlines()[:3]}
           for name, samples in found.items()}
    say("start-up: " + ", ".join(f"{name} {v['median']['wall']} s" for name, v in out.items()))
    return out
