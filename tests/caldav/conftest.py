"""Real CalDAV and WebDAV servers for the calendar tests: Radicale, Xandikos, WsgiDAV.

All three are Python packages of the ``[test]`` extra, started from the venv on a free loopback
port with a fresh data directory, and stopped at the end of the test session. Each test gets
its own empty calendar collection (``new_calendar``), so tests do not see each other's events.

- Radicale: plain HTTP, htpasswd ``plain`` auth, ``owner_only`` rights (calendars under
  ``/<user>/``).
- Xandikos: refuses Basic auth over plain HTTP, so it serves HTTPS with a self-signed
  certificate made here (SAN ``IP:127.0.0.1``; its own autocert names only a DNS host) and an
  htpasswd file in ``{SHA}`` form (it accepts only bcrypt or ``{SHA}``). It is single-user:
  the principal path is fixed by ``--current-user-principal``.
- WsgiDAV (cheroot): one user, Basic auth, for the shared-folder exports.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers.process import free_port, missing_peer, running

BIN = Path(sys.executable).parent
USER = "hub"
PASSWORD = "calendar-pass-for-tests"
WEBDAV_PASSWORD = "webdav-pass-for-tests"


@dataclass(frozen=True)
class CalDAVServer:
    """A running CalDAV server and how to reach it."""

    name: str
    base_url: str
    home_path: str  # where calendars are created, e.g. "/hub/"
    username: str
    password: str
    verify: bool | str  # True, or the CA file of a self-signed server

    def client(self) -> object:
        """A ``caldav.DAVClient`` as a person's calendar app would use it."""
        from caldav.davclient import DAVClient

        return DAVClient(
            url=self.base_url,
            username=self.username,
            password=self.password,
            ssl_verify_cert=self.verify,
        )

    def new_calendar(self, name: str | None = None) -> str:
        """Create an empty calendar collection with the caldav library; return its URL."""
        slug = name or f"cal-{uuid.uuid4().hex[:10]}"
        client = self.client()
        with client:  # type: ignore[attr-defined]
            principal = client.principal()  # type: ignore[attr-defined]
            calendar = principal.make_calendar(name=slug, cal_id=slug)
            return str(calendar.url)


@dataclass(frozen=True)
class WebDAVServer:
    base_url: str
    username: str
    password: str
    root: Path


def _bin(name: str) -> str:
    path = BIN / name
    if not path.exists():
        missing_peer(name, f"{name} is not installed in the venv (pip install -e '.[test]')")
    return str(path)


@contextlib.contextmanager
def radicale_at(root: Path) -> Iterator[int]:
    """Radicale with its configuration and data under ``root``, until the block ends; its port.
    (The benchmark, ``python -m bench``, starts it this way too.)"""
    port = free_port()
    (root / "users").write_text(f"{USER}:{PASSWORD}\n")
    (root / "config").write_text(
        "[server]\n"
        f"hosts = 127.0.0.1:{port}\n"
        "[auth]\n"
        "type = htpasswd\n"
        f"htpasswd_filename = {root / 'users'}\n"
        "htpasswd_encryption = plain\n"
        "[rights]\n"
        "type = owner_only\n"
        "[storage]\n"
        f"filesystem_folder = {root / 'collections'}\n"
        "[logging]\n"
        "level = warning\n"
    )
    argv = [_bin("radicale"), "--config", str(root / "config")]
    with running("radicale", argv, port, log=root / "radicale.log"):
        yield port


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CalDAVServer]:
    with radicale_at(tmp_path_factory.mktemp("radicale")) as port:
        yield CalDAVServer(
            "radicale", f"http://127.0.0.1:{port}/", f"/{USER}/", USER, PASSWORD, True
        )


def _self_signed(cert_dir: Path) -> Path:
    """A certificate valid for 127.0.0.1 where Xandikos' autocert looks, so it reuses it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        missing_peer("xandikos", "openssl is needed to make the test certificate")
    cert_dir.mkdir(parents=True, exist_ok=True)
    cert, key = cert_dir / "selfsigned.crt", cert_dir / "selfsigned.key"
    subprocess.run(
        [
            str(openssl),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "365",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert


@pytest.fixture(scope="session")
def xandikos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CalDAVServer]:
    root = tmp_path_factory.mktemp("xandikos")
    port = free_port()
    ca = _self_signed(root / "state" / "certs")
    sha = base64.b64encode(hashlib.sha1(PASSWORD.encode()).digest()).decode()
    (root / "htpasswd").write_text(f"{USER}:{{SHA}}{sha}\n")
    argv = [
        _bin("xandikos"),
        "serve",
        "-d",
        str(root / "data"),
        "--state-dir",
        str(root / "state"),
        "-l",
        "127.0.0.1",
        "-p",
        str(port),
        "--autocert",
        "--htpasswd",
        str(root / "htpasswd"),
        "--current-user-principal",
        f"/{USER}/",
        "--defaults",
    ]
    with running("xandikos", argv, port, log=root / "xandikos.log"):
        yield CalDAVServer(
            "xandikos",
            f"https://127.0.0.1:{port}/",
            f"/{USER}/calendars/",
            USER,
            PASSWORD,
            str(ca),
        )


@pytest.fixture(scope="session", params=["radicale", "xandikos"])
def caldav_server(request: pytest.FixtureRequest) -> CalDAVServer:
    """Each calendar test runs against both real servers."""
    server: CalDAVServer = request.getfixturevalue(request.param)
    return server


@pytest.fixture
def calendar_url(caldav_server: CalDAVServer) -> str:
    """A fresh, empty calendar on the server under test."""
    return caldav_server.new_calendar()


@pytest.fixture(scope="session")
def wsgidav(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDAVServer]:
    root = tmp_path_factory.mktemp("wsgidav")
    share = root / "root"
    share.mkdir()
    port = free_port()
    (root / "wsgidav.yaml").write_text(
        f"host: 127.0.0.1\nport: {port}\nserver: cheroot\n"
        f"provider_mapping:\n  '/': '{share}'\n"
        "http_authenticator:\n"
        "  domain_controller: null\n"
        "  accept_basic: true\n  accept_digest: true\n  default_to_digest: false\n"
        "simple_dc:\n  user_mapping:\n    '*':\n"
        f"      {USER}:\n        password: {WEBDAV_PASSWORD}\n"
        "lock_storage: true\nproperty_manager: true\n"
        "logging:\n  enable: false\n"
        "verbose: 1\n"
    )
    argv = [_bin("wsgidav"), "--config", str(root / "wsgidav.yaml")]
    with running("wsgidav", argv, port, log=root / "wsgidav.log"):
        yield WebDAVServer(f"http://127.0.0.1:{port}/", USER, WEBDAV_PASSWORD, share)
