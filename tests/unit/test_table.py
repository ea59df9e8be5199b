"""The report's table: every cell whole, columns lined up in a terminal's columns."""

from __future__ import annotations

from hub.table import box_table, width


def test_a_long_connector_name_is_never_cut_and_every_line_is_as_wide() -> None:
    text = box_table("Synchronisation", ["connecteur", "créés", "requêtes"],
                     [["programme", "0", "0"], ["un-nom-de-connecteur-très-long", "1000", "1001"]])
    lines = text.splitlines()
    assert "un-nom-de-connecteur-très-long" in text and "…" not in text
    assert len({width(line) for line in lines[1:]}) == 1  # the box's lines, all as wide
    assert lines[1].startswith("┏") and lines[-1].startswith("└")
    assert lines[4] == "│ programme                      │     0 │        0 │"  # figures on the right


def test_widths_count_what_a_terminal_shows() -> None:
    assert width("créés") == 5
    assert width("cre\u0301e\u0301s") == 5  # decomposed accents take no column
    assert width("会議") == 4
    text = box_table("T", ["salle"], [["会議"], ["Les 8 Pillards"]])
    assert len({width(line) for line in text.splitlines()[1:]}) == 1
