"""``python -m bench`` keeps working: its smallest case (22 sessions, one run of each phase, the
files sink and a real Radicale behind the counting proxy) runs end to end and writes its results.

No timing is judged here (that is the benchmark's business); only that every phase ran, that the
proxy counted the requests the hub made, and that the files sink's counts are "n/a", not 0.
vdirsyncer takes part only when the benchmark's venv already has it (installing it is slow).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import tools
from bench.__main__ import main
from bench.sync_cases import PHASES
from tests.caldav.conftest import _bin


def test_smallest_case_runs_end_to_end(tmp_path: Path) -> None:
    _bin("radicale")  # a missing Radicale is a missing peer (a failure in CI), not a crash
    vdirsyncer = tools.installed() == dict(pin.split("==") for pin in tools.PINS)
    argv = ["--only", "sync", "--sizes", "22", "--runs", "1", "--seed-above", "0", "--output", str(tmp_path),
            "--hub", str(Path(sys.executable).parent / "hub")]  # this venv's, rather than installing one
    assert main(argv if vdirsyncer else [*argv, "--no-vdirsyncer", "--no-apprise"]) == 0

    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    files, calendar = results["sync"]
    assert (files["sink"], calendar["sink"]) == ("files", "radicale")
    assert list(files["phases"]) == list(PHASES) == list(calendar["phases"])
    for phase in PHASES:
        assert files["phases"][phase]["hub"]["median"]["requests"] is None
        assert calendar["phases"][phase]["hub"]["median"]["requests"] >= 1
        assert calendar["phases"][phase]["hub"]["median"]["cpu"] > 0
        assert ("vdirsyncer" in calendar["phases"][phase]) == vdirsyncer
    # 22 sessions moved: at least 22 writes after the listing, every byte of them through the proxy.
    hundred = calendar["phases"]["100 changes"]["hub"]["median"]
    assert hundred["requests"] >= 23 and hundred["bytes_up"] > 22 * 500
    # The calendar held the events already (seeded): the first sync wrote none of them.
    assert calendar["phases"]["first"]["hub"]["median"]["requests"] < 22

    report = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "## 22 sessions into the files sink (hub only)" in report
    assert "## 22 sessions into Radicale: hub and vdirsyncer" in report
    assert "| 100 changes | " in report and "| n/a |" in report
