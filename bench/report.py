"""``bench/results.md`` from the results: the issue's targets and whether each holds, one table per
case, and the machine the figures come from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Results = dict[str, Any]


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.{digits}f}"
    return f"{int(value):,}"


def _size(value: Any) -> str:
    if value is None:
        return "n/a"
    value = float(value)
    for unit, scale in (("MB", 1e6), ("KB", 1e3)):
        if value >= scale:
            return f"{value / scale:,.1f} {unit}"
    return f"{int(value)} B"


def _ratio(a: Any, b: Any) -> str:
    if a is None or b in (None, 0):
        return "n/a"
    return f"{a / b:.2f}x"


def _case(results: Results, sink: str, sessions: int) -> dict[str, Any] | None:
    for case in results.get("sync", []):
        if case["sink"] == sink and case["sessions"] == sessions:
            found: dict[str, Any] = case
            return found
    return None


def _phase(results: Results, sink: str, sessions: int, phase: str, tool: str) -> dict[str, Any] | None:
    case = _case(results, sink, sessions)
    if case is None or tool not in case["phases"].get(phase, {}):
        return None
    median: dict[str, Any] = case["phases"][phase][tool]["median"]
    return median


def _per_write(figures: dict[str, Any] | None, writes: int) -> float | None:
    """Bytes of an event as sent: the PUT bodies over the PUTs (the request heads, which each
    HTTP library writes its own way, are not the event)."""
    if figures is None or not writes or not figures.get("puts"):
        return None
    value: float = figures["put_body_bytes"] / figures["puts"]
    return value


Check = tuple[str, str, bool | None]


def targets(results: Results) -> list[Check]:
    """(target, measured, holds: True, False or None when not measured in this run)."""
    out: list[Check] = []

    def add(target: str, measure: Callable[[], tuple[str, bool] | None]) -> None:
        try:
            found = measure()
        except (KeyError, TypeError):
            found = None
        out.append((target, found[0], found[1]) if found else (target, "not measured in this run", None))

    startup = results.get("startup", {})

    def start(name: str, limit: float) -> tuple[str, bool] | None:
        if name not in startup:
            return None
        wall = startup[name]["median"]["wall"]
        return f"{wall:.3f} s ({results['startup_sessions']:,} sessions)", wall < limit and (
            name == "hub --help" or results["startup_sessions"] >= 10_000)

    add("`hub --help` under 0.3 s", lambda: start("hub --help", 0.3))
    add("`hub status` under 0.3 s (10,000 sessions)", lambda: start("hub status", 0.3))
    add("`hub ask` under 0.5 s from the command line (10,000 sessions)", lambda: start("hub ask", 0.5))

    def big(phase: str, tool: str = "hub") -> dict[str, Any] | None:
        return _phase(results, "radicale", 10_000, phase, tool)

    def noop_cpu() -> tuple[str, bool] | None:
        hub, vdir = big("no-op"), big("no-op", "vdirsyncer")
        if hub is None or vdir is None:
            return None
        return (f"hub {hub['cpu']:.2f} s, vdirsyncer {vdir['cpu']:.2f} s ({_ratio(hub['cpu'], vdir['cpu'])})",
                hub["cpu"] <= 0.1 * vdir["cpu"] and hub["cpu"] < 0.35)

    add("No-op at 10,000: client CPU at most 0.1x vdirsyncer's and under 0.35 s", noop_cpu)

    def noop_rss() -> tuple[str, bool] | None:
        hub = big("no-op")
        return None if hub is None else (f"{hub['rss_mib']:.0f} MiB", hub["rss_mib"] < 100)

    add("No-op at 10,000: peak memory under 100 MiB", noop_rss)

    def one() -> tuple[str, bool] | None:
        hub = big("1 change")
        return None if hub is None else (f"{hub['cpu']:.2f} s", hub["cpu"] < 1.0)

    add("One change at 10,000: client CPU under 1 s", one)

    def hundred() -> tuple[str, bool] | None:
        hub, vdir = big("100 changes"), big("100 changes", "vdirsyncer")
        if hub is None or vdir is None:
            return None
        return (f"hub {hub['wall']:.2f} s, vdirsyncer {vdir['wall']:.2f} s ({_ratio(hub['wall'], vdir['wall'])})",
                hub["wall"] <= vdir["wall"])

    add("100 changes at 10,000: wall time at most vdirsyncer's", hundred)

    def sizes() -> tuple[str, bool] | None:
        sessions = max((c["sessions"] for c in results.get("sync", []) if c["sink"] == "radicale"), default=0)
        hub = _per_write(_phase(results, "radicale", sessions, "100 changes", "hub"), 100)
        vdir = _per_write(_phase(results, "radicale", sessions, "100 changes", "vdirsyncer"), 100)
        if hub is None or vdir is None:
            return None
        return (f"{hub:,.0f} B per event written (hub) vs {vdir:,.0f} B (vdirsyncer), 100 changes at {sessions:,}",
                hub <= vdir)

    add("Events no larger than vdirsyncer sends for the same session (it sends the hub's events as Radicale "
        "keeps them; PUT bodies, without the request heads)", sizes)

    def first() -> tuple[str, bool] | None:
        hub, vdir = _phase(results, "radicale", 1_000, "first", "hub"), _phase(
            results, "radicale", 1_000, "first", "vdirsyncer")
        case = _case(results, "radicale", 1_000)
        if hub is None or vdir is None or case is None or case.get("seeded"):
            return None
        return (f"hub {hub['wall']:.1f} s, vdirsyncer {vdir['wall']:.1f} s ({_ratio(hub['wall'], vdir['wall'])})",
                hub["wall"] <= vdir["wall"])

    add("First sync of 1,000 events (empty calendar): at most vdirsyncer's time", first)

    def chats_running() -> tuple[str, bool] | None:
        found = results.get("chats", {})
        hub = found.get("hub", {}).get("in_process_sync_s")
        apprise = found.get("apprise", {}).get("in_process_send_s")
        if hub is None or apprise is None:
            return None
        sending = found.get("hub", {}).get("in_process_sending_s")
        part = f"; of it, sending and recording the 20 messages {sending:.3f} s" if sending is not None else ""
        return (f"hub {hub:.3f} s (a whole sync: read, plan, send, record{part}), Apprise {apprise:.3f} s "
                f"(sending) ({_ratio(hub, apprise)})", hub <= apprise)

    add("One announcement to 20 Telegram chats, in a running process (the daemon; Apprise after its imports): "
        "at most Apprise's time, pacing kept", chats_running)

    def chats() -> tuple[str, bool] | None:
        found = results.get("chats", {})
        if "hub" not in found or "apprise" not in found:
            return None
        hub, apprise = found["hub"]["median"]["wall"], found["apprise"]["median"]["wall"]
        return f"hub {hub:.2f} s, Apprise {apprise:.2f} s ({_ratio(hub, apprise)})", hub <= apprise

    add("The same as whole commands (`hub sync` and Apprise, start-up included): at most Apprise's time", chats)

    def bots() -> tuple[str, bool] | None:
        found = results.get("bots")
        if not found:
            return None
        return f"p99 {found['p99_ms']:.1f} ms ({found['sessions']:,} sessions)", found["p99_ms"] < 50

    add("Bots: p99 under 50 ms in process on 10,000 sessions", bots)
    return out


def _verdict(holds: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "—"}[holds]


def markdown(results: Results) -> str:
    machine = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"`{results['command']}`, {results['finished']} (took {results['seconds'] / 60:.1f} min). "
        f"Medians of {results['runs']} runs per phase unless a table says otherwise; the hub and vdirsyncer "
        "take turns on the same server. Wall and CPU in seconds (CPU: user + system of the command's own "
        "process), peak resident memory in MiB, requests and bytes counted at a loopback proxy in front of "
        "the server. Seconds drift with the machine's load; ratios hold better.",
        "",
        f"Code: `{machine.get('revision', 'unknown')}` (\"-dirty\": with changes not yet committed). "
        f"Machine: {machine['cores']} cores, load average {machine['load_before']} before and "
        f"{machine['load_after']} after; {machine['platform']}; Python {machine['python']}; Radicale's storage on "
        f"{machine.get('radicale_storage', 'disk')}. Versions: "
        + ", ".join(f"{name} {version}" for name, version in machine["versions"].items()) + ".",
        "",
        "## Targets (issue 20)",
        "",
        "| target | measured | holds |",
        "|---|---|---|",
    ]
    for target, measured, holds in targets(results):
        lines.append(f"| {target} | {measured} | {_verdict(holds)} |")
    for case in results.get("sync", []):
        lines += ["", *_case_table(case)]
    if "startup" in results:
        lines += ["", f"## Start-up ({results['startup_sessions']:,} sessions in the state)", "",
                  "| command | wall | CPU | peak MiB | runs |", "|---|---|---|---|---|"]
        for name, found in results["startup"].items():
            m = found["median"]
            lines.append(f"| `{name}` | {_num(m['wall'], 3)} | {_num(m['cpu'], 3)} | {_num(m['rss_mib'], 0)} "
                         f"| {m['runs']} |")
    if "chats" in results:
        lines += ["", "## Chats: one announcement to 20 chats of the Telegram fake", "",
                  "The whole command (start-up included): `hub sync` after one session moved (default pacing: "
                  "a second between two messages to one chat, 20 a minute in a group), and Apprise's "
                  "`tgram://` with the same HTML text to the same chats.", "",
                  "| tool | wall | CPU | peak MiB | messages sent |", "|---|---|---|---|---|"]
        for tool, found in results["chats"].items():
            m = found["median"]
            lines.append(f"| {tool} | {_num(m['wall'], 3)} | {_num(m['cpu'], 3)} | {_num(m['rss_mib'], 0)} "
                         f"| {', '.join(map(str, found['sent']))} |")
        theirs = results["chats"].get("apprise", {})
        if "in_process_send_s" in theirs:
            runs = ", ".join(f"{t:.3f}" for t in theirs.get("in_process_runs", []))
            lines += ["", f"Apprise's sending alone (after its imports, one process sending again and again): "
                          f"median {theirs['in_process_send_s']:.3f} s" + (f" (runs: {runs} s)." if runs else ".")]
        hub = results["chats"].get("hub", {})
        if "in_process_sync_s" in hub:
            runs = ", ".join(f"{t:.3f}" for t in hub["in_process_runs"])
            lines += ["", f"The hub in a running process, as the daemon runs it (modules loaded and the state "
                          f"open once; connectors built for each sync): the whole sync after one session moved, "
                          f"from reading the file to the 20th message recorded: median "
                          f"{hub['in_process_sync_s']:.3f} s (runs: {runs} s; {hub['in_process_sent']} messages "
                          f"sent)."]
            if "in_process_sending_s" in hub:
                runs = ", ".join(f"{t:.3f}" for t in hub["in_process_sending_runs"])
                lines += ["", f"Of each of those syncs, the outbox pass (the 20 messages sent, eight chats at a "
                              f"time, each one's fate recorded before and after it goes): median "
                              f"{hub['in_process_sending_s']:.3f} s (runs: {runs} s)."]
    if "bots" in results:
        b = results["bots"]
        lines += ["", "## Bots (in process)", "",
                  f"{b['questions']:,} questions on {b['sessions']:,} sessions: p50 {b['p50_ms']:.1f} ms, "
                  f"p99 {b['p99_ms']:.1f} ms, slowest {b['max_ms']:.1f} ms (index built in {b['index_ms']:.0f} ms)."]
    for note in results.get("notes", []):
        lines += ["", note]
    return "\n".join(lines) + "\n"


def _case_table(case: dict[str, Any]) -> list[str]:
    sessions, phases = case["sessions"], case["phases"]
    if case["sink"] == "files":
        lines = [f"## {sessions:,} sessions into the files sink (hub only)", "",
                 "| phase | wall | CPU | peak MiB | requests | runs |", "|---|---|---|---|---|---|"]
        for phase, tools in phases.items():
            m = tools["hub"]["median"]
            lines.append(f"| {phase} | {_num(m['wall'], 3)} | {_num(m['cpu'], 3)} | {_num(m['rss_mib'], 0)} | n/a "
                         f"| {m['runs']} |")
        return lines
    lines = [f"## {sessions:,} sessions into Radicale: hub and vdirsyncer", ""]
    lines += [f"{note}." for note in case["notes"]] + ([""] if case["notes"] else [])
    lines += ["| phase | hub wall / CPU / MiB | vdirsyncer wall / CPU / MiB | hub / vdirsyncer wall (CPU) "
              "| requests hub / vdirsyncer | sent / received, hub | sent / received, vdirsyncer |",
              "|---|---|---|---|---|---|---|"]
    for phase, tools in phases.items():
        h = tools["hub"]["median"]
        v = tools.get("vdirsyncer", {}).get("median")
        vdir = f"{_num(v['wall'], 2)} / {_num(v['cpu'], 2)} / {_num(v['rss_mib'], 0)}" if v else "not run"
        lines.append(
            f"| {phase} (runs: {h['runs']}) | {_num(h['wall'], 2)} / {_num(h['cpu'], 2)} / {_num(h['rss_mib'], 0)} "
            f"| {vdir} | {_ratio(h['wall'], v and v['wall'])} ({_ratio(h['cpu'], v and v['cpu'])}) "
            f"| {_num(h['requests'])} / {_num(v and v['requests'])} "
            f"| {_size(h['bytes_up'])} / {_size(h['bytes_down'])} "
            f"| {_size(v and v['bytes_up'])} / {_size(v and v['bytes_down'])} |")
    return lines


def headline(results: Results) -> str:
    """The README's table: the headline ratios, quoted from a run's results."""
    rows = ["| case | hub: wall / CPU / peak MiB | other tool: wall / CPU / peak MiB | hub / other (wall, CPU) |",
            "|---|---|---|---|"]

    def row(label: str, hub: dict[str, Any] | None, other: dict[str, Any] | None) -> None:
        if hub is None:
            return
        theirs = f"{other['wall']:.2f} s / {other['cpu']:.2f} s / {other['rss_mib']:.0f}" if other else "—"
        ratios = f"{_ratio(hub['wall'], other['wall'])}, {_ratio(hub['cpu'], other['cpu'])}" if other else "—"
        rows.append(f"| {label} | {hub['wall']:.2f} s / {hub['cpu']:.2f} s / {hub['rss_mib']:.0f} | {theirs} "
                    f"| {ratios} |")

    sessions = max((c["sessions"] for c in results.get("sync", []) if c["sink"] == "radicale"), default=0)
    seeded = bool((_case(results, "radicale", sessions) or {}).get("seeded"))
    for phase, label in PHASE_LABELS.items():
        if phase == "first" and seeded:
            label = "first sync, the calendar already holding the events"
        row(f"{sessions:,} sessions, {label} (vdirsyncer)", _phase(results, "radicale", sessions, phase, "hub"),
            _phase(results, "radicale", sessions, phase, "vdirsyncer"))
    case = _case(results, "radicale", 1_000)
    if case is not None and not case.get("seeded"):
        row("1,000 sessions, first sync into an empty calendar (vdirsyncer)",
            _phase(results, "radicale", 1_000, "first", "hub"),
            _phase(results, "radicale", 1_000, "first", "vdirsyncer"))
    if "chats" in results:
        row("one announcement to 20 Telegram chats, whole commands (Apprise)", results["chats"]["hub"]["median"],
            results["chats"].get("apprise", {}).get("median"))
        hub, apprise = results["chats"]["hub"].get("in_process_sync_s"), \
            results["chats"].get("apprise", {}).get("in_process_send_s")
        if hub is not None:
            theirs = f"{apprise:.3f} s (its sending)" if apprise is not None else "—"
            rows.append(f"| the same in a running process: the hub's whole sync as the daemon runs it (Apprise) "
                        f"| {hub:.3f} s (wall) | {theirs} | {_ratio(hub, apprise) if apprise else '—'} |")
            sending = results["chats"]["hub"].get("in_process_sending_s")
            if sending is not None:
                rows.append(f"| of that sync, sending the 20 messages and recording each one's fate (Apprise) "
                            f"| {sending:.3f} s (wall) | {theirs} | {_ratio(sending, apprise) if apprise else '—'} |")
    for name, found in results.get("startup", {}).items():
        row(f"`{name}`, {results['startup_sessions']:,} sessions", found["median"], None)
    return "\n".join(rows) + "\n"


PHASE_LABELS = {"first": "first sync", "no-op": "no-op", "1 change": "one change", "100 changes": "100 changes"}


if __name__ == "__main__":
    import json
    import sys
    from pathlib import Path

    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results.json")
    print(headline(json.loads(source.read_text(encoding="utf-8"))), end="")
