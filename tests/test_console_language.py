"""The console in each staff member's language, in Chromium: texts from the gettext catalogs, the
browser's language by default, a choice kept with the staff record, and right-to-left in Arabic."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

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
