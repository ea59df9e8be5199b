"""The closing line of ``hub sync`` and ``hub plan``: what happened, said honestly.

"Up to date" only when every connector is: nothing failed, nothing held for review, no
conflict, no message in doubt, no problem reported. Otherwise one line per connector that
needs a look, with what to do.
"""

from __future__ import annotations

from hub.messages import say
from sync.report import Report


def closing_lines(report: Report, lang: str, *, planned: bool = False) -> list[str]:
    """The summary printed last: a head line, then one line per connector needing a look."""
    lines: list[str] = []
    for name, figures in report.connectors.items():
        bits: list[str] = []
        if figures.error:
            bits.append(say("outcome.error", lang, error=figures.error))
        if figures.failed:
            bits.append(say("outcome.failed", lang, n=figures.failed))
        if figures.held:
            bits.append(say("outcome.held", lang, n=figures.held))
        if figures.conflicts:
            bits.append(say("outcome.conflicts", lang, n=figures.conflicts))
        if figures.in_doubt:
            bits.append(say("outcome.in_doubt", lang, n=figures.in_doubt))
        if bits:
            lines.append(say("outcome.connector", lang, name=name, what=" ; ".join(bits) if lang == "fr"
                             else "; ".join(bits)))
    if report.problems:
        lines.append(say("outcome.problems", lang, n=len(report.problems)))
    if not report.up_to_date:
        return [say("outcome.attention", lang), *lines]
    written = sum(r.created + r.updated + r.deleted + r.sent for r in report.connectors.values())
    planned_ops = sum(len(ops) for ops in report.planned.values())
    if planned and planned_ops:
        return [say("outcome.would_write", lang, n=planned_ops)]
    if written or report.changes:
        return [say("outcome.done", lang, n=written, changes=len(report.changes))]
    return [say("nothing", lang)]
