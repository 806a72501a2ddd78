"""Supervisors label the inbox in Chromium: each sentence with its language, the model's guess and
confidence; accept or correct the intent, mark the platform, discard; in the console's language;
agents cannot read it. The store is real (Redis), sealed, as the gateway writes it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from bot.handoff.desk import Desk
from bot.handoff.staff import Staff
from bot.inbox.store import Waiting
from tests.console_support import inbox_store
from tests.test_console import browser, new_page, open_console

pytest_plugins = ["tests.console_support"]
__all__ = ["browser", "new_page", "open_console"]  # fixtures used by name below

OpenConsole = Callable[..., Awaitable[Page]]


async def test_supervisors_accept_correct_mark_the_platform_and_discard(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    store = inbox_store(desk.redis)
    hacked = await store.keep(
        Waiting(text="sum1 got in2 my insta", language="en", guess="secure_account", confidence=0.42)
    )
    fake = await store.keep(
        Waiting(text="a profil with my face on tiktok", language="en", guess="out_of_scope", confidence=0.31)
    )
    soup = await store.keep(Waiting(text="the soup was cold", language="en", guess="greet", confidence=0.2))
    swahili = await store.keep(
        Waiting(text="akaunti yangu imeibiwa", language="sw", guess="secure_account", confidence=0.5)
    )
    page = await open_console("sue")
    await page.select_option("#inbox-language", "en")
    await page.click("#inbox-show")
    await expect(page.locator("#inbox-view")).to_be_visible()
    items = page.locator("#inbox-items .inbox-item")
    await expect(items).to_have_count(3)  # English only
    first = page.locator(f".inbox-item[data-id='{hacked}']")
    await expect(first.locator(".inbox-text")).to_have_text("sum1 got in2 my insta")
    await expect(first.locator(".meta")).to_have_text(
        "English · the model guessed secure account (42 %) · " + (await store.get(hacked)).day
    )  # type: ignore[union-attr]
    await expect(first.locator(".inbox-intent")).to_have_value("secure_account")  # the guess, to accept
    await first.locator(".inbox-platform").fill("insta")
    await first.get_by_role("button", name="Save label").click()
    await expect(items).to_have_count(2)

    second = page.locator(f".inbox-item[data-id='{fake}']")
    await second.locator(".inbox-intent").select_option("impersonation")  # corrected
    await second.locator(".inbox-platform").fill("facebook")  # not in the sentence: refused
    await second.get_by_role("button", name="Save label").click()
    await expect(page.locator("#notice")).to_contain_text("words from the sentence")
    await second.locator(".inbox-platform").fill("tiktok")
    await second.get_by_role("button", name="Save label").click()
    await page.locator(f".inbox-item[data-id='{soup}']").get_by_role("button", name="Discard").click()
    await expect(page.locator("#inbox-empty")).to_be_visible()

    labelled = {item.id: (item.intent, item.platform) for item in await store.items(labelled=True)}
    assert labelled == {hacked: ("secure_account", "insta"), fake: ("impersonation", "tiktok")}
    assert [item.id for item in await store.items(labelled=False)] == [swahili]
    assert await store.get(soup) is None
    actions = [entry.action for entry in await desk.audit.entries()]
    assert actions.count("inbox:label") == 2 and "inbox:discard" in actions and "inbox:list" in actions


async def test_the_inbox_speaks_the_console_language_and_agents_cannot_read_it(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    store = inbox_store(desk.redis)
    item = await store.keep(
        Waiting(text="sum1 got in2 my insta", language="en", guess="secure_account", confidence=0.42)
    )
    page = await open_console("sue", locale="fr-FR")
    await page.get_by_role("button", name="Afficher les phrases").dispatch_event("click")
    await expect(page.locator("#inbox-title")).to_have_text("Phrases à étiqueter")
    await expect(page.locator(".inbox-item .meta")).to_contain_text(
        "le modèle a deviné secure account (42 %)"
    )
    await expect(page.get_by_role("button", name="Enregistrer l'étiquette")).to_be_visible()

    agent = await open_console("alice")
    await expect(agent.locator("#supervisor")).to_be_hidden()
    status = await agent.evaluate("(url) => fetch(url).then((r) => r.status)", "/console/api/inbox")
    assert status == 403
    assert (await store.get(item)) is not None
