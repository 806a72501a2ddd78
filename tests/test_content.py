"""Content files: schema, sources, and the order of care inside every playbook."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli.content_report import VARIANT_GOAL, items, status, summarise, variant_share
from bot.language.i18n import Catalogs
from bot.rasa.nlg import MINORS_KINDS, Renderer
from bot.rasa.turn_context import TurnContext
from content.model import IN_APP, PLATFORMS, ContentError, Source, Status, load_library, parse_playbook
from content.texts import load_texts

SITUATIONS = {
    "secure_account", "doxxing", "report_abuse", "intimate_images", "sextortion",
    "impersonation", "stalking", "document_evidence",
}  # fmt: skip
SOURCE = {"url": "https://example.org/help", "checked": dt.date(2026, 11, 28), "status": "verified"}


def step(step_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "text": "Do a thing.", "more": "Why.", "source": SOURCE, **extra}


def playbook(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"playbook": "p", "title": "T", "recap": "R", "steps": list(steps)}


def step_ids(name: str) -> list[str]:
    return [s.id for s in load_library().playbooks[name].steps]


def words(name: str) -> str:
    """Everything a playbook always shows (generic steps, tell-me-more, recap), in lower case."""
    playbook = load_library().playbooks[name]
    return " ".join([playbook.recap] + [f"{s.generic.text} {s.generic.more}" for s in playbook.steps]).lower()


# A sentence that asks to capture or keep an image: screenshots, recordings, downloads and exports, or
# saving, keeping or forwarding an image, unless the sentence says not to or says why not.
_CAPTURE = re.compile(r"screenshot|screen[- ]?record|recording|\bdownload|\bexport", re.I)
_KEEP = re.compile(
    r"\b(save|keep|store|copy|forward)\w*\s+(\S+\s+){0,4}?(images?|photos?|pictures?|videos?|nudes?|originals?|chats?)\b",
    re.I,
)
_NOT_ASKING = re.compile(r"\b(don't|do not|never|not|without)\b|new copy", re.I)


def asks_to_capture(text: str) -> list[str]:
    sentences = re.split(r"(?<=[.!?:;])\s+", text)
    return [s for s in sentences if (_CAPTURE.search(s) or _KEEP.search(s)) and not _NOT_ASKING.search(s)]


def test_every_situation_has_a_playbook_with_steps() -> None:
    playbooks = load_library().playbooks
    assert set(playbooks) == SITUATIONS
    assert all(5 <= len(p.steps) <= 10 for p in playbooks.values())  # short: one message a step


def test_every_item_has_a_source_and_verified_items_a_check_date() -> None:
    for name, source, _ in items(load_library()):
        assert source.url.startswith(("http://", "https://", "shared/")), name
        assert source.status is Status.UNVERIFIED or source.checked is not None, name


def test_steps_are_short_enough_for_a_phone() -> None:
    for p in load_library().playbooks.values():
        for s in p.steps:
            for text in (s.generic, *s.variants.values()):
                assert len(text.text) <= 320, (p.name, s.id)
                assert len(text.more) <= 640, (p.name, s.id)


def test_danger_comes_first_where_it_can_be_physical() -> None:
    for name in ("doxxing", "stalking", "sextortion", "report_abuse"):
        assert step_ids(name)[0] == "danger_now", name


def test_stalking_cautions_before_any_step_that_could_alert_the_abuser() -> None:
    steps = load_library().playbooks["stalking"].steps
    first_caution = next(i for i, s in enumerate(steps) if s.caution == "stalkerware")
    ids = [s.id for s in steps]
    assert ids.index("safe_device_helpline") < first_caution
    assert steps[ids.index("change_passwords")].caution == "stalkerware"


def test_evidence_is_kept_before_reporting_or_blocking() -> None:
    for name, report_step in [
        ("report_abuse", "report_platform"),
        ("report_abuse", "block"),
        ("doxxing", "report_posts"),
        ("impersonation", "report_fake"),
        ("sextortion", "block_report"),
        ("intimate_images", "report_platform"),
    ]:
        ids = step_ids(name)
        evidence = min(i for i, s in enumerate(ids) if s in {"save_proof", "record_where"})
        assert evidence < ids.index(report_step), name


def test_securing_accounts_starts_with_the_email_account() -> None:
    ids = step_ids("secure_account")
    assert ids.index("email_first") < ids.index("change_password")


def test_image_playbooks_never_ask_for_the_image() -> None:
    for name in ("intimate_images", "sextortion"):
        for s in load_library().playbooks[name].steps:
            for text in (s.generic, *s.variants.values()):
                lowered = (text.text + " " + text.more).lower()
                assert "send me" not in lowered and "send us" not in lowered, (name, s.id)


def test_a_step_without_a_source_is_refused() -> None:
    broken = step("a")
    del broken["source"]
    with pytest.raises(ContentError, match="source record"):
        parse_playbook(playbook(broken), "test.yml")


def test_a_verified_source_needs_its_check_date() -> None:
    broken = step("a", source={**SOURCE, "checked": None})
    with pytest.raises(ContentError, match="date it was checked"):
        parse_playbook(playbook(broken), "test.yml")


def test_duplicate_step_ids_and_unknown_platforms_are_refused() -> None:
    with pytest.raises(ContentError, match="unique"):
        parse_playbook(playbook(step("a"), step("a")), "test.yml")
    with pytest.raises(ContentError, match="unknown platform"):
        parse_playbook(playbook(step("a", platforms={"myspace": step("x")})), "test.yml")


def test_a_platform_variant_is_used_only_when_it_may_be_shown() -> None:
    unverified = {**SOURCE, "checked": None, "status": "unverified"}
    variant = {"text": "Instagram way.", "more": "m", "source": unverified}
    parsed = parse_playbook(playbook(step("a", platforms={"instagram": variant})), "t.yml")
    only = parsed.steps[0]
    assert only.for_platform("instagram", show_unverified=False).text == "Do a thing."
    assert only.for_platform("instagram", show_unverified=True).text == "Instagram way."
    assert only.for_platform("tiktok", show_unverified=True).text == "Do a thing."


def test_a_withheld_variant_leaves_an_in_app_pointer_for_a_named_platform() -> None:
    unverified = {**SOURCE, "checked": None, "status": "unverified"}
    variants = {"instagram": {"text": "Instagram way.", "more": "m", "source": unverified}, "x": step("x")}
    parsed = parse_playbook(playbook(step("a", in_app="report", platforms=variants)), "t.yml")
    only = parsed.steps[0]
    assert only.in_app_pointer("instagram", show_unverified=False) == "report"  # withheld
    assert only.in_app_pointer("telegram", show_unverified=False) == "report"  # no variant at all
    assert only.in_app_pointer("instagram", show_unverified=True) is None  # the variant is shown
    assert only.in_app_pointer("x", show_unverified=False) is None  # verified: its own words
    assert only.in_app_pointer(None, show_unverified=False) is None  # no app named
    assert only.in_app_pointer("other", show_unverified=False) is None  # the generic step says "the app"
    with pytest.raises(ContentError, match="unknown in_app"):
        parse_playbook(playbook(step("a", in_app="somewhere")), "t.yml")


def test_every_in_app_pointer_has_its_words() -> None:
    responses = load_texts().responses
    for kind in IN_APP:
        assert "{platform_name}" in responses[f"in_app_{kind}"].text, kind


def offered_platforms() -> set[str]:
    """The platforms the assistant offers as buttons and understands in words (every language)."""
    named = {
        str(item["synonym"])
        for path in Path("nlu_data").glob("*/platforms.yml")
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
        if "synonym" in item
    }
    assert named <= set(PLATFORMS), sorted(named - set(PLATFORMS))
    return (set(PLATFORMS) | named) - {"other"}


def test_every_offered_platform_gets_its_own_form_or_a_pointer_where_the_platform_is_asked() -> None:
    for p in load_library().playbooks.values():
        if not p.asks_platform:
            continue
        for platform in sorted(offered_platforms()):
            helped = any(
                s.variant_for(platform, show_unverified=False) is not None
                or s.in_app_pointer(platform, show_unverified=False) is not None
                for s in p.steps
            )
            assert helped, (p.name, platform)


def test_snapchat_has_shown_variants_where_its_forms_matter() -> None:
    library = load_library()
    for name in ("report_abuse", "impersonation", "intimate_images", "sextortion", "secure_account"):
        steps = library.playbooks[name].steps
        assert any(s.variant_for("snapchat", show_unverified=False) for s in steps), name


def test_the_report_gives_the_share_of_variants_shown_by_default() -> None:
    library = load_library()
    shown, total = variant_share(library)
    summaries = [summarise(p) for p in library.playbooks.values()]
    assert shown == sum(v.source.verified for p in library.playbooks.values()
                        for s in p.steps for v in s.variants.values())  # fmt: skip
    assert total == sum(s.variants for s in summaries)
    assert shown / total >= VARIANT_GOAL


def test_the_content_report_prints_steps_and_variants_per_playbook(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli.content_report import report

    report(show_unverified=False, today=dt.date(2026, 12, 7))
    out = capsys.readouterr().out
    shown, total = variant_share(load_library())
    assert f"platform variants shown by default: {shown}/{total} ({shown / total:.0%})" in out
    for name in SITUATIONS:
        assert f"\n{name} " in out


def test_report_states() -> None:
    today = dt.date(2026, 11, 28)
    verified = Source(url="u", checked=today, status=Status.VERIFIED)
    old = Source(url="u", checked=dt.date(2025, 1, 1), status=Status.VERIFIED)
    unverified = Source(url="u", checked=None, status=Status.UNVERIFIED)
    assert status(verified, today, show_unverified=False) == "shown"
    assert status(old, today, show_unverified=False) == "stale"
    assert status(unverified, today, show_unverified=False) == "withheld"
    assert status(unverified, today, show_unverified=True) == "shown-unverified"
    assert status(unverified, today, show_unverified=False, always_shown=True) == "shown-unverified"


def test_opening_hours_are_structured_data() -> None:
    import datetime as dt

    from content.model import ALWAYS, parse_hours

    assert parse_hours("24/7", "t") is ALWAYS
    assert parse_hours(None, "t") is None
    weekdays = parse_hours(
        {"days": ["fri", "mon", "tue", "wed", "thu"], "opens": "10:00", "closes": "16:00"}, "t"
    )
    assert weekdays is not None and weekdays.days == (0, 1, 2, 3, 4)
    assert weekdays.opens == dt.time(10, 0) and weekdays.closes == dt.time(16, 0)
    for broken in (
        "9-5",
        {"days": ["someday"], "opens": "9", "closes": "5"},
        {"days": "every day", "opens": "x"},
    ):
        with pytest.raises(ContentError):
            parse_hours(broken, "t")


def test_every_country_has_a_checked_emergency_number() -> None:
    library = load_library()
    countries = {r.country for r in library.resources} - {"international"}
    assert len(countries) >= 35
    for country in countries:
        checked = [r for r in library.resources if r.country == country and r.kind == "emergency"]
        assert any(r.source.verified and r.source.checked for r in checked), country


def test_a_country_without_a_checked_emergency_number_does_not_load(tmp_path: Path) -> None:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "resources").mkdir()
    unchecked = {"url": "https://example.org", "checked": None, "status": "unverified"}
    contacts = [{"type": "voice", "value": "1"}]
    item = {
        "id": "xx_police",
        "kind": "emergency",
        "name": "Police",
        "contacts": contacts,
        "source": unchecked,
    }
    country = {"country": "XX", "resources": [item]}
    (tmp_path / "resources" / "XX.yml").write_text(yaml.safe_dump(country))
    with pytest.raises(ContentError, match="no checked emergency number for: XX"):
        load_library.__wrapped__(tmp_path)


def test_the_capture_detector_finds_the_adult_capture_steps() -> None:
    steps = {(p, s.id): s for p, pb in load_library().playbooks.items() for s in pb.steps}
    for key in [
        ("intimate_images", "record_where"),
        ("sextortion", "save_proof"),
        ("document_evidence", "screenshots"),
    ]:
        adult = steps[key].generic
        assert asks_to_capture(f"{adult.text} {adult.more}"), key
    assert not asks_to_capture("Don't screenshot or save the image: a screenshot makes a new copy of it.")


def test_every_step_that_asks_an_adult_to_capture_has_a_minors_wording() -> None:
    for name, playbook in load_library().playbooks.items():
        for s in playbook.steps:
            for text in (s.generic, *s.variants.values()):
                if asks_to_capture(f"{text.text} {text.more}"):
                    assert s.minors is not None, (name, s.id)


def test_the_minors_route_never_asks_to_screenshot_or_save_images() -> None:
    """Every playbook as rendered for a minor, with every platform and every variant allowed: no step,
    tell-me-more or recap asks her to capture or keep an image; in every language she gets the
    translation of the minors' wording, never the adult one."""
    catalogs = Catalogs()
    render = Renderer(
        texts=load_texts(), library=load_library(), catalogs=catalogs, show_unverified=True, helpline=None
    ).render
    english = TurnContext(language="en", country="GB", channel="test")
    for name, playbook in load_library().playbooks.items():
        for index, s in enumerate(playbook.steps):
            for platform in (None, *PLATFORMS):
                params = {"playbook": name, "step": index, "platform": platform, "minor": True}
                shown = (
                    render("step", params, english)["text"]
                    + " "
                    + render("step_more", params, english)["text"]
                )
                assert not asks_to_capture(shown), (name, s.id, platform, asks_to_capture(shown))
            if s.minors is None:
                continue
            for language in catalogs.languages:
                turn = TurnContext(language=language, country="GB", channel="test")
                text = render("step", {"playbook": name, "step": index, "minor": True}, turn)["text"]
                assert text.endswith(catalogs.gettext(language, s.minors.text)), (language, name, s.id)
                assert catalogs.gettext(language, s.generic.text) not in text, (language, name, s.id)
        assert not asks_to_capture(playbook.recap), name


