"""Nothing is pushed on bad input: ``hub sync`` on a damaged programme file exits 2 with the
file's problems, and the files sink's outputs stay exactly as the last good sync wrote them."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import hub_json, write_config

FILES = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'

#: What a person may save by mistake, and a word of what the hub should say about it. Each of
#: these once escaped the reader: a day's date out of range raised ValueError, a long time
#: zone name OSError (a traceback, exit 1), and rules given as a list went into the programme
#: unchecked and raised TypeError when it was recorded. The fuzz tests cover the other damages.
DAMAGES = {
    "bad day": ("date: 2021-11-13", "date: 2021-13-45", "2021-13-45"),
    "zone name too long": ("  timezone: Europe/Paris", "  timezone: Europe/" + "x" * 300, "timezone"),
    "rules not plain": ("  rules:", "  rules: [1, 2]\n  x-old-rules:", "rules"),
}


def outputs(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in sorted(folder.iterdir())}


def test_a_damaged_programme_pushes_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, FILES)
    programme = tmp_path / "programme.yaml"
    good = programme.read_text(encoding="utf-8")
    hub_json("sync", "--config", str(config))
    before = outputs(tmp_path / "public")
    assert set(before) == {"index.html", "programme.ics", "programme.json"}

    for name, (old, new, said) in DAMAGES.items():
        assert old in good, name
        programme.write_text(good.replace(old, new, 1), encoding="utf-8")
        report = hub_json("sync", "--config", str(config), expect=2)
        assert said in str(report), f"{name}: {report}"
        assert "programme.yaml" in str(report), f"{name}: the file is named"
        assert outputs(tmp_path / "public") == before, f"{name}: the exports were written"

    programme.write_text(good + "\n" * 10, encoding="utf-8")
    report = hub_json("sync", "--config", str(config), env={"HUB_HUB__MAX_PROGRAMME_BYTES": "1000"}, expect=2)
    assert "max_programme_bytes (1,000)" in str(report)
    assert outputs(tmp_path / "public") == before
