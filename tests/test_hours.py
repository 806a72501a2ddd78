from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.handoff.hours import DAYS, Schedule, ScheduleError, describe_opening

UTC = UTC
NAIROBI = ZoneInfo("Africa/Nairobi")
LONDON = ZoneInfo("Europe/London")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
EXAMPLE = Path(__file__).resolve().parent.parent / "handoff-hours.example.yml"


def interval(text: str) -> tuple[time, time]:
    start, end = text.split("-")
    return time.fromisoformat(start), time.fromisoformat("00:00" if end == "24:00" else end)


def schedule(
    days: dict[str, list[str]], zone: ZoneInfo = NAIROBI, holidays: tuple[date, ...] = ()
) -> Schedule:
    weekly = {DAYS.index(day): tuple(interval(text) for text in texts) for day, texts in days.items()}
    return Schedule(timezone=zone, weekly=weekly, holidays=frozenset(holidays))


def nairobi(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=NAIROBI)


MONDAY = date(2026, 12, 7)  # the week the tests use: Monday 7 to Sunday 13 December 2026
SATURDAY = date(2026, 12, 12)
SUNDAY = date(2026, 12, 13)
WEEK = schedule(
    {
        "mon": ["08:00-20:00"],
        "tue": ["08:00-12:00", "13:00-20:00"],
        "wed": ["08:00-20:00"],
        "thu": ["08:00-20:00"],
        "fri": ["08:00-20:00"],
        "sat": ["22:00-02:00"],
    }
)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (nairobi(2026, 12, 7, 7, 59, 59), False),
        (nairobi(2026, 12, 7, 8, 0), True),
        (nairobi(2026, 12, 7, 19, 59, 59), True),
        (nairobi(2026, 12, 7, 20, 0), False),
        (nairobi(2026, 12, 13, 12, 0), False),  # Sunday: no entry, closed
    ],
)
def test_start_is_open_and_end_is_closed(at: datetime, expected: bool) -> None:
    assert WEEK.is_open(at) is expected


def test_lunch_break() -> None:
    assert WEEK.is_open(nairobi(2026, 12, 8, 11, 59))
    assert not WEEK.is_open(nairobi(2026, 12, 8, 12, 0))
    assert not WEEK.is_open(nairobi(2026, 12, 8, 12, 59))
    assert WEEK.is_open(nairobi(2026, 12, 8, 13, 0))
    assert WEEK.next_opening(nairobi(2026, 12, 8, 12, 30)) == nairobi(2026, 12, 8, 13, 0)
    assert WEEK.next_closing(nairobi(2026, 12, 8, 9, 0)) == nairobi(2026, 12, 8, 12, 0)


def test_overnight_interval_continues_into_the_next_day() -> None:
    assert not WEEK.is_open(nairobi(2026, 12, 12, 21, 59))
    assert WEEK.is_open(nairobi(2026, 12, 12, 22, 0))
    assert WEEK.is_open(nairobi(2026, 12, 13, 1, 59))
    assert not WEEK.is_open(nairobi(2026, 12, 13, 2, 0))
    assert WEEK.next_closing(nairobi(2026, 12, 12, 23, 0)) == nairobi(2026, 12, 13, 2, 0)


def test_any_timezone_in_and_the_schedules_timezone_out() -> None:
    assert WEEK.is_open(datetime(2026, 12, 7, 5, 0, tzinfo=UTC))  # 08:00 in Nairobi
    assert not WEEK.is_open(datetime(2026, 12, 7, 4, 59, tzinfo=UTC))
    opening = WEEK.next_opening(datetime(2026, 12, 7, 4, 0, tzinfo=UTC))
    assert opening == nairobi(2026, 12, 7, 8, 0)
    assert opening is not None and opening.tzinfo is NAIROBI and opening.hour == 8
    now = datetime(2026, 12, 7, 6, 15, tzinfo=UTC)
    already = WEEK.next_opening(now)
    assert already == now
    assert already is not None and already.tzinfo is NAIROBI and already.hour == 9


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        WEEK.is_open(datetime(2026, 12, 7, 9, 0))


