"""Reading a person's safe-contact words: what is read, what is refused, and checks across zones."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.handoff.safe_time import parse

# A Tuesday: 2026-03-10 (no daylight saving in London yet, none ever in Nairobi).
TUESDAY = datetime(2026, 3, 10, tzinfo=timezone.utc)


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return TUESDAY.replace(day=10 + day_offset, hour=hour, minute=minute)


@pytest.mark.parametrize(
    ("words", "country", "reading"),
    [
        (
            "only weekdays after 6pm UK time, he checks my phone in the mornings",
            "KE",  # she named the zone: it wins over her country's
            "Mon–Fri, 18:00–24:00 (Europe/London)",
        ),
        ("evenings", "KE", "any day, 18:00–22:00 (Africa/Nairobi)"),
        ("between 7 and 9 pm", "GB", "any day, 19:00–21:00 (Europe/London)"),
        ("Mon-Fri 18:00-21:00", "KE", "Mon–Fri, 18:00–21:00 (Africa/Nairobi)"),
        ("saturday or sunday mornings", "GB", "Sat–Sun, 06:00–12:00 (Europe/London)"),
        ("tuesdays before 9am", "GB", "Tue, 06:00–09:00 (Europe/London)"),
        ("weekends", "US", "Sat–Sun (all 29 time zones of her country)"),
    ],
)
def test_safe_contact_words_are_read_as_days_and_hours(words: str, country: str, reading: str) -> None:
    window = parse(words, country)
    assert window is not None and window.describe() == reading


@pytest.mark.parametrize(
    ("words", "country"),
    [
        ("not in the mornings", "GB"),  # negations are never read
        ("never on weekends", "GB"),
        ("any time, in this chat", "GB"),  # nothing to read: no restriction
        ("after 6pm", None),  # no country and no zone named: cannot tell her clock
        ("", "GB"),
        (None, "GB"),
        ("depois das 18h", "BR"),  # only English is read so far
    ],
)
def test_words_that_cannot_be_read_with_confidence_are_left_to_staff(
    words: str | None, country: str | None
) -> None:
    assert parse(words, country) is None


def test_whether_now_is_safe_follows_her_clock() -> None:
    window = parse("weekdays after 6pm", "KE")  # Nairobi is UTC+3
    assert window is not None
    assert window.allows(at(0, 15))  # Tuesday 18:00 in Nairobi
    assert not window.allows(at(0, 14, 59))
    assert not window.allows(at(4, 16))  # Saturday 19:00 there
    assert window.local_now(at(0, 7, 12)) == "Tue 10:12 in Africa/Nairobi"


def test_an_overnight_window_belongs_to_the_day_it_starts() -> None:
    window = parse("fridays from 10pm to 2am", "GB")
    assert window is not None
    assert window.allows(at(3, 23))  # Friday 23:00
    assert window.allows(at(4, 1))  # Saturday 01:00: still Friday night
    assert not window.allows(at(0, 1))  # Tuesday 01:00: Monday night


def test_a_country_with_several_zones_is_safe_only_where_safe_in_all() -> None:
    window = parse("between 6pm and 10pm", "MX")  # Cancun is UTC-5, Tijuana UTC-7 (UTC-8 in winter)
    assert window is not None
    assert not window.allows(at(1, 0))  # 19:00 in Cancun, 16:00 in Tijuana
    assert window.allows(at(1, 2, 30))  # 21:30 in Cancun, 18:30 in Tijuana
