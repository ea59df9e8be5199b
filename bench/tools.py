"""The other tools the benchmark compares with, each in the benchmark's own venv (``.bench/``,
ignored by git), installed from PyPI at pinned versions the first time they are needed."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from bench.sync_bench import REPO

HOME = REPO / ".bench"
VENV = HOME / "venv"
#: Pinned: the figures in bench/results.md are for these versions.
PINS = ("vdirsyncer==0.21.0", "apprise==2.3.0")


def python() -> Path:
    return VENV / "bin" / "python"


def vdirsyncer() -> Path:
    return VENV / "bin" / "vdirsyncer"


def installed() -> dict[str, str]:
    """The versions installed in the venv, or {} when it is missing."""
    if not python().exists():
        return {}
    out = subprocess.run([str(python()), "-c", "import importlib.metadata as m, json; "
                          f"print(json.dumps({{n: m.version(n) for n in {[p.split('==')[0] for p in PINS]!r}}}))"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return {}
    import json

    versions: dict[str, str] = json.loads(out.stdout)
    return versions


def ensure() -> dict[str, str]:
    """Create the venv and install the pinned tools when missing; return their versions."""
    wanted = dict(pin.split("==") for pin in PINS)
    versions = installed()
    if versions == wanted:
        return versions
    if not python().exists():
        print(f"creating {VENV.relative_to(REPO)} for {', '.join(PINS)}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    subprocess.run([str(python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PINS], check=True)
    return installed()