def test_a_holiday_closes_its_local_day() -> None:
    closed_monday = schedule({"mon": ["08:00-20:00"], "tue": ["08:00-20:00"]}, holidays=(MONDAY,))
    assert not closed_monday.is_open(nairobi(2026, 12, 7, 10, 0))
    assert closed_monday.next_opening(nairobi(2026, 12, 7, 10, 0)) == nairobi(2026, 12, 8, 8, 0)
    assert closed_monday.is_open(nairobi(2026, 12, 14, 10, 0))  # only that date


def test_an_overnight_interval_belongs_to_the_day_it_starts_on() -> None:
    holiday_after = schedule({"sat": ["22:00-02:00"]}, holidays=(SUNDAY,))
    assert holiday_after.is_open(nairobi(2026, 12, 13, 1, 0))
    holiday_before = schedule({"sat": ["22:00-02:00"]}, holidays=(SATURDAY,))
    assert not holiday_before.is_open(nairobi(2026, 12, 12, 23, 0))
    assert not holiday_before.is_open(nairobi(2026, 12, 13, 1, 0))


def test_next_opening_across_a_weekend() -> None:
    example = schedule({"fri": ["08:00-20:00"], "sat": ["09:00-13:00"], "mon": ["08:00-20:00"]})
    assert example.next_opening(nairobi(2026, 12, 11, 20, 0)) == nairobi(2026, 12, 12, 9, 0)
    assert example.next_opening(nairobi(2026, 12, 12, 13, 0)) == nairobi(2026, 12, 14, 8, 0)


def test_next_opening_across_holidays() -> None:
    example = Schedule.load(EXAMPLE)  # Christmas on Friday, Boxing Day on Saturday, closed on Sunday
    assert example.next_opening(nairobi(2026, 12, 24, 20, 30)) == nairobi(2026, 12, 28, 8, 0)


def test_next_closing_runs_through_touching_and_overlapping_intervals() -> None:
    long_shift = schedule({"mon": ["00:00-24:00"], "tue": ["00:00-06:00", "05:00-09:00"]})
    assert long_shift.next_closing(nairobi(2026, 12, 7, 10, 0)) == nairobi(2026, 12, 8, 9, 0)
    nights = schedule({"mon": ["22:00-02:00"], "tue": ["01:00-03:00"]})
    assert nights.next_closing(nairobi(2026, 12, 7, 23, 0)) == nairobi(2026, 12, 8, 3, 0)


def test_closed_or_never_open() -> None:
    assert WEEK.next_closing(nairobi(2026, 12, 13, 12, 0)) is None
    never = schedule({})
    assert not never.is_open(nairobi(2026, 12, 7, 9, 0))
    assert never.next_opening(nairobi(2026, 12, 7, 9, 0)) is None


def test_next_opening_looks_a_year_ahead_and_no_further() -> None:
    sunday = nairobi(2026, 12, 6, 12, 0)
    mondays = tuple(MONDAY + timedelta(weeks=week) for week in range(53))
    one_monday_left = schedule({"mon": ["08:00-20:00"]}, holidays=mondays[:52])
    assert one_monday_left.next_opening(sunday) == nairobi(2027, 12, 6, 8, 0)
    no_monday_left = schedule({"mon": ["08:00-20:00"]}, holidays=mondays)
    assert no_monday_left.next_opening(sunday) is None


def test_always_open() -> None:
    always = Schedule.always_open()
    for at in (nairobi(2026, 12, 13, 3, 0), datetime(2027, 3, 28, 12, 30, tzinfo=LONDON)):
        assert always.is_open(at)
        assert always.next_opening(at) == at
        assert always.next_closing(at) is None


