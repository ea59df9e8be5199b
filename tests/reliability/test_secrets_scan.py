"""After a run where every server fails and echoes the request back (URL, headers, body), no
configured secret appears, in any encoding a request carries it, in what a person or a machine
reads: the logs at every level, the error messages, ``--json``, ``hub status``, ``hub check``,
and the state store.

The echo server is the worst case of a real one: a debug page, a proxy's error or an API's
"invalid request" body quoting the request. Every connector type that sends a secret points at it.
"""

from __future__ import annotations

import base64
import html
import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from tests.helpers import run_hub, write_config

#: Secrets with the characters that encodings change: + / & space, an accent, a quote.
SECRETS = {
    "calendar": "cal+Secret/pw&1 é",
    "pad": "EP+Secret/key&2 é",
    "site": "wpAB CD+EF/GH&3",
    "chat": "123456:TG-Secret_token4",
    "signal": "sig+Secret/5 'x'",
    "space": "hh+Secret/token6",
    "list": "mail+Secret/7&é",
}
USER = "hub-user"


class Echo(BaseHTTPRequestHandler):
    """Answers every request with 400 and a JSON body quoting the whole request, in the fields
    each API reads its error text from (Telegram's description, Etherpad's message...)."""

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        request = f"{self.requestline}\n{self.headers}\n{body}"
        answer = json.dumps({"ok": False, "error_code": 400, "description": request, "code": 1, "message": request,
                             "error": request, "data": None}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._echo
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def forms(secret: str) -> set[str]:
    """``secret`` as it may travel: raw, URL- and form-encoded, JSON- and HTML-escaped, base64
    alone and as HTTP Basic credentials."""
    found = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), html.escape(secret),
             json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             base64.b64encode(secret.encode()).decode().rstrip("="),
             base64.b64encode(f"{USER}:{secret}".encode()).decode().rstrip("=")}
    return found


def configure(folder: Path, url: str) -> Path:
    port = url.rsplit(":", 1)[1]
    for name, secret in SECRETS.items():
        (folder / "secrets").mkdir(parents=True, exist_ok=True)
        (folder / "secrets" / name).write_text(secret + "\n", encoding="utf-8")
    sections = f"""
[connectors.exports]
type = "files"
path = "public"

[connectors.calendar]
type = "caldav"
url = "{url}/cal/"
username = "{USER}"
password_file = "secrets/calendar"

[connectors.pad]
type = "etherpad"
url = "{url}"
pad = "programme"
api_key_file = "secrets/pad"

[connectors.site]
type = "wordpress"
url = "{url}"
username = "{USER}"
application_password_file = "secrets/site"

[connectors.chat]
type = "telegram"
token_file = "secrets/chat"
chats = [-1001]
api_url = "{url}"

[connectors.signal]
type = "signal"
url = "{url}"
number = "+33612345678"
groups = ["group.c2VjcmV0"]
username = "{USER}"
password_file = "secrets/signal"

[connectors.space]
type = "humhub"
url = "{url}"
space = "commons"
token_file = "secrets/space"

[connectors.list]
type = "email"
host = "127.0.0.1"
port = {port}
starttls = false
username = "{USER}"
password_file = "secrets/list"
from = "hub@example.org"
to = ["list@example.org"]
"""
    return write_config(folder, sections, hub_extra="timeout = 2")


def test_no_secret_survives_a_failing_run_anywhere(tmp_path: Path, echo_server: str) -> None:
    config = configure(tmp_path, echo_server)
    said = []
    for args in (["--debug", "sync"], ["sync", "--json"], ["status"], ["status", "--json"], ["--debug", "check"]):
        result = run_hub(*args, "--config", str(config), env={"HUB_LANGUAGE": "en"})
        said.append(("hub " + " ".join(args), result.stdout + result.stderr))
    sync = said[0][1]
    assert "400" in sync, "the servers answered and the run reported it"
    database = sqlite3.connect(tmp_path / "state" / "hub.db")
    said.append(("state store", "\n".join(database.iterdump())))
    database.close()
    for path in (tmp_path / "public").rglob("*"):
        if path.is_file():
            said.append((str(path.relative_to(tmp_path)), path.read_text(encoding="utf-8", errors="replace")))

    leaks = [(where, name, form) for where, text in said for name, secret in SECRETS.items()
             for form in forms(secret) if form in text]
    assert not leaks, "secrets found:\n" + "\n".join(f"{where}: {name} as {form!r}" for where, name, form in leaks)
