"""Reading a person's safe-contact words: what is read, what is refused, and checks across zones."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest

from bot.handoff.safe_time import parse
from bot.language.i18n import Catalogs

# A Tuesday: 2026-03-10 (no daylight saving in London yet, none ever in Nairobi).
TUESDAY = datetime(2026, 3, 10, tzinfo=UTC)


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
    assert window is not None and window.describe(str, "en") == reading


@pytest.mark.parametrize(
    ("words", "country"),
    [
        ("not in the mornings", "GB"),  # negations are never read
        ("never on weekends", "GB"),
        ("any time, in this chat", "GB"),  # nothing to read: no restriction
        ("after 6pm", None),  # no country and no zone named: cannot tell her clock
        ("", "GB"),
        (None, "GB"),
        ("depois das 18h", "BR"),  # Portuguese words, read as English: nothing to read
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
    assert window.local_now(at(0, 7, 12), str, "en") == "Tue 10:12 in Africa/Nairobi"


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


@pytest.mark.parametrize(
    ("words", "language", "country", "reading"),
    [
        ("lundi après 18h", "fr", "FR", "Mon, 18:00–24:00 (Europe/Paris)"),
        ("du lundi au vendredi entre 19h et 21h", "fr", "FR", "Mon–Fri, 19:00–21:00 (Europe/Paris)"),
        ("mon téléphone est libre le soir", "fr", "FR", "any day, 18:00–22:00 (Europe/Paris)"),  # not "Mon"
        (
            "de lunes a viernes después de las 6 de la tarde",
            "es",
            "CO",
            "Mon–Fri, 18:00–24:00 (America/Bogota)",
        ),
        ("entre las 7 y las 9 de la noche", "es", "CO", "any day, 19:00–21:00 (America/Bogota)"),
        ("los fines de semana por la mañana", "es", "CO", "Sat–Sun, 06:00–12:00 (America/Bogota)"),
        ("segunda a sexta das 19h às 21h", "pt", "MZ", "Mon–Fri, 19:00–21:00 (Africa/Maputo)"),
        ("sábado depois das 18h", "pt", "MZ", "Sat, 18:00–24:00 (Africa/Maputo)"),
        ("jumatatu 18:00", "sw", "KE", "Mon (Africa/Nairobi)"),
        ("jumatatu hadi ijumaa jioni", "sw", "KE", "Mon–Fri, 18:00–22:00 (Africa/Nairobi)"),
        # Swahili time: saa kumi na mbili jioni is 18:00, saa mbili usiku 20:00.
        ("baada ya saa kumi na mbili jioni", "sw", "KE", "any day, 18:00–24:00 (Africa/Nairobi)"),
        ("saa 2 usiku hadi saa 4 usiku", "sw", "KE", "any day, 20:00–22:00 (Africa/Nairobi)"),
        ("शाम 6 बजे के बाद", "hi", "IN", "any day, 18:00–24:00 (Asia/Kolkata)"),
        ("सोमवार से शुक्रवार शाम ६ बजे से ९ बजे तक", "hi", "IN", "Mon–Fri, 18:00–21:00 (Asia/Kolkata)"),
        ("شام 6 بجے", "hi", "PK", "any day, 18:00–22:00 (Asia/Karachi)"),  # Hindustani in Urdu script
        ("shaam 6 baje ke baad", "hi", "IN", "any day, 18:00–24:00 (Asia/Kolkata)"),
        ("بعد الساعة 6 مساء", "ar", "EG", "any day, 18:00–24:00 (Africa/Cairo)"),
        (
            "من الإثنين إلى الخميس بعد الساعة ٦ مساءً",
            "ar",
            "EG",
            "Mon, Tue, Wed, Thu, 18:00–24:00 (Africa/Cairo)",
        ),
        ("يوم الجمعة في المساء", "ar", "MA", "Fri, 18:00–22:00 (Africa/Casablanca)"),
    ],
)
def test_safe_contact_words_are_read_in_her_language(
    words: str, language: str, country: str, reading: str
) -> None:
    window = parse(words, country, language)
    assert window is not None and window.describe(str, "en") == reading


@pytest.mark.parametrize(
    ("words", "language"),
    [
        ("ne m'appelez pas le matin", "fr"),
        ("no me llames en la noche", "es"),
        ("não ligue de manhã", "pt"),
        ("usinipigie asubuhi", "sw"),
        ("सुबह नहीं", "hi"),
        ("لا تتصلي في الصباح", "ar"),
        ("amanhã", "pt"),  # tomorrow, not the morning
        ("lundi après 18h", "xx"),  # a language without its words here
    ],
)
def test_negations_and_unknown_words_in_her_language_are_left_to_staff(words: str, language: str) -> None:
    assert parse(words, "FR", language) is None


def test_a_range_that_names_the_evening_once_ends_in_the_evening() -> None:
    window = parse("from 6pm to 9", "GB")
    assert window is not None and window.describe(str, "en") == "any day, 18:00–21:00 (Europe/London)"
    overnight = parse("10pm to 2", "GB")
    assert overnight is not None and overnight.describe(str, "en") == "any day, 22:00–02:00 (Europe/London)"


def test_staff_read_the_reading_in_their_consoles_language() -> None:
    catalogs = Catalogs()
    window = parse("weekends", "US")
    assert window is not None
    french = partial(catalogs.gettext, "fr")
    assert window.describe(french, "fr") == "sam.–dim. (les 29 fuseaux horaires de son pays)"
    weekdays = parse("weekdays after 6pm", "KE")
    assert weekdays is not None
    assert weekdays.local_now(at(0, 7, 12), french, "fr") == "mar. 10:12 à Africa/Nairobi"
    swahili = partial(catalogs.gettext, "sw")
    assert weekdays.describe(swahili, "sw") == "Jumatatu–Ijumaa, 18:00–24:00 (Africa/Nairobi)"