def test_hours_follow_the_wall_clock_across_dst() -> None:
    daily = schedule({day: ["09:00-17:00"] for day in DAYS}, LONDON)
    saturday = daily.next_opening(datetime(2026, 3, 28, 0, 0, tzinfo=UTC))
    assert saturday == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    # Clocks go forward on Sunday 29 March 2026: 09:00 is now 08:00 UTC.
    sunday = daily.next_opening(datetime(2026, 3, 28, 18, 0, tzinfo=UTC))
    assert sunday == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert daily.is_open(datetime(2026, 3, 29, 15, 59, tzinfo=UTC))
    assert not daily.is_open(datetime(2026, 3, 29, 16, 0, tzinfo=UTC))


def test_an_overnight_interval_across_dst_changes() -> None:
    nights = schedule({"sat": ["22:00-02:00"]}, LONDON)
    # Spring forward: 22:00 GMT to 02:00 BST is three hours.
    assert nights.is_open(datetime(2026, 3, 29, 0, 59, tzinfo=UTC))
    assert not nights.is_open(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    closing = nights.next_closing(datetime(2026, 3, 28, 23, 0, tzinfo=LONDON))
    assert closing == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert closing is not None and closing.hour == 2
    # Fall back: 22:00 BST to 02:00 GMT is five hours, through 01:00-02:00 twice.
    assert not nights.is_open(datetime(2026, 10, 24, 20, 59, tzinfo=UTC))
    assert nights.is_open(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert not nights.is_open(datetime(2026, 10, 25, 2, 0, tzinfo=UTC))


def test_a_wall_time_the_clock_skips_opens_when_the_clock_jumps() -> None:
    # São Paulo went from 00:00 straight to 01:00 on 4 November 2018.
    early = schedule({day: ["00:00-06:00"] for day in DAYS}, SAO_PAULO)
    opening = early.next_opening(datetime(2018, 11, 3, 23, 0, tzinfo=SAO_PAULO))
    assert opening == datetime(2018, 11, 4, 3, 0, tzinfo=UTC)
    assert opening is not None and opening.hour == 1


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hours.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_reads_every_form(tmp_path: Path) -> None:
    loaded = Schedule.load(
        write(
            tmp_path,
            "timezone: Europe/London\n"
            "weekly:\n"
            '  mon: ["08:00-12:00", "13:00 - 24:00"]\n'
            '  sat: ["22:00-02:00"]\n'
            "  sun:\n"
            "holidays: [2026-12-25, '2027-01-01']\n",
        )
    )
    assert loaded.timezone == LONDON
    assert dict(loaded.weekly) == {
        0: (interval("08:00-12:00"), interval("13:00-24:00")),
        5: (interval("22:00-02:00"),),
        6: (),
    }
    assert loaded.holidays == {date(2026, 12, 25), date(2027, 1, 1)}
    assert loaded.is_open(datetime(2026, 12, 7, 23, 59, tzinfo=LONDON))


VALID = {
    "timezone": "timezone: Africa/Nairobi\n",
    "weekly": 'weekly:\n  mon: ["08:00-20:00"]\n',
    "holidays": 'holidays: ["2026-12-25"]\n',
}


@pytest.mark.parametrize(
    ("part", "text", "offending"),
    [
        ("timezone", "timezone: Mars/Olympus_Mons\n", "'Mars/Olympus_Mons'"),
        ("timezone", "timezone: ../../etc/passwd\n", "'../../etc/passwd'"),
        ("timezone", "timezone:\n", "timezone must be"),
        ("weekly", 'weekly:\n  monday: ["08:00-20:00"]\n', "unknown day 'monday'"),
        ("weekly", 'weekly:\n  mon: ["8-20"]\n', "'8-20'"),
        ("weekly", 'weekly:\n  mon: ["08:00-25:00"]\n', "'08:00-25:00' is out of range"),
        ("weekly", 'weekly:\n  mon: ["24:00-02:00"]\n', "'24:00-02:00' is out of range"),
        ("weekly", 'weekly:\n  mon: ["09:00-09:00"]\n', "'09:00-09:00' is empty"),
        ("weekly", 'weekly:\n  mon: "08:00-20:00"\n', "weekly.mon: expected a list"),
        ("weekly", 'weekly: ["08:00-20:00"]\n', "weekly must map day names"),
        ("holidays", "holidays: [2026-02-30]\n", "'2026-02-30'"),
        ("holidays", 'holidays: ["Christmas"]\n', "'Christmas'"),
        ("holidays", 'holidays: "2026-12-25"\n', "holidays must be a list"),
    ],
)
def test_load_names_each_kind_of_problem(tmp_path: Path, part: str, text: str, offending: str) -> None:
    path = write(tmp_path, "".join(text if key == part else valid for key, valid in VALID.items()))
    with pytest.raises(ScheduleError, match="has problems") as raised:
        Schedule.load(path)
    assert offending in str(raised.value)


def test_load_reports_every_problem_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "timezone: Africa/Narobi\n"
        "opening_hours: always\n"
        "weekly:\n"
        '  mon: ["08:00-20:00", "8am-8pm", "10:00-10:00"]\n'
        '  funday: ["10:00-12:00"]\n'
        '  sat: ["09:00-13:60"]\n'
        'holidays: ["2026-12-25", "2026-13-01"]\n',
    )
    with pytest.raises(ScheduleError) as raised:
        Schedule.load(path)
    message = str(raised.value)
    for offending in (
        "'Africa/Narobi'",
        "'opening_hours'",
        "'8am-8pm'",
        "'10:00-10:00'",
        "'funday'",
        "'09:00-13:60'",
    ):
        assert offending in message
    assert "'2026-13-01'" in message
    assert message.count("\n- ") == 7


@pytest.mark.parametrize("text", ["weekly: [unclosed\n", "- just\n- a list\n"])
def test_load_refuses_a_file_that_is_not_a_schedule(tmp_path: Path, text: str) -> None:
    with pytest.raises(ScheduleError, match=str(tmp_path)):
        Schedule.load(write(tmp_path, text))


def test_load_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="cannot read"):
        Schedule.load(tmp_path / "nowhere.yml")


