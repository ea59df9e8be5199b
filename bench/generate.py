"""Generate a large programme in the hub's YAML format (deterministic for a given size)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

PARIS = ZoneInfo("Europe/Paris")
WORDS = ("communs", "atelier", "jardin", "coopérative", "savoirs", "quartier", "énergie", "habitat",
         "numérique", "soin", "culture", "droit", "alimentation", "eau", "mobilité", "archives")


def generate(sessions: int, seed: int = 2021) -> dict[str, object]:
    rng = random.Random(seed)
    days = max(3, sessions // 400)
    venues = [{"id": f"lieu-{i}", "name": f"Lieu {i}", "address": f"{i} rue des Communs, 13001 Marseille"}
              for i in range(max(13, sessions // 40))]
    first = date(2021, 11, 12)
    items = []
    for n in range(sessions):
        day = first + timedelta(days=rng.randrange(days))
        start = datetime(day.year, day.month, day.day, 8, tzinfo=PARIS) + timedelta(minutes=15 * rng.randrange(48))
        title = " ".join(rng.choice(WORDS) for _ in range(3)).capitalize()
        items.append({
            "id": f"session-{n:05d}",
            "title": f"{title} {n}",
            "start": start.isoformat(timespec="minutes"),
            "end": (start + timedelta(minutes=30 * rng.randint(1, 6))).isoformat(timespec="minutes"),
            "venue": rng.choice(venues)["id"],
            "track": rng.choice(WORDS),
            "format": rng.choice(("atelier", "plénière", "balade")),
            "hosts": [f"Collectif {rng.randrange(500)}"],
            "description": " ".join(rng.choice(WORDS) for _ in range(20)),
        })
    return {
        "event": {"id": "grand-rassemblement", "title": "Grand rassemblement", "timezone": "Europe/Paris"},
        "days": [{"date": (first + timedelta(days=i)).isoformat()} for i in range(days)],
        "venues": venues,
        "sessions": items,
    }


def write(path: Path, sessions: int) -> None:
    path.write_text(yaml.safe_dump(generate(sessions), allow_unicode=True, sort_keys=False), encoding="utf-8")
