"""Review: a source's changes that are too many, or of a kind its policy watches, are *held*.

A public pad is writable by anyone with its link; a calendar can be emptied by a slip of the
hand. So, per source, what one pull would change is weighed before it is merged: when it
touches more than ``max(review_min, review_ratio x sessions)`` of the programme, in this pull
or added to what the same source changed over the rolling window, it is held (not merged, not
pushed, not announced) until an organiser accepts or rejects it with ``hub review``. Policies:

- ``never``: nothing is held (a source that empties itself still trips the mass-delete guard);
- ``mass``: the threshold above (every owned field counts, additions and removals too);
- ``deletions``: the threshold, and any removal of a session;
- ``always``: every change.

Pure functions: the engine reads the window from the change log and records the batches.
A held source's pull is not committed at all (no links, no cursor), so its next pull sees the
same divergence and the batch stays one per source. Rejecting turns the edits into *drift*:
the hub writes the canonical values back over them, as it does for fields a source may not
change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Literal

from sync.i18n import MESSAGES as WORDS
from sync.i18n import Catalogue, say_moment
from sync.merge import SourceOutcome
from sync.model import EXISTENCE, canonical_json

MESSAGES = Catalogue({
    "notice.title": {
        "fr": "⚠ Modifications en attente de relecture (lot {batch}) : {connector} changerait {sessions} séance(s).",
        "en": "⚠ Changes held for review (batch {batch}): {connector} would change {sessions} session(s).",
    },
    "notice.reason.mass": {
        "fr": "C'est plus que ce qu'une source peut changer sans relecture.",
        "en": "That is more than a source may change without review.",
    },
    "notice.reason.deletions": {
        "fr": "Cette source supprime des séances, ce qui demande une relecture.",
        "en": "This source removes sessions, which needs a review.",
    },
    "notice.reason.always": {
        "fr": "Chaque changement de cette source est relu.",
        "en": "Every change from this source is reviewed.",
    },
    "notice.change": {"fr": "{title} : {field} « {ours} » → « {theirs} »",
                      "en": "{title}: {field} “{ours}” → “{theirs}”"},
    "notice.added": {"fr": "+ {title} (nouvelle séance)", "en": "+ {title} (new session)"},
    "notice.removed": {"fr": "− {title} (supprimée)", "en": "− {title} (removed)"},
    "notice.more": {"fr": "… et {n} autre(s) changement(s).", "en": "… and {n} more change(s)."},
    "notice.nothing_sent": {
        "fr": "Rien n'a été publié. Voir : hub review {batch} ; accepter : hub review --accept {batch} ; "
              "refuser et rétablir : hub review --reject {batch}",
        "en": "Nothing was published. See: hub review {batch}; accept: hub review --accept {batch}; "
              "reject and restore: hub review --reject {batch}",
    },
})
say = MESSAGES.say
NOTICE_LINES = 8

Policy = Literal["never", "mass", "deletions", "always"]
Reason = Literal["mass", "deletions", "always"]


@dataclass(frozen=True)
class ReviewRule:
    """One source's review settings, resolved against the ``[hub]`` defaults."""

    policy: Policy = "mass"
    ratio: float = 0.2
    minimum: int = 3
    window_hours: float = 24.0

    def threshold(self, sessions: int) -> float:
        """How many sessions a source may touch (in a pull, or over the window) unreviewed."""
        return max(self.minimum, self.ratio * sessions)


def touched(outcome: SourceOutcome) -> set[str]:
    """The sessions a source's pull would change, add or remove."""
    return {key for key, _ in outcome.proposals} | set(outcome.additions) | set(outcome.removals)


def hold_reason(
    rule: ReviewRule, outcome: SourceOutcome, sessions: int, recent: Iterable[str]
) -> Reason | None:
    """Why this pull must wait for a person, or None to merge it.

    ``sessions`` is the size of the programme before the pull (an empty programme, the first
    import, is never held); ``recent`` the sessions this source changed within the window.
    """
    keys = touched(outcome)
    if not keys or rule.policy == "never" or sessions == 0:
        return None
    if rule.policy == "always":
        return "always"
    if rule.policy == "deletions" and outcome.removals:
        return "deletions"
    if len(keys) > rule.threshold(sessions) or len(keys | set(recent)) > rule.threshold(sessions):
        return "mass"
    return None


@dataclass
class HeldSummary:
    """What a held batch would do, field by field, as ``hub review`` shows it."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sessions(self) -> int:
        return len({c["session"] for c in self.changes} | {a["id"] for a in self.added}
                   | {r["id"] for r in self.removed})

    def to_json(self) -> dict[str, Any]:
        return {"changes": self.changes, "added": self.added, "removed": self.removed}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HeldSummary:
        return cls(list(data.get("changes", [])), list(data.get("added", [])), list(data.get("removed", [])))


def summarize(outcome: SourceOutcome, canonical: Mapping[str, Mapping[str, Any]]) -> HeldSummary:
    """The batch as a person reads it: each field's current value and the proposed one."""
    summary = HeldSummary()
    for (key, name), value in sorted(outcome.proposals.items()):
        current = canonical.get(key, {})
        summary.changes.append({"session": key, "title": current.get("title"), "field": name,
                                "ours": current.get(name), "theirs": value})
    for key, record in sorted(outcome.additions.items()):
        summary.added.append({"id": key, "title": record.get("title"), "start": record.get("start")})
    for key in sorted(outcome.removals):
        gone = canonical.get(key, {})
        summary.removed.append({"id": key, "title": gone.get("title"), "start": gone.get("start")})
    return summary