def test_the_example_file_loads() -> None:
    example = Schedule.load(EXAMPLE)
    assert example.timezone.key == "Africa/Nairobi"
    assert example.is_open(nairobi(2026, 12, 7, 8, 0))  # Monday
    assert example.is_open(nairobi(2026, 12, 5, 12, 59))  # Saturday morning
    assert not example.is_open(nairobi(2026, 12, 5, 13, 0))
    assert not example.is_open(nairobi(2026, 12, 6, 12, 0))  # Sunday
    assert not example.is_open(nairobi(2026, 12, 25, 12, 0))  # Christmas, a Friday


def test_describe_opening_in_english() -> None:
    assert describe_opening(nairobi(2026, 12, 7, 9, 0), "en") == "Monday 09:00 (Nairobi Time)"
    assert describe_opening(datetime(2026, 7, 6, 17, 30, tzinfo=LONDON), "en") == "Monday 17:30 (London Time)"


@pytest.mark.parametrize(
    ("language", "weekday", "city"),
    [
        ("es", "lunes", "Nairobi"),
        ("pt", "segunda-feira", "Nairóbi"),
        ("fr", "lundi", "Nairobi"),
        ("sw", "Jumatatu", "Nairobi"),
        ("hi", "सोमवार", "नैरोबी"),
        ("ar", "الاثنين", "نيروبي"),
    ],
)
def test_describe_opening_speaks_the_persons_language(language: str, weekday: str, city: str) -> None:
    text = describe_opening(nairobi(2026, 12, 7, 9, 0), language)
    assert weekday in text
    assert city in text
    assert "9:00" in text
    assert "Monday" not in text


def test_load_refuses_a_helpline_that_never_opens(tmp_path: Path) -> None:
    path = tmp_path / "hours.yml"
    path.write_text("timezone: UTC\nweekly:\n  sun: []\n")
    with pytest.raises(ScheduleError, match="never opens"):
        Schedule.load(path)
