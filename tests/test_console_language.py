"""The console in each staff member's language, in Chromium: texts from the gettext catalogs, the
browser's language by default, a choice kept with the staff record, right-to-left in Arabic, and what
the server says (ids' names, safe-time readings, errors) in that language too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial

import pytest
from playwright.async_api import Page, expect

from bot.handoff import safe_time
from bot.handoff.console_texts import console_texts, id_labels, step_name
from bot.handoff.desk import Desk
from bot.handoff.staff import StaffStore
from bot.language.i18n import Catalogs
from tests.console_support import SUMMARY
from tests.test_console import browser, new_page, open_console

pytest_plugins = ["tests.console_support"]
__all__ = ["browser", "new_page", "open_console"]  # fixtures used by name below

OpenConsole = Callable[..., Awaitable[Page]]
CATALOGS = Catalogs()


def arabic(text: str) -> str:
    translated = CATALOGS.gettext("ar", text)
    assert translated != text and any("\u0600" <= ch <= "\u06ff" for ch in translated)
    return translated


async def test_the_console_follows_the_browsers_language_right_to_left_in_arabic(
    open_console: OpenConsole, desk: Desk
) -> None:
    ticket = await desk.enqueue("telegram:301", SUMMARY)
    page = await open_console("alice", locale="ar-EG")
    root = page.locator("html")
    await expect(root).to_have_attribute("lang", "ar")
    await expect(root).to_have_attribute("dir", "rtl")
    await expect(page.locator("#mine-title")).to_have_text(arabic("My conversations"))
    await expect(page.locator("#take-next")).to_have_text(arabic("Take next"))
    await expect(page.locator("#take-next")).to_have_attribute(
        "title", arabic("The most urgent person; among equally urgent, one in your languages")
    )
    await expect(page.locator("#connection")).to_have_text(arabic("Live"))
    item = page.locator(f"#queue li[data-ticket='{ticket.id}']")
    await expect(item.locator(".badge").first).to_have_text(arabic("Danger"))
    await expect(item.locator("button.take")).to_have_text(arabic("Take"))
    await expect(item.locator(".language")).to_have_text("الإسبانية")  # her language, named in the console's
    # Right to left: the conversation list is on the right of the conversation.
    side, chat = await page.locator("nav.side").bounding_box(), await page.locator("#chat").bounding_box()
    assert side is not None and chat is not None and side["x"] > chat["x"]
    assert await page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    await expect(page).to_have_title(f"(1) {arabic('SafeSpaces console')}")


async def test_switching_language_is_kept_with_the_staff_record_over_the_browsers(
    open_console: OpenConsole, desk: Desk, staff_store: StaffStore
) -> None:
    ticket = await desk.enqueue("telegram:302", SUMMARY)
    page = await open_console("bob")  # the browser says English
    await expect(page.locator("#mine-title")).to_have_text("My conversations")
    await page.click(f"#queue li[data-ticket='{ticket.id}'] button.take")
    await expect(page.locator("#composer")).to_be_visible()
    await page.select_option("#ui-language", "fr")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.locator("#mine-title")).to_have_text("Mes conversations")
    await expect(page.locator("#mode-note")).to_have_text(CATALOGS.gettext("fr", "Internal note"))
    await expect(page.locator("#ticket")).to_be_visible()  # the open conversation stays open
    bob = await staff_store.get("bob")
    assert bob is not None and bob.console_language == "fr"

    elsewhere = await open_console("bob", locale="ar-EG")  # another computer: her choice wins
    await expect(elsewhere.locator("html")).to_have_attribute("dir", "ltr")
    await expect(elsewhere.locator("#mine-title")).to_have_text("Mes conversations")
    await elsewhere.select_option("#ui-language", "ar")
    await expect(elsewhere.locator("html")).to_have_attribute("dir", "rtl")
    await expect(elsewhere.locator("#mine-title")).to_have_text(arabic("My conversations"))


@pytest.mark.parametrize(("language", "locale"), [("fr", "fr-FR"), ("ar", "ar-EG")])
async def test_a_translated_console_names_ids_and_tells_readings_and_errors_in_its_language(
    open_console: OpenConsole, desk: Desk, language: str, locale: str
) -> None:
    translate = partial(CATALOGS.gettext, language)
    situation, sms = translate("Hacked account"), translate("SMS (Twilio)")
    assert situation != "Hacked account"
    summary = replace(
        SUMMARY, situation="secure_account", channel="twilio", country="GB", safe_contact="weekdays after 6pm"
    )
    ticket = await desk.enqueue(f"telegram:31{len(language)}{ord(language[0])}", summary)
    page = await open_console("alice", locale=locale)
    item = page.locator(f"#queue li[data-ticket='{ticket.id}']")
    await expect(item.locator(".headline")).to_have_text(f"{situation} · {translate('Instagram')}")
    await expect(item.locator(".meta").first).to_contain_text(sms)
    # The page's first click takes her (it once unlocked sound on the press, which relabelled the shift
    # button, rewrapped the French header and moved the Take button away before the release).
    await page.click(f"#queue li[data-ticket='{ticket.id}'] button.take")
    await expect(page.locator("#composer")).to_be_visible()

    window = safe_time.parse(summary.safe_contact, summary.country)
    assert window is not None
    reading = window.describe(translate, language)  # e.g. "lun.–ven., 18:00–24:00 (Europe/London)"
    assert "Mon" not in reading and "Fri" not in reading
    shown = page.locator("#summary")
    await expect(shown).to_contain_text(situation)
    await expect(shown).to_contain_text(sms)
    await expect(shown.locator(".safe-now")).to_contain_text(reading)
    text = await shown.inner_text()
    for english in ("secure_account", "secure account", "Hacked account", "twilio", "Mon–Fri", "any day"):
        assert english not in text

    # A server error is in the console's language too (asked as the page asks: the browser's fetch).
    csrf = (await (await page.request.get("/console/api/me")).json())["csrf"]
    refused = await page.evaluate(
        """async ([url, csrf]) => {
          const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
          const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ text: " " }) });
          return [response.status, (await response.json()).error];
        }""",
        [f"/console/api/tickets/{ticket.id}/notes", csrf],
    )
    assert refused == [400, translate("Write a note first.")]

    # The case form is prefilled with the names, and still files the ids reports count.
    await page.click("#close")
    await expect(page.locator("#case-situation")).to_have_value(situation)
    await page.select_option("#outcome", "resolved")
    await page.click("#close-confirm")
    await expect(page.locator("#composer")).to_be_hidden()
    closed = await desk.tickets.get(ticket.id)
    assert closed is not None and closed.case is not None
    assert (closed.case.situation, closed.case.platform) == ("secure_account", "instagram")


@pytest.mark.parametrize("language", ["fr", "ar", "hi"])
def test_steps_done_are_named_by_the_words_she_was_shown_in_the_staff_members_language(language: str) -> None:
    """Not "save proof" but "Avant de bloquer, gardez des preuves": the step's first clause, translated."""
    english = id_labels()["steps"]["sextortion.save_proof"]
    assert step_name(english) == "Before blocking, save proof"
    named = console_texts(CATALOGS, language)["labels"]["steps"]["sextortion.save_proof"]
    assert named == step_name(CATALOGS.gettext(language, english)) and named != step_name(english)
    assert 0 < len(named) <= 80 and ":" not in named
