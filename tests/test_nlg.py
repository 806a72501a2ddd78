"""The NLG renders response keys in the conversation's language, from content and catalogs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from bot.language.i18n import CatalogError, Catalogs
from bot.ops.settings import Helpline
from bot.rasa.nlg import Renderer, UnknownResponse
from bot.rasa.payloads import button_payload
from bot.rasa.turn_context import TurnContext
from content.model import ContentError, Library, load_library
from content.texts import load_texts

ENGLISH_IN = TurnContext(language="en", country="IN", channel="test")


def make_catalogs(tmp_path: Path, translations: dict[str, str], *, compile_mo: bool = True) -> Catalogs:
    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = Catalog(locale="fr")
    for source, translated in translations.items():
        catalog.add(source, translated)
    with (folder / "messages.po").open("wb") as handle:
        write_po(handle, catalog)
    if compile_mo:
        with (folder / "messages.mo").open("wb") as handle:
            write_mo(handle, catalog)
    return Catalogs(tmp_path)


def renderer(
    catalogs: Catalogs | None = None,
    *,
    show_unverified: bool = False,
    helpline: Helpline | None = None,
    discreet: bool = False,
) -> Renderer:
    return Renderer(
        texts=load_texts(),
        library=load_library(),
        catalogs=catalogs or Catalogs(),
        show_unverified=show_unverified,
        helpline=helpline,
        discreet=discreet,
    )


def test_a_step_is_numbered_and_carries_the_navigation_buttons() -> None:
    message = renderer().render("step", {"playbook": "doxxing", "step": 1}, ENGLISH_IN)
    first_steps = load_library().playbooks["doxxing"].steps
    assert message["text"] == f"2/8. {first_steps[1].generic.text}"
    assert [b["payload"] for b in message["buttons"]] == [
        "/step_done", "/step_more", "/step_skip", "/step_back", "/step_stop",
    ]  # fmt: skip


def test_a_verified_platform_variant_replaces_the_generic_step() -> None:
    steps = load_library().playbooks["secure_account"].steps
    index, step = next((i, s) for i, s in enumerate(steps) if s.id == "change_password")
    variant = step.variants["instagram"]
    params = {"playbook": "secure_account", "step": index, "platform": "instagram"}
    text = renderer().render("step", params, ENGLISH_IN)["text"]
    expected = variant.text if variant.source.verified else step.generic.text
    assert text.endswith(expected)


def step_index(playbook: str, step_id: str) -> int:
    return next(i for i, s in enumerate(load_library().playbooks[playbook].steps) if s.id == step_id)


def test_a_named_app_without_a_shown_variant_gets_a_pointer_to_its_own_report_option() -> None:
    index = step_index("report_abuse", "report_platform")
    step = load_library().playbooks["report_abuse"].steps[index]
    assert step.variant_for("telegram", show_unverified=False) is None  # withheld: not checked
    params = {"playbook": "report_abuse", "step": index, "platform": "telegram"}
    text = renderer().render("step", params, ENGLISH_IN)["text"]
    pointer = load_texts().responses["in_app_report"].text.format(platform_name="Telegram")
    total = len(load_library().playbooks["report_abuse"].steps)
    assert text == f"{index + 1}/{total}. {step.generic.text}\n{pointer}"
    # Allowed to show the unchecked variant, the platform's own wording replaces the pointer.
    shown = renderer(show_unverified=True).render("step", params, ENGLISH_IN)["text"]
    assert pointer not in shown and step.variants["telegram"].text in shown


def test_no_pointer_when_the_platforms_checked_wording_is_shown_or_no_app_was_named() -> None:
    index = step_index("report_abuse", "report_platform")
    for platform in ("whatsapp", "snapchat", None, "other"):
        params = {"playbook": "report_abuse", "step": index, "platform": platform}
        text = renderer().render("step", params, ENGLISH_IN)["text"]
        assert "Report option is usually" not in text, platform


def test_the_pointer_is_in_the_conversations_language(tmp_path: Path) -> None:
    index = step_index("secure_account", "sessions")
    pointer = load_texts().responses["in_app_security"].text
    catalogs = make_catalogs(tmp_path, {pointer: "Dans {platform_name}, cherchez Sécurité."})
    turn = TurnContext(language="xx", country="FR", channel="test")
    params = {"playbook": "secure_account", "step": index, "platform": "telegram"}
    text = renderer(catalogs).render("step", params, turn)["text"]
    assert text.endswith("\nDans Telegram, cherchez Sécurité.")


def test_tell_me_more_shows_the_official_link_only_when_verified() -> None:
    steps = load_library().playbooks["secure_account"].steps
    index, variant = next((i, s.variants["google"]) for i, s in enumerate(steps) if "google" in s.variants)
    params = {"playbook": "secure_account", "step": index, "platform": "google"}
    text = renderer().render("step_more", params, ENGLISH_IN)["text"]
    if variant.source.verified and variant.link:
        assert variant.link in text
    else:
        assert "Official help page" not in text


def test_emergency_shows_the_countrys_verified_numbers_only() -> None:
    text = renderer().render("emergency", {}, ENGLISH_IN)["text"]
    verified = [r for r in load_library().resources if r.country == "IN" and r.kind == "emergency"]
    for resource in verified:
        for contact in resource.contacts:
            assert (contact.value in text) == resource.source.verified


@pytest.mark.parametrize(
    ("language", "country", "english", "hers"),
    [("pt", "AO", "Emergency number", "Número de emergência"), ("ar", "EG", "Police", "الشرطة"),
     ("sw", "TZ", "Emergency number", "Namba ya dharura")],
)  # fmt: skip
def test_a_service_without_an_official_name_is_named_in_her_language(
    language: str, country: str, english: str, hers: str
) -> None:
    text = renderer().render(
        "emergency", {}, TurnContext(language=language, country=country, channel="test")
    )["text"]
    assert hers in text and english not in text


def test_without_a_checked_number_the_person_is_told_so_honestly() -> None:
    nowhere = TurnContext(language="en", country="AQ", channel="test")
    text = renderer().render("emergency", {}, nowhere)["text"]
    assert "your local emergency number" in text


def test_the_organisations_own_helpline_comes_first() -> None:
    helpline = Helpline(name="Safe Line", contact="+1 555 0100")
    text = renderer(helpline=helpline).render("other_help", {}, ENGLISH_IN)["text"]
    assert "- Safe Line: +1 555 0100" in text.splitlines()


def test_choices_become_localised_buttons_before_the_static_ones() -> None:
    choices = [{"intent": "inform_platform", "entities": {"platform": "x"}}, {"intent": "doxxing"}]
    message = renderer().render("did_you_mean", {"choices": choices}, ENGLISH_IN)
    assert message["buttons"] == [
        {"title": "X (Twitter)", "payload": '/inform_platform{"platform":"x"}'},
        {"title": "My info posted", "payload": "/doxxing"},
        {"title": "Something else", "payload": "/menu"},
    ]


def test_text_and_buttons_come_from_the_catalog_of_the_turns_language(tmp_path: Path) -> None:
    catalogs = make_catalogs(
        tmp_path,
        {"Are you safe right now?": "Es-tu en sécurité ?", "Yes, I'm safe": "Oui"},
    )
    turn = TurnContext(language="xx", country=None, channel="test")
    message = renderer(catalogs).render("safety_check", {}, turn)
    assert message["text"] == "Es-tu en sécurité ?"
    assert message["buttons"][0]["title"] == "Oui"
    assert message["buttons"][1]["title"] == "No, I need help now"  # untranslated falls back


def test_a_catalog_without_its_compiled_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="make i18n"):
        make_catalogs(tmp_path, {"Hello": "Salut"}, compile_mo=False)


def test_an_unknown_key_is_an_error() -> None:
    with pytest.raises(UnknownResponse):
        renderer().render("utter_nonexistent", {}, ENGLISH_IN)


def test_button_payloads_are_compact_and_stable() -> None:
    assert button_payload("menu", {}) == "/menu"
    assert button_payload("inform_platform", {"platform": "google"}) == (
        '/inform_platform{"platform":"google"}'
    )


def test_helplines_say_when_their_number_was_checked_in_the_persons_locale() -> None:
    helplines = [r for r in load_library().resources if r.country == "US" and r.kind == "gbv_helpline"]
    checked = next(r.source.checked for r in helplines if r.source.verified and r.source.checked)
    text = renderer().render("other_help", {}, TurnContext(language="en", country="US", channel="t"))["text"]
    assert f"checked {checked.strftime('%b')} {checked.day}, {checked.year}" in text
    spanish = renderer().render("other_help", {}, TurnContext(language="es", country="US", channel="t"))
    assert f"{checked.day} {checked.strftime('%b').lower()} {checked.year}" in spanish["text"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Mon–Fri 10:00\u202fAM–4:00\u202fPM"),
        ("es", "lun–vie 10:00–16:00"),
        ("fr", "lun.–ven. 10:00–16:00"),
    ],
)
def test_opening_hours_are_written_for_the_persons_locale(language: str, expected: str) -> None:
    turn = TurnContext(language=language, country="GB", channel="t")
    text = renderer(show_unverified=True).render("other_help", {}, turn)["text"]
    assert expected in text


def with_steps(count: int) -> Library:
    """The real library with the doxxing playbook cut or stretched to `count` steps."""
    library = load_library()
    playbook = library.playbooks["doxxing"]
    steps = (list(playbook.steps) * 4)[:count]
    return replace(library, playbooks={**library.playbooks, "doxxing": replace(playbook, steps=steps)})


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, ": 1 short step. You can skip it."),
        ("en", 8, ": 8 short steps. One at a time"),
        ("ar", 1, ": خطوة قصيرة واحدة."),  # Arabic: one, two, 3-10 and 11-99 differ
        ("ar", 2, ": خطوتان قصيرتان."),
        ("ar", 8, ": 8 خطوات قصيرة."),
        ("ar", 11, ": 11 خطوة قصيرة."),
        ("fr", 1, " : 1 étape courte."),
        ("fr", 10, " : 10 étapes courtes."),
    ],
)
def test_a_count_of_steps_is_worded_in_the_form_its_language_gives_that_number(
    language: str, count: int, expected: str
) -> None:
    library = with_steps(count)
    render = Renderer(
        texts=load_texts(), library=library, catalogs=Catalogs(), show_unverified=False, helpline=None
    )
    turn = TurnContext(language=language, country="IN", channel="test")
    assert expected in render.render("playbook_intro", {"playbook": "doxxing"}, turn)["text"]


def test_an_answer_quoting_a_step_quotes_its_sms_wording_on_sms() -> None:
    dont_pay = load_library().playbooks["sextortion"].steps[step_index("sextortion", "dont_pay")].generic
    assert dont_pay.sms is not None and dont_pay.sms != dont_pay.text
    message = renderer().render("answer_pay", {}, ENGLISH_IN)
    assert message["text"].startswith(dont_pay.text) and dont_pay.sms not in message["text"]
    assert message["sms"].startswith(dont_pay.sms)


def test_discreet_mode_says_the_discreet_wording_on_sms_too() -> None:
    texts = load_texts().responses
    discreet = renderer(discreet=True)
    welcome = discreet.render("welcome", {}, ENGLISH_IN)
    assert welcome["sms"] == texts["welcome"].sms_discreet != texts["welcome"].sms
    assert discreet.render("limits", {}, ENGLISH_IN)["sms"] == ""  # the welcome's SMS says it
    danger = discreet.render("emergency", {}, ENGLISH_IN)  # no SMS-only discreet wording: the discreet one
    assert danger["text"].startswith("Please put your safety first.") and danger["sms"] is None
    plain = renderer().render("emergency", {}, ENGLISH_IN)
    assert plain["sms"].startswith("Your safety comes first.")


def test_an_sms_discreet_wording_shortens_a_discreet_one_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "responses.yml"
    path.write_text("responses:\n  hi:\n    text: Hi\n    sms_discreet: Hey\nfallbacks: {}\nlabels: {}\n")
    with pytest.raises(ContentError, match="sms_discreet"):
        load_texts(path)


def test_will_he_know_i_reported_says_what_her_apps_own_help_says_or_claims_nothing() -> None:
    library = load_library()
    whatsapp = renderer().render("answer_reported", {"platform": "whatsapp"}, ENGLISH_IN)["text"]
    assert whatsapp.startswith(library.told["whatsapp"].text)
    unchecked = load_texts().fallbacks["no_told"]
    for platform in ("telegram", "other", None):  # no checked words about these: no claim either way
        text = renderer().render("answer_reported", {"platform": platform}, ENGLISH_IN)["text"]
        assert text.startswith(unchecked) and "not notified" not in text and "confidential" not in text
    assert all(fact.source.verified for fact in library.told.values())
