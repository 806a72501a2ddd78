"""The staff console in a real browser: Debian's Chromium driven by Playwright, one browser per module.

The desk, staff accounts and sessions are real (Redis db 9); tickets are created and people speak
through the Desk directly, as the gateway does, and the page must show it live.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect
from redis.asyncio import Redis

from bot.handoff.console_auth import SESSION_COOKIE
from bot.handoff.desk import Desk
from bot.handoff.model import Author, Summary
from bot.handoff.sessions import SessionStore
from bot.handoff.staff import Staff
from tests.console_support import PASSWORD, SUMMARY, Outbox, reply
from tests.support.events import until_subscribers
from tests.test_webchat import CHROMIUM, CHROMIUM_ARGS

pytest_plugins = ["tests.console_support"]  # its fixtures: redis (db 9), desk, outbox, staff, server…

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
XSS_AS_ID = XSS.replace("__", " ")  # a situation or platform is an id: an unnamed one shows as its words
# Counts the beeps: wraps the browser's own WebAudio, before any page script runs.
COUNT_BEEPS = """
window.__beeps = 0;
const createOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__beeps += 1;
  return createOscillator.call(this);
};
"""

OpenConsole = Callable[..., Awaitable[Page]]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def new_page(browser: Browser, server: TestServer) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    """Pages in fresh browser contexts (separate cookies: separate staff), at 1280x800; closed before the
    server stops. No page may break the Content-Security-Policy or throw."""
    contexts = []
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            problems.append(message.text)

    async def open_page(**options: Any) -> Page:  # options: the context's, e.g. locale="ar-EG"
        context = await browser.new_context(
            viewport={"width": 1280, "height": 800}, base_url=str(server.make_url("")), **options
        )
        contexts.append(context)
        await context.add_init_script(COUNT_BEEPS)
        page = await context.new_page()
        page.set_default_timeout(8000)
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        await context.close()
    assert problems == []


@pytest.fixture
async def open_console(
    new_page: Callable[..., Awaitable[Page]],
    sessions: SessionStore,
    staff: dict[str, Staff],
    server: TestServer,
) -> OpenConsole:
    """The console, signed in as `name` (a session made directly: signing in is tested on its own)."""

    async def open_as(name: str, **options: Any) -> Page:
        page = await new_page(**options)
        session = await sessions.create(name)
        await page.context.add_cookies(
            [
                {
                    "name": SESSION_COOKIE,
                    "value": session.id,
                    "domain": server.host,
                    "path": "/console",
                    "httpOnly": True,
                    "sameSite": "Strict",
                }
            ]
        )
        await page.goto("/console")
        await expect(page.locator("#connection")).to_have_class("connection live")  # in any language
        return page

    return open_as


def queued(page: Page, ticket_id: str) -> object:
    return page.locator(f"#queue li[data-ticket='{ticket_id}']")


async def test_sign_in_and_the_queue_shows_a_waiting_ticket(
    new_page: Callable[[], Awaitable[Page]], staff: dict[str, Staff], desk: Desk
) -> None:
    ticket = await desk.enqueue("telegram:1", SUMMARY)
    page = await new_page()
    await page.goto("/console")
    await page.fill("#name", "alice")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")

    item = page.locator(f"#queue li[data-ticket='{ticket.id}']")
    await expect(item.locator(".headline")).to_have_text("hacked account · Instagram")  # unnamed: its words
    await expect(item.locator(".badge")).to_have_text(["Danger", "Intimate images"])  # danger first
    await expect(item.locator(".meta")).to_have_text("Spanish · Telegram · Mexico (MX)")
    await expect(page).to_have_title("(1) SafeSpaces console")
    await expect(page.locator("#me")).to_have_text("Alice · agent")
    await expect(page.locator("#supervisor")).to_be_hidden()
    waited = await item.locator(".wait").text_content()
    await expect(item.locator(".wait")).not_to_have_text(waited or "")  # the waiting time ticks
    assert (waited or "").startswith("waiting ")


async def test_a_new_handoff_appears_live_with_a_sound_and_the_title_badge(
    open_console: OpenConsole, desk: Desk, redis: Redis
) -> None:
    page = await open_console("alice")
    await expect(page).to_have_title("SafeSpaces console")
    await page.click("#queue-title")  # browsers allow sound only after the first interaction
    await until_subscribers(redis, 1)
    first = await desk.enqueue("sms:1", Summary(situation="fake_profile", channel="twilio"))
    await expect(page.locator(f"#queue li[data-ticket='{first.id}']")).to_be_visible()
    await expect(page).to_have_title("(1) SafeSpaces console")
    await desk.enqueue("sms:2", Summary(situation="threats", channel="twilio"))
    await expect(page).to_have_title("(2) SafeSpaces console")
    assert await page.evaluate("window.__beeps") == 2


async def test_take_a_conversation_chat_live_and_close_it(
    open_console: OpenConsole, desk: Desk, outbox: Outbox
) -> None:
    transcript = [(Author.PERSON, "he posted my address"), (Author.BOT, "Are you safe right now?")]
    ticket = await desk.enqueue("telegram:7", SUMMARY, transcript)
    page = await open_console("alice")
    await page.click(f"#queue li[data-ticket='{ticket.id}'] button.take")

    await expect(page.locator("#composer")).to_be_visible()
    await expect(page.locator("#text")).to_be_focused()
    log = page.locator("#log li")
    await expect(log).to_have_count(3)
    await expect(page.locator("#log li.person .text")).to_have_text("he posted my address")
    await expect(page.locator("#log li.bot .who")).to_contain_text("Assistant (shared transcript)")
    await expect(page.locator("#log li.system")).to_contain_text("You took the conversation")
    await expect(page.locator("#summary")).to_contain_text("evenings, by text")
    await expect(page.locator("#mine li")).to_have_count(1)

    await desk.from_person(ticket, "are you there?")  # the person writes: it shows without a reload
    await expect(page.locator("#log li.person .text").last).to_have_text("are you there?")

    await page.fill("#text", "Hello, I'm Alice.")
    await page.press("#text", "Enter")
    await expect(page.locator("#log li.staff .text")).to_have_text("Hello, I'm Alice.")
    await expect(page.locator("#text")).to_have_value("")
    await page.type("#text", "line one")
    await page.press("#text", "Shift+Enter")  # a new line, not a send
    await page.type("#text", "line two")
    await expect(page.locator("#log li.staff")).to_have_count(1)
    await page.press("#text", "Enter")
    await expect(page.locator("#log li.staff .text").last).to_have_text("line one\nline two")
    sent = [r.text for to, r in outbox.sent if to == "telegram:7" and r.key == "staff_message"]
    assert sent == [
        reply("staff_message", staff_name="Alice", text=t)
        for t in ("Hello, I'm Alice.", "line one\nline two")
    ]

    await page.select_option("#canned", index=1)  # each canned reply in the person's language
    await expect(page.locator("#canned-text")).to_have_text(reply("canned_greeting"))
    await page.click("#canned-insert")
    await expect(page.locator("#text")).to_have_value(reply("canned_greeting"))
    await page.click("#mode-note")
    await page.fill("#text", "seems calmer now")
    await page.press("#text", "Enter")
    await expect(page.locator("#log li.note .text")).to_have_text("seems calmer now")
    assert not any("seems calmer" in text for text in outbox.texts("telegram:7"))  # notes stay internal

    await page.click("#close")
    await page.select_option("#outcome", "resolved")
    await page.click("#close-confirm")
    await expect(page.locator("#ticket-state")).to_contain_text("Closed (resolved)")
    await expect(page.locator("#composer")).to_be_hidden()
    await expect(page.locator("#mine li")).to_have_count(0)
    assert outbox.keys("telegram:7")[-1] == "handoff_closed"


async def test_text_from_people_and_summaries_shows_as_text_never_as_html(
    open_console: OpenConsole, desk: Desk
) -> None:
    summary = Summary(situation=XSS, platform=XSS, safe_contact=XSS, steps_done=(XSS,), channel="web")
    ticket = await desk.enqueue("web:x", summary, [(Author.PERSON, XSS)])
    await desk.leave_message("web:y", summary, XSS)
    page = await open_console("alice")
    await expect(page.locator("#queue .headline")).to_have_text(f"{XSS_AS_ID} · {XSS_AS_ID}")
    await expect(page.locator("#follow-ups .safe")).to_have_text(f"Safe contact: {XSS}")
    await page.click(f"#queue li[data-ticket='{ticket.id}'] button.take")
    await expect(page.locator("#composer")).to_be_visible()
    await desk.from_person(ticket, XSS)
    await expect(page.locator("#log li.person .text")).to_have_text([XSS, XSS])
    await expect(page.locator("#summary dd").first).to_have_text(XSS_AS_ID)
    await expect(page.locator("#summary")).to_contain_text(f"Safe contact{XSS}")
    assert await page.evaluate("document.querySelectorAll('body script, body img').length") == 0
    assert await page.evaluate("window.__xss") is None


async def test_repeated_wrong_passwords_slow_the_sign_in_down(
    new_page: Callable[[], Awaitable[Page]], staff: dict[str, Staff]
) -> None:
    page = await new_page()
    await page.goto("/console")
    for _ in range(4):  # three free failures, then a wait
        await page.fill("#name", "alice")
        await page.fill("#password", "not the password")
        await page.click("button[type=submit]")
        await expect(page.locator("#message")).to_have_text("Wrong name or password.")
    await page.fill("#name", "alice")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    # The wait is counted down from when the fourth failure was refused: "1 minute", or "59 seconds" on
    # a loaded machine.
    waiting = re.compile(r"Too many failed attempts: try again in (1 minute|5\d seconds)\.")
    await expect(page.locator("#message")).to_have_text(waiting)
    await expect(page.locator("#queue")).to_have_count(0)


async def test_two_staff_race_to_take_one_conversation(
    open_console: OpenConsole, desk: Desk, redis: Redis
) -> None:
    alice, bob = await open_console("alice"), await open_console("bob")
    await until_subscribers(redis, 2)
    ticket = await desk.enqueue("telegram:9", SUMMARY)
    take = f"#queue li[data-ticket='{ticket.id}'] button.take"
    for page in (alice, bob):
        await expect(page.locator(take)).to_be_visible()
    await asyncio.gather(alice.click(take), bob.click(take))

    await expect(alice.locator("#composer:visible, #notice:visible")).to_have_count(1)
    await expect(bob.locator("#composer:visible, #notice:visible")).to_have_count(1)
    taken = await desk.tickets.get(ticket.id)
    assert taken is not None and taken.staff in {"alice", "bob"}
    winner, loser = (alice, bob) if taken.staff == "alice" else (bob, alice)
    await expect(winner.locator("#composer")).to_be_visible()
    await expect(loser.locator("#notice")).to_contain_text("already taken")
    await expect(loser.locator("#composer")).to_be_hidden()
    await expect(loser.locator(take)).to_have_count(0)


async def test_block_a_sender_then_a_supervisor_unblocks_it(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    ticket = await desk.enqueue("whatsapp:666", SUMMARY)
    await desk.claim(ticket.id, staff["alice"])
    alice, sue = await open_console("alice"), await open_console("sue")
    await expect(sue.locator("#supervisor")).to_be_visible()
    await expect(sue.locator("#everyone li .meta").last).to_have_text("With Alice (alice)")
    await expect(sue.locator("#stats")).to_contain_text("With staff1")

    await alice.click(f"#mine li[data-ticket='{ticket.id}'] button.open")
    alice.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await alice.click("#block")
    await expect(alice.locator("#ticket-state")).to_contain_text("sender blocked")
    assert await desk.blocks.is_blocked("whatsapp:666")

    blocked = sue.locator("#blocked li")  # appears live on the supervisor's console
    await expect(blocked).to_contain_text(f"Ticket {ticket.id}, blocked by Alice (alice)")
    await expect(sue.locator("#audit")).to_contain_text("block")
    await blocked.locator("button").click()
    await expect(blocked).to_have_count(0)
    assert not await desk.blocks.is_blocked("whatsapp:666")
