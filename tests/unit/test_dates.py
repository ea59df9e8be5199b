"""Dates and times as each language writes them on a programme."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from sync.i18n import say_date, say_moment, say_span


def test_dates_in_french_and_english() -> None:
    assert say_date(date(2021, 11, 13), "fr") == "samedi 13 novembre"
    assert say_date(date(2021, 11, 13), "en") == "Saturday 13 November"
    assert say_date(date(2022, 8, 1), "fr") == "lundi 1 août"
    assert say_date(date(2022, 2, 3), "en") == "Thursday 3 February"


def test_dates_say_what_babels_formatter_says_every_day_of_a_leap_year() -> None:
    for offset in range(366):
        day = date(2024, 1, 1) + timedelta(days=offset)
        for lang in ("fr", "en"):
            assert say_date(day, lang) == format_date(day, "EEEE d MMMM", locale=lang)
    assert say_date(date(2024, 2, 29), "de") == say_date(date(2024, 2, 29), "fr")  # unknown: French


PARIS = ZoneInfo("Europe/Paris")


def test_times_the_way_a_programme_says_them() -> None:
    start, end = datetime(2021, 11, 13, 15, 0, tzinfo=PARIS), datetime(2021, 11, 13, 16, 30, tzinfo=PARIS)
    assert say_moment(start, "fr") == "samedi 13 novembre, 15 h"
    assert say_moment(start, "en") == "Saturday 13 November, 15:00"
    assert say_span(start, end, "fr") == "samedi 13 novembre, 15 h – 16 h 30"
    assert say_span(start, datetime(2021, 11, 14, 9, 5, tzinfo=PARIS), "en") == \
        "Saturday 13 November, 15:00 – Sunday 14 November, 09:05"
