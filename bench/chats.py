"""Chats: one announcement to 20 chats of the Telegram fake (``tests/fakes/telegram.py``), by
``hub sync`` after one session moved (default pacing kept: one message a second per chat, 20 a
minute in a group) and by Apprise's ``tgram://`` with the same HTML text to the same chats.

Apprise has no setting for the Bot API's address (its Telegram plugin holds it in the class
attribute ``NotifyTelegram.notify_url``), so its run is a small script in the benchmark's venv
that points that attribute at the fake before sending: everything else is Apprise's own code.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import tools
from bench.measure import Sample, median, run
from bench.sync_bench import REPO, move_sessions
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

CHATS = [-1001000000001 - n for n in range(20)]
CONFIG = """[hub]
programme = "programme.yaml"
database = "sqlite:///state/hub.db"
announce_delay = 0
programme_review = "never"

[connectors.telegram]
type = "telegram"
api_url = "{url}"
token_file = "token"
chats = {chats}
board = false  # announcements only: Apprise keeps no programme message either
"""
APPRISE = """
import json, sys, time
started = time.perf_counter()
import apprise
from apprise.plugins.telegram import NotifyTelegram
NotifyTelegram.notify_url = sys.argv[1]  # the fake, instead of https://api.telegram.org/bot
body = sys.stdin.read()
notifier = apprise.Apprise()
notifier.add(sys.argv[2])
imported = time.perf_counter() - started
sends, ok = [], True
for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 1):  # in a running process: several sends
    sending = time.perf_counter()
    ok = bool(notifier.notify(body=body)) and ok
    sends.append(time.perf_counter() - sending)
print(json.dumps({"ok": ok, "import_s": imported, "send_s": sends}))
sys.exit(0 if ok else 1)
"""
#: Samples of each tool's work in a running process (a few milliseconds each: cheap to repeat,
#: and noisy enough on a shared machine to need more than the whole commands' runs).
IN_PROCESS_RUNS = 9


RUNNING = """
import asyncio, json, sys, time
from pathlib import Path
sys.path.append(sys.argv[1])  # the benchmark's own helpers; the hub is the installed one
from bench.sync_bench import move_sessions
from hub.runtime import build_engine, load_settings, open_store
from sync.apply import OutboxWorker

sending = []  # each outbox pass's time: the messages sent and their fate recorded
outbox_pass = OutboxWorker.apply_all

async def timed(self, *args, **kwargs):
    started = time.perf_counter()
    try:
        return await outbox_pass(self, *args, **kwargs)
    finally:
        sending.append(time.perf_counter() - started)

OutboxWorker.apply_all = timed

async def main(config: str, runs: int) -> dict[str, list[float]]:
    settings = load_settings(config)
    store = open_store(settings)  # the daemon keeps its store open; connectors are built per sync
    found, sent = [], []
    for n in range(runs + 1):  # the first loads the modules a sync needs: not measured
        move_sessions(settings.resolve(settings.hub.programme or "programme.yaml"), 1, 60 if n % 2 == 0 else -60)
        sending.clear()
        started = time.perf_counter()
        engine = build_engine(settings, store=store)
        report = await engine.sync()
        if n:
            found.append(time.perf_counter() - started)
            sent.append(sum(sending))
        assert report.connectors["telegram"].sent == 20, report.to_json()
    return {"sync": found, "sending": sent}

print(json.dumps(asyncio.run(main(sys.argv[2], int(sys.argv[3])))))
"""


def _sent(fake: FakeTelegram, since: int) -> int:
    return sum(1 for call in fake.calls[since:] if call.method == "sendMessage" and call.status == 200)


def chats(work: Path, runs: int, apprise: bool, say: Callable[[str], None]) -> dict[str, Any]:
    folder = work / "chats"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "state").mkdir(parents=True)
    shutil.copy(REPO / "config" / "examples" / "programme.yaml", folder / "programme.yaml")
    (folder / "token").write_text(DEFAULT_TOKEN, encoding="utf-8")
    (folder / "send_with_apprise.py").write_text(APPRISE, encoding="utf-8")
    found: dict[str, list[Sample]] = {}
    sent: dict[str, list[int]] = {}
    extra: list[dict[str, Any]] = []
    fake = FakeTelegram()
    with fake.running():
        for chat in CHATS:
            fake.add_chat(chat, title=f"Groupe {chat}")
        (folder / "hub.toml").write_text(CONFIG.format(url=fake.url, chats=json.dumps(CHATS)), encoding="utf-8")
        hub = [str(tools.hub()), "sync", "--config", str(folder / "hub.toml")]
        run(hub, cwd=folder)  # the first sync announces nothing: the programme is new
        for n in range(runs):
            move_sessions(folder / "programme.yaml", 1, 60 if n % 2 == 0 else -60)
            since = len(fake.calls)
            found.setdefault("hub", []).append(run(hub, cwd=folder))
            sent.setdefault("hub", []).append(_sent(fake, since))
            if not apprise:
                continue
            text = fake.messages(CHATS[0])[-1].html or ""
            url = f"tgram://{DEFAULT_TOKEN}/{'/'.join(map(str, CHATS))}/?format=html&preview=no"
            since = len(fake.calls)
            script = str(folder / "send_with_apprise.py")
            sample = run([str(tools.python()), script, f"{fake.url}/bot", url], stdin=text)
            found.setdefault("apprise", []).append(sample)
            sent.setdefault("apprise", []).append(_sent(fake, since))
        if apprise:
            # Apprise's sending after its imports: one process sending the last text again and again.
            sample = run([str(tools.python()), script, f"{fake.url}/bot", url, str(IN_PROCESS_RUNS)], stdin=text)
            extra.extend({"send_s": t} for t in json.loads(sample.output.strip().splitlines()[-1])["send_s"])
        # The hub as the daemon runs it: modules loaded and the state open once, then each change
        # read, merged, planned, announced and recorded (connectors built anew per sync, as the
        # daemon does). Compared with Apprise's notify() after its imports (in_process_send_s).
        since = len(fake.calls)
        script = folder / "sync_running.py"
        script.write_text(RUNNING, encoding="utf-8")
        sample = run([str(tools.hub_python()), str(script), str(REPO), str(folder / "hub.toml"),
                      str(IN_PROCESS_RUNS)], cwd=folder)
        measured = json.loads(sample.output.strip().splitlines()[-1])
        running, sending = measured["sync"], measured["sending"]
        running_sent = _sent(fake, since) - len(CHATS)  # less the unmeasured first run's
    out: dict[str, Any] = {
        tool: {"median": median(samples), "samples": [s.figures() for s in samples], "sent": sent[tool]}
        for tool, samples in found.items()
    }
    out["hub"]["in_process_sync_s"] = sorted(running)[len(running) // 2]
    out["hub"]["in_process_runs"] = [round(t, 4) for t in running]
    # Of each sync, the outbox pass: the 20 messages sent and their fate recorded, as Apprise's
    # figure is its sending alone (the rest reads the file, merges, plans and announces).
    out["hub"]["in_process_sending_s"] = sorted(sending)[len(sending) // 2]
    out["hub"]["in_process_sending_runs"] = [round(t, 4) for t in sending]
    out["hub"]["in_process_sent"] = running_sent
    if extra:
        out["apprise"]["in_process_send_s"] = sorted(e["send_s"] for e in extra)[len(extra) // 2]
        out["apprise"]["in_process_runs"] = [round(e["send_s"], 4) for e in extra]
    say("chats: " + ", ".join(f"{tool} {v['median']['wall']} s ({v['sent']} sent)" for tool, v in out.items()))
    return out
