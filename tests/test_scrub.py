"""Scrubbing before anything is kept: a generated set of sentences with phone numbers of many
countries in every usual format, e-mails, links, handles and names, in the assistant's languages.
Every identifier goes; the rest of the sentence stays, word for word."""

from __future__ import annotations

import itertools
import random
import re

import phonenumbers
import pytest

from bot.inbox.scrub import scrub

REGIONS = ["KE", "TZ", "IN", "MX", "BR", "FR", "EG", "NG", "US", "GB", "PT", "ES", "MA", "SN", "PE", "SA"]
FORMATS = [
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.E164,
]
# Around the identifier: words that must survive, in each language.
SENTENCES = [
    "he posted my number {x} on a group",
    "el publicó mi número {x} en un grupo",
    "il a publié mon numéro {x} dans un groupe",
    "ele publicou meu número {x} num grupo",
    "amechapisha namba yangu {x} kwenye kikundi",
    "उसने मेरा नंबर {x} ग्रुप में डाल दिया",
    "نشر رقمي {x} في مجموعة",
]
NAMES = [
    ("my name is {n} and he threatens me", "Rosa"),
    ("his name is {n} and he follows me", "Kevin Otieno"),
    ("me llamo {n} y tengo miedo", "Lucía"),
    ("je m'appelle {n} et il me menace", "Aïcha"),
    ("meu nome é {n} e ele me ameaça", "Joana"),
    ("jina langu ni {n} na ananitishia", "Amina"),
    ("मेरा नाम {n} है और वह धमकी देता है", "प्रिया"),
    ("اسمي {n} وهو يهددني", "مريم"),
]


def _phones() -> list[tuple[str, str]]:
    numbers = []
    for region in REGIONS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            for form in FORMATS:
                numbers.append((region, phonenumbers.format_number(example, form)))
            digits = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            numbers.append((region, f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"))  # dots
            numbers.append((region, digits.lstrip("+")))  # no plus
    return numbers


def _identifiers() -> list[tuple[str | None, str]]:
    rng = random.Random(16)
    found: list[tuple[str | None, str]] = [(region, number) for region, number in _phones()]
    for user, domain in itertools.product(
        ["rosa.p", "amina_k+1", "j.doe"], ["gmail.com", "yahoo.fr", "mail.co.ke"]
    ):
        found.append((None, f"{user}@{domain}"))
    found += [
        (None, u)
        for u in ["https://instagram.com/rosa_p22", "www.facebook.com/profile.php?id=1000123", "bit.ly/3xYz"]
    ]
    found += [(None, h) for h in ["@rosa_p22", "@kevin.otieno", "@amina254"]]
    found += [(None, "".join(rng.choice("0123456789") for _ in range(n))) for n in (4, 6, 9, 12)]
    found += [(None, d) for d in ["٠١٠٠١٢٣٤٥٦٧", "०८१२३४५६७८"]]  # Arabic-Indic and Devanagari digits
    return found


IDENTIFIERS = _identifiers()


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"\s+", text) if w]


@pytest.mark.parametrize(("region", "identifier"), IDENTIFIERS, ids=[i for _, i in IDENTIFIERS])
def test_every_identifier_is_removed_and_the_sentence_stays_readable(
    region: str | None, identifier: str
) -> None:
    for sentence in SENTENCES:
        text = sentence.format(x=identifier)
        scrubbed = scrub(text, region=region)
        assert identifier not in scrubbed
        assert not re.search(r"\d(?:\D{0,2}\d){3}", scrubbed), scrubbed  # no four digits left anywhere
        before, after = sentence.split("{x}")
        kept = _words(scrubbed)
        assert kept[: len(_words(before))] == _words(before), scrubbed
        assert kept[len(kept) - len(_words(after)) :] == _words(after), scrubbed
        assert len(kept) <= len(_words(before)) + len(_words(after)) + 2  # one or two placeholders


@pytest.mark.parametrize(("sentence", "name"), NAMES)
def test_a_name_she_introduces_is_removed(sentence: str, name: str) -> None:
    scrubbed = scrub(sentence.format(n=name))
    assert name not in scrubbed and scrubbed == sentence.format(n="<name>")


def test_names_given_by_the_caller_are_removed_wherever_they_are() -> None:
    assert scrub("Rosa said Kevin posted it", names=["Kevin", "rosa"]) == "<name> said <name> posted it"


def test_what_identifies_nobody_is_left_alone() -> None:
    for text in ("he is threatening me", "I have 2 kids and he took 30 photos", "call me later please"):
        assert scrub(text, region="KE") == text