def digest(outcome: SourceOutcome) -> str:
    """Identifies what a pull proposes, so an accepted batch is merged only as it was reviewed."""
    body = canonical_json({
        "proposals": sorted([key, name, value] for (key, name), value in outcome.proposals.items()),
        "additions": {k: dict(v) for k, v in outcome.additions.items()},
        "removals": sorted(outcome.removals),
    })
    return hashlib.sha256(body.encode()).hexdigest()


def as_rejected(outcome: SourceOutcome) -> SourceOutcome:
    """The pull with its edits refused: nothing proposed, every touched session re-pushed.

    The source's links still record what it now holds (so the plan sees it differs); sessions
    it removed lose their link and are created there again. Sessions it added are not merged.
    """
    return SourceOutcome(
        connector=outcome.connector,
        new_links={k: v for k, v in outcome.new_links.items() if k not in outcome.additions},
        dropped_links=set(outcome.dropped_links),
        drift=set(outcome.drift) | {key for key, _ in outcome.proposals} | set(outcome.removals),
        known=outcome.known,
        problems=list(outcome.problems),
    )


@dataclass(frozen=True)
class LoggedChange:
    """One row of the change log, as a revert reads it."""

    session: str
    field: str
    old: Any
    new: Any


def revert_outcome(
    rows: Iterable[LoggedChange], canonical: Mapping[str, Mapping[str, Any]]
) -> tuple[SourceOutcome, list[str]]:
    """The changes that put every session a sync changed back to its value before that sync.

    Returns the outcome to merge (as the source ``revert``) and the sessions that cannot be
    restored (removed by that sync before removed records were kept, say).
    """
    out = SourceOutcome("revert")
    lost: list[str] = []
    for row in rows:
        if row.field == EXISTENCE:
            if row.new == "added" and row.session in canonical:
                out.removals.add(row.session)
            elif row.new is None and row.session not in canonical:
                if isinstance(row.old, Mapping):
                    out.additions[row.session] = dict(row.old)
                else:
                    lost.append(row.session)
            continue
        current = canonical.get(row.session)
        if current is None:
            if row.session not in out.additions:
                lost.append(row.session)
            continue
        # The oldest value this sync replaced wins when it changed a field twice.
        out.proposals.setdefault((row.session, row.field), row.old)
    out.proposals = {slot: value for slot, value in out.proposals.items()
                     if canonical[slot[0]].get(slot[1]) != value}
    return out, sorted(set(lost))


def change_lines(summary: Mapping[str, Any], lang: str, limit: int | None = None) -> list[str]:
    """A held batch, one line per field change, addition and removal (``limit`` shown)."""
    lines = [say("notice.change", lang, title=c.get("title") or c["session"], field=field_label(c["field"], lang),
                 ours=shown(c.get("ours"), lang), theirs=shown(c.get("theirs"), lang))
             for c in summary.get("changes", [])]
    lines += [say("notice.added", lang, title=a.get("title") or a["id"]) for a in summary.get("added", [])]
    lines += [say("notice.removed", lang, title=r.get("title") or r["id"]) for r in summary.get("removed", [])]
    if limit is not None and len(lines) > limit:
        lines = [*lines[:limit], say("notice.more", lang, n=len(lines) - limit)]
    return lines


def notice_text(payload: Mapping[str, Any], lang: str) -> str:
    """The organisers' notice for a held batch: what it would change and the commands."""
    summary = HeldSummary.from_json(payload)
    head = say("notice.title", lang, batch=payload["batch"], connector=payload["connector"],
               sessions=summary.sessions)
    reason = say(f"notice.reason.{payload.get('reason', 'mass')}", lang)
    body = "\n".join(change_lines(payload, lang, NOTICE_LINES))
    return f"{head}\n{reason}\n{body}\n{say('notice.nothing_sent', lang, batch=payload['batch'])}"


def field_label(name: str, lang: str) -> str:
    """A session field in the reader's words ('début', 'lieu')."""
    return WORDS.say(f"field.{name}", lang) if f"field.{name}" in WORDS else name


def shown(value: Any, lang: str, zone: tzinfo | None = None, limit: int = 60) -> str:
    """A field value for a person: times in words (in ``zone``, else their own offset), long
    texts cut, lists joined."""
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return say_moment(moment.astimezone(zone) if zone and moment.tzinfo else moment, lang)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
