"""Language negotiation, detection, normalisation and right-to-left rendering."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.language.countries import country_in
from bot.language.detection import Detector, decide, display_name, primary
from bot.language.keywords import Keywords
from bot.language.normalize import normalize
from bot.language.phone import country_of_phone
from bot.rasa.nlg import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE, isolate
from content.model import load_library

VOCABULARIES = {
    "en": Counter({"my", "account", "was", "hacked", "hello", "help", "please"}),
    "es": Counter({"mi", "cuenta", "fue", "hackeada", "hola", "ayuda", "por", "favor"}),
    "sw": Counter({"akaunti", "yangu", "imehackiwa", "habari", "msaada"}),
}
AVAILABLE = ["en", "es", "sw"]


def decision(**given: object) -> object:
    arguments = {
        "available": AVAILABLE,
        "default": "en",
        "remembered": None,
        "chosen": False,
        "hint": None,
        "country": None,
        "text": "",
        "detector": Detector(VOCABULARIES),
    }
    arguments.update(given)
    return decide(**arguments)  # type: ignore[arg-type]


def test_an_explicit_choice_beats_everything() -> None:
    assert decision(remembered="sw", chosen=True, hint="es", text="my account was hacked").language == "sw"


def test_a_sentence_in_another_language_is_followed_at_once() -> None:
    assert decision(remembered="en", text="mi cuenta fue hackeada por favor").language == "es"


def test_short_or_mixed_messages_keep_the_settled_language() -> None:
    assert decision(remembered="en", text="hola").language == "en"
    assert decision(remembered="en", text="hola my account").language == "en"


def test_the_words_beat_the_channel_hint_which_only_breaks_ties() -> None:
    assert decision(hint="es-MX", text="my account was hacked").language == "en"
    assert decision(hint="es-MX", text="ok").language == "es"
    assert decision(hint="de", text="mi cuenta fue hackeada").language == "es"  # no German: detect


def test_the_words_beat_the_phone_country() -> None:
    assert decision(country="KE", text="akaunti yangu imehackiwa").language == "sw"
    assert decision(country="KE", text="my account was hacked").language == "en"
    assert decision(country="KE", text="").language == "sw"


def test_a_short_first_message_her_countrys_language_reads_about_as_well_is_in_that_language() -> None:
    vocabularies = {
        "ar": Counter({"bonjour": 1, "mama": 4, "salam": 9, "wesh": 5}),
        "fr": Counter({"bonjour": 9, "merci": 3}),
        "sw": Counter({"mama": 4}),
    }
    given = {"available": ["ar", "fr", "sw"], "detector": Detector(vocabularies)}
    assert decision(**given, text="bonjour mama").language == "ar"  # more of its words are Darija's
    assert decision(**given, country="CD", text="bonjour mama").language == "fr"  # and it is French there
    assert decision(**given, country="FR", text="wesh salam").language == "ar"  # French reads it far worse


def test_nothing_known_falls_back_to_the_default_without_settling() -> None:
    result = decision(text="")
    assert result.language == "en" and not result.settled


@pytest.mark.parametrize(
    ("address", "country"),
    [("+254712345678", "KE"), ("whatsapp:+5511987654321", "BR"), ("919876543210", "IN"),
     ("not-a-phone", None), ("", None)],
)  # fmt: skip
def test_the_country_of_a_phone_number(address: str, country: str | None) -> None:
    assert country_of_phone(address) == country


def test_languages_are_named_in_their_own_language() -> None:
    assert [display_name(x) for x in ("sw", "fr", "hi", "ar", "pt")] == [
        "Kiswahili", "Français", "हिन्दी", "العربية", "Português",
    ]  # fmt: skip
    assert primary("pt-BR") == "pt" and primary("pt_br") == "pt" and primary(None) is None


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("أريد", "اريد"),  # alef with hamza above
        ("إنسان", "انسان"),  # alef with hamza below
        ("آمن", "امن"),  # alef with madda
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("رسالة", "رساله"),  # ta marbuta
        ("مـــساعدة", "مساعده"),  # tatweel
        ("مُسَاعَدَة", "مساعده"),  # diacritics
        ("ﻻ", "لا"),  # a presentation-form ligature
    ],
)
def test_arabic_spelling_variants_fold_to_one_form(variant: str, plain: str) -> None:
    assert normalize(variant) == plain


def test_arabic_keywords_match_whatever_the_spelling(tmp_path) -> None:
    path = tmp_path / "keywords.yml"
    path.write_text("danger:\n  - حياتي في خطر\n", encoding="utf-8")
    keywords = Keywords.load(path)
    assert keywords.intent_for("حَيَاتِي فِي خَطَرٍ الآن") == "immediate_danger"


def test_numbers_and_links_are_isolated_in_right_to_left_text_only() -> None:
    assert (
        isolate("+20 100 752 5600", "ar")
        == f"{FIRST_STRONG_ISOLATE}+20 100 752 5600{POP_DIRECTIONAL_ISOLATE}"
    )
    assert isolate("https://stopncii.org", "ar").startswith(FIRST_STRONG_ISOLATE)
    assert isolate("+20 100 752 5600", "fr") == "+20 100 752 5600"
    assert isolate("خط المساعدة", "ar") == "خط المساعدة"


def test_an_arabic_emergency_reply_keeps_numbers_in_order_on_every_channel() -> None:
    from bot.channels.telegram.render import render as telegram
    from bot.channels.twilio.render import render as sms
    from bot.channels.twilio.render import segments
    from bot.channels.whatsapp.render import render as whatsapp
    from bot.language.i18n import Catalogs
    from bot.pipeline.messages import OutboundMessage
    from bot.rasa.nlg import Renderer
    from bot.rasa.turn_context import TurnContext
    from content.model import load_library
    from content.texts import load_texts

    renderer = Renderer(texts=load_texts(), library=load_library(), catalogs=Catalogs(),
                        show_unverified=False, helpline=None)  # fmt: skip
    rendered = renderer.render("emergency", {}, TurnContext(language="ar", country="US", channel="test"))
    assert f"{FIRST_STRONG_ISOLATE}911{POP_DIRECTIONAL_ISOLATE}" in rendered["text"]
    isolated = f"{FIRST_STRONG_ISOLATE}911{POP_DIRECTIONAL_ISOLATE}"
    reply = [OutboundMessage(text=rendered["text"])]
    assert isolated in telegram(reply)[0].text
    assert isolated in whatsapp(reply)[0].text
    sms_body = sms(reply)[0].body
    assert isolated in sms_body and segments(sms_body)[0] == "UCS-2"


def test_detection_on_the_held_out_sentences_decides_most_and_is_almost_never_wrong() -> None:
    """Sentences of three words or more from tests/nlu/<lang>/heldout.yml, written independently of the
    training data: the language they were written in is what detection should say, when it says."""
    from bot.rasa.engine import NLU_DATA, training_vocabulary
    from bot.rasa.nlu_eval import heldout_examples, heldout_languages

    languages = heldout_languages()
    detector = Detector({lang: training_vocabulary(NLU_DATA / lang) for lang in languages})
    decided = wrong = total = 0
    for language in languages:
        for text, _ in heldout_examples(language):
            if len(text.split()) < 3:
                continue
            total += 1
            found = detector.confident(text, 3)
            decided += found is not None
            wrong += found is not None and found != language
    assert decided / total >= 0.75, (decided, total)
    assert wrong / decided <= 0.01, (wrong, decided)


def test_words_every_language_borrows_count_for_the_language_that_uses_them_most() -> None:
    """Every language's data mixes in English ("i want", "account"); a plain English sentence is still
    English, a Swahili one with English words still Swahili, and "hi" alone decides nothing."""
    from bot.rasa.engine import NLU_DATA, training_vocabulary

    languages = sorted(path.name for path in NLU_DATA.iterdir())
    detector = Detector({lang: training_vocabulary(NLU_DATA / lang) for lang in languages})
    for text in ("ok i want to talk to someone", "please help me", "can someone help me with my account"):
        assert detector.confident(text, 3) == "en", detector.shares(text)[:3]
    assert detector.confident("mtu amehack account yangu ya instagram nisaidie", 3) == "sw"
    assert detector.confident("hi") is None


def test_a_short_sentence_whose_words_her_language_also_has_does_not_switch_away_from_it() -> None:
    """ "ana f lmaghrib" (Arabizi: I'm in Morocco) is Swahili by how often each language uses "ana",
    but every word is hers too: she stays in Arabic. A sentence with words her language lacks switches."""
    vocabularies = {
        "ar": Counter({"ana": 1, "f": 3, "3afak": 2}),
        "sw": Counter({"ana": 40, "kisu": 5, "nataka": 9, "msaada": 6}),
        "en": Counter({"help": 9, "me": 9, "please": 9}),
    }
    detector = Detector(vocabularies)
    given = {"available": ["ar", "sw", "en"], "default": "en", "chosen": False, "hint": None, "country": None}
    stays = decide(**given, remembered="ar", text="ana f lmaghrib fes", detector=detector)  # type: ignore[arg-type]
    assert stays.language == "ar"
    switches = decide(**given, remembered="ar", text="please help me", detector=detector)  # type: ignore[arg-type]
    assert switches.language == "en"


def test_her_own_words_the_model_never_saw_keep_her_language_beside_borrowed_ones() -> None:
    """Hinglish and Swahili inflect words no training line holds ("aayegi", "nimeangalia"): a message
    with a few Portuguese-looking or English words among them stays in her language; the same
    conversation followed into a plain sentence of the other language that knows all its words."""
    from bot.rasa.engine import NLU_DATA, training_vocabulary

    languages = sorted(path.name for path in NLU_DATA.iterdir())
    detector = Detector({lang: training_vocabulary(NLU_DATA / lang) for lang in languages})
    given = {"available": languages, "default": "en", "chosen": False, "hint": None, "country": None}
    for remembered, text in (
        ("hi", "police kitni der me aayegi"),
        ("sw", "ok nimeangalia settings kuna app inaitwa system service sijawahi ona"),
    ):
        kept = decide(**given, remembered=remembered, text=text, detector=detector)  # type: ignore[arg-type]
        assert kept.language == remembered, (text, detector.shares(text)[:3])
    moved = decide(**given, remembered="sw", text="he installed an app on my phone", detector=detector)  # type: ignore[arg-type]
    assert moved.language == "en"


LANGUAGES = ("en", "es", "pt", "fr", "sw", "ar", "hi")


@pytest.mark.parametrize(
    ("message", "country"),
    [
        ("i am in turkey", "TR"),
        ("أنا في إسطنبول وهو يهددني", "TR"),
        ("ich bin in deutschland", "DE"),
        ("انا في المانيا", "DE"),
        ("sono in italia", "IT"),
        ("انا في العراق", "IQ"),
        ("انا في سوريا", "SY"),
        ("estoy en venezuela", "VE"),
        ("estoy en republica dominicana", "DO"),
        ("je suis au burkina faso", "BF"),
        ("je suis en belgique", "BE"),
        ("i am in new zealand", "NZ"),
        ("niko zimbabwe", "ZW"),
    ],
)
def test_a_country_she_names_has_checked_numbers(message: str, country: str) -> None:
    """Where she says she is, typed in her words, is a country the content has a checked number for."""
    assert country_in(message, LANGUAGES) == country
    emergency = load_library().resources_for(country, ["emergency"], include_international=False)
    assert any(resource.source.verified for resource in emergency)
