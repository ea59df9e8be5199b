"""The tools the benchmark runs, each in a venv of the benchmark's own (``.bench/``, ignored by
git): the tools it compares with, installed from PyPI at pinned versions the first time they are
needed; and the hub itself, installed from this checkout as a user installs it.

The hub is not measured from the development venv: that one also holds the test tools, and some
of the hub's libraries load whatever optional integration they find installed (httpcore and
urllib3-future load trio and wsproto, which only selenium brings), so every ``hub`` command there
imports tens of milliseconds that a user's ``pip install`` never has."""

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


#: The hub as ``pip install .`` installs it: its runtime dependencies only, its modules compiled.
HUB_VENV = HOME / "hub"


#: The ``hub`` command measured, when not the one of :data:`HUB_VENV` (:func:`use_hub`).
_chosen: Path | None = None


def use_hub(command: Path) -> None:
    """Measure this ``hub`` command instead (``python -m bench --hub``): the test of the
    benchmark's harness runs the development venv's, rather than install one."""
    global _chosen
    _chosen = command


def hub() -> Path:
    return _chosen or HUB_VENV / "bin" / "hub"


def hub_python() -> Path:
    """The Python of :func:`hub`'s venv (the in-process measurements run with it)."""
    return hub().parent / "python"


def ensure_hub() -> None:
    """Install this checkout's hub, as it is now, into :data:`HUB_VENV` (created with the hub's
    dependencies the first time; afterwards only the hub is reinstalled, and its dependencies
    again when ``pip check`` finds one missing)."""
    pip = [str(hub_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if not hub_python().exists():
        print(f"creating {HUB_VENV.relative_to(REPO)} for the hub", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(HUB_VENV)
        subprocess.run([*pip, str(REPO)], check=True)
        return
    subprocess.run([*pip, "--force-reinstall", "--no-deps", str(REPO)], check=True)
    if subprocess.run([str(hub_python()), "-m", "pip", "check"], capture_output=True).returncode != 0:
        subprocess.run([*pip, str(REPO)], check=True)


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
