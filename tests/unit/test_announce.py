"""Change lists and the announcement text people read, in French and English."""

from __future__ import annotations

from sync.announce import Announcement, classify, diff_versions, render_change
from tests.helpers import reference_programme

PROGRAMME = reference_programme()
VENUES = PROGRAMME.venues


def record(key: str, **changes: object) -> dict[str, object]:
    return {**PROGRAMME.sessions[key].to_record(), **changes}


def test_kinds() -> None:
    base = record("atelier-culture-juridique")
    assert classify(base, record("atelier-culture-juridique", start="2021-11-13T15:00:00+01:00")).kind == "retimed"
    assert classify(base, record("atelier-culture-juridique", venue="apres-m")).kind == "moved"
    assert classify(base, record("atelier-culture-juridique", venue="apres-m",
                                 start="2021-11-13T15:00:00+01:00")).kind == "moved"
    assert classify(base, record("atelier-culture-juridique", title="Droit des communs")).kind == "renamed"
    assert classify(base, record("atelier-culture-juridique", status="cancelled")).kind == "cancelled"
    assert classify(base, record("atelier-culture-juridique", hosts=["Juristes"])).kind == "edited"
    assert classify(None, base).kind == "added"  # type: ignore[union-attr]
    assert classify(base, None).kind == "removed"  # type: ignore[union-attr]
    assert classify(base, dict(base)) is None


def test_the_example_of_the_collective_in_both_languages() -> None:
    change = classify(record("atelier-culture-juridique"),
                      record("atelier-culture-juridique", start="2021-11-13T15:00:00+01:00",
                             end="2021-11-13T17:30:00+01:00", venue="huit-pillards", hosts=["x"]))
    assert change is not None
    retime = classify(record("atelier-culture-juridique"),
                      record("atelier-culture-juridique", start="2021-11-13T15:00:00+01:00",
                             end="2021-11-13T17:30:00+01:00"))
    assert retime is not None
    assert render_change(retime, VENUES, "fr") == "Culture juridique : déplacé de 14 h à 15 h"
    assert render_change(retime, VENUES, "en") == "Culture juridique: moved from 14:00 to 15:00"
    moved = classify(record("atelier-travail-contribution"),
                     record("atelier-travail-contribution", start="2021-11-13T10:30:00+01:00", venue="huit-pillards"))
    assert moved is not None
    assert render_change(moved, VENUES, "fr") == "Travail et contribution : déplacé de 10 h à 10 h 30, Les 8 Pillards"


def test_a_move_to_another_day_says_the_days() -> None:
    change = classify(record("restitution"), record("restitution", start="2021-11-13T15:30:00+01:00",
                                                    end="2021-11-13T17:45:00+01:00"))
    assert change is not None
    assert render_change(change, VENUES, "fr") == (
        "Prendre soin des communs : la restitution : déplacé de vendredi 12 novembre, 15 h 30 "
        "à samedi 13 novembre, 15 h 30")


def test_cancellation_and_addition() -> None:
    cancelled = classify(record("accueil-cafe"), record("accueil-cafe", status="cancelled"))
    assert cancelled is not None
    said = render_change(cancelled, VENUES, "fr")
    assert said == "Accueil café : les grandes tables (dimanche 14 novembre, 9 h 30) : annulé"
    added = classify(None, record("accueil-cafe"))
    assert added is not None
    assert render_change(added, VENUES, "en") == (
        "New: Accueil café : les grandes tables, Sunday 14 November, 09:30 – 10:00, Friche la Belle de Mai")


def test_back_and_forth_says_nothing() -> None:
    before = {"a": record("restitution")}
    assert diff_versions(before, {"a": dict(before["a"])}) == []


def test_user_text_is_escaped_per_format() -> None:
    change = classify(record("restitution"), record("restitution", title="<b>*Fête*</b> & [lien](x)"))
    assert change is not None
    announcement = Announcement((change,), VENUES)
    html = announcement.render("fr", "html")
    assert "<b>*Fête*</b>" not in html and "&lt;b&gt;*Fête*&lt;/b&gt; &amp;" in html
    markdown = announcement.render("en", "markdown")
    assert "\\*Fête\\*" in markdown and "\\[lien\\]\\(x\\)" in markdown
    assert announcement.id == Announcement((change,), VENUES).id