def test_report_remove_is_on_the_minors_route_in_the_uk() -> None:
    minors = load_library().resources_for("GB", MINORS_KINDS, include_international=True)
    assert any("Report Remove" in r.name for r in minors)


def test_the_stalking_playbook_covers_trackers_and_location_sharing() -> None:
    said = words("stalking")
    for topic in (
        "bluetooth tracker",
        "airtag",
        "unknown tracker alerts",
        "scan now",
        "airplane mode",
        "car",
    ):
        assert topic in said, topic
    for topic in (
        "google maps",
        "find my device",
        "snap map",
        "family locator",
        "family phone plan",
        "cloud account",
    ):
        assert topic in said, topic
    steps = {s.id: s for s in load_library().playbooks["stalking"].steps}
    safety_check = steps["safety_check"].for_platform(None, show_unverified=False)  # shown to everyone
    assert "Safety Check" in safety_check.text and "Emergency Reset" in safety_check.text
    ids = step_ids("stalking")
    for changing in ("unknown_trackers", "location_sharing", "safety_check"):
        assert steps[changing].caution == "stalkerware"
        assert ids.index("safe_device_helpline") < ids.index(changing)


def test_the_order_of_care() -> None:
    assert step_ids("document_evidence")[0] == "no_resharing"
    ids = step_ids("secure_account")
    assert ids.index("save_access_proof") < min(
        ids.index(s) for s in ("email_first", "change_password", "sessions")
    )
    assert ids.index("recovery_info") < min(ids.index("two_factor"), ids.index("sessions"))
    steps = {s.id: s for s in load_library().playbooks["secure_account"].steps}
    assert "one of your contacts" in steps["tell_contacts"].generic.text
    sextortion = load_library().playbooks["sextortion"].steps
    ids = step_ids("sextortion")
    keep = next(i for i, s in enumerate(sextortion) if "don't delete your account" in s.generic.text.lower())
    assert keep < ids.index("block_report")
    assert "already paid" in sextortion[ids.index("dont_pay")].generic.text
    assert "hurting yourself" in sextortion[ids.index("get_support")].generic.text
    for name, step_id in [("impersonation", "secure_real"), ("doxxing", "lock_down")]:
        assert (
            next(s for s in load_library().playbooks[name].steps if s.id == step_id).caution == "stalkerware"
        )


def test_the_steps_a_survivor_needs_are_there() -> None:
    for name, topics in {
        "secure_account": (
            "forwarding",
            "filters",
            "delegates",
            "app passwords",
            "passkey",
            "backup codes",
            "security questions",
            "mobile operator",
            "pin",
        ),
        "intimate_images": ("deepfakes", "adult (porn) sites", "content removal form"),
        "impersonation": ("intimate images", "ai-made", "real accounts are still yours"),
        "doxxing": ("data broker", "opt-out"),
        "document_evidence": ("view-once", "may be told"),
    }.items():
        said = words(name)
        for topic in topics:
            assert topic in said, (name, topic)
    for name, step_id in [
        ("intimate_images", "stopncii"),
        ("intimate_images", "take_it_down"),
        ("sextortion", "hash_tool"),
    ]:
        hash_step = next(s for s in load_library().playbooks[name].steps if s.id == step_id).generic
        assert "already on your device" in hash_step.text, (name, step_id)
        assert "report" in hash_step.more.lower(), (name, step_id)  # and what to do without the image
