"""A counsellor's shift in the console, in Chromium: notes apart from replies, the undo window, the
person's earlier contacts, closing with the case form, silent follow-ups and her safe time, unread
counts and notifications, links that survive a reload, a dropped connection, take next, the report.

The desk, staff and sessions are real (Redis db 9, shared with tests/test_console.py); people speak
through the Desk as the gateway does. With SAFESPACES_SCREENSHOTS=1 the tests also take the pictures
of docs/console.md into docs/img/.
"""

from __future__ import annotations

import calendar
import csv
import io
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from redis.asyncio import Redis

from bot.handoff.desk import Desk
from bot.handoff.model import Author, Risk, Summary, TicketState
from bot.handoff.sessions import SessionStore
from bot.handoff.staff import Staff, StaffStore
from tests.console_support import SUMMARY, Outbox
from tests.support.events import until_subscribers
from tests.test_console import browser, new_page, open_console

pytest_plugins = ["tests.console_support"]
__all__ = ["browser", "new_page", "open_console"]  # fixtures used by name below

OpenConsole = Callable[..., Awaitable[Page]]
IMAGES = Path(__file__).resolve().parent.parent / "docs" / "img"
# Records desktop notifications (title and body) while still showing the browser's own.
RECORD_NOTIFICATIONS = """
window.__notifications = [];
const Shown = window.Notification;
window.Notification = class extends Shown {
  constructor(title, options) {
    super(title, options);
    window.__notifications.push({ title, body: options && options.body });
  }
};
"""


async def screenshot(page: Page, name: str) -> None:
    """A picture for docs/console.md, when asked for (the pictures are committed, not remade each run)."""
    if os.environ.get("SAFESPACES_SCREENSHOTS"):
        IMAGES.mkdir(exist_ok=True)
        await page.screenshot(path=IMAGES / f"{name}.png")


def outside_today() -> str:
    """A weekday that is not today (nor tomorrow) in London or Nairobi: outside a safe time set on it."""
    return calendar.day_name[(datetime.now(UTC).weekday() + 3) % 7]


async def take(page: Page, ticket_id: str) -> None:
    await page.click(f"#queue li[data-ticket='{ticket_id}'] button.take")
    await expect(page.locator("#composer")).to_be_visible()


# --- notes apart from replies, and the undo window ---


@pytest.mark.parametrize("undo_seconds", [5.0])
async def test_a_reply_waits_five_seconds_to_be_undone_and_a_note_is_never_sent(
    open_console: OpenConsole, desk: Desk, outbox: Outbox, undo_seconds: float
) -> None:
    ticket = await desk.enqueue("telegram:21", SUMMARY, [(Author.PERSON, "he is outside")])
    page = await open_console("alice")
    await take(page, ticket.id)

    await page.click("#mode-note")
    await expect(page.locator("#composer")).to_have_class("composer note-mode")
    await expect(page.locator("#mode-label")).to_have_text(
        "Internal note: only staff see it. It is never sent to the person."
    )
    await expect(page.locator("#send")).to_have_text("Save note")
    await page.fill("#text", "NOTE for file: caller sounds very frightened")
    await screenshot(page, "note-mode")
    await page.press("#text", "Enter")
    await expect(page.locator("#log li.note .text")).to_have_text(
        "NOTE for file: caller sounds very frightened"
    )
    await expect(page.locator("#log li.note .who")).to_contain_text("Internal note by you (not sent)")
    await expect(page.locator("#composer")).to_have_class("composer note-mode")  # stays a note until changed

    await page.click("#mode-reply")
    await page.fill("#text", "Sorry, wrong words")
    await page.press("#text", "Enter")
    pending = page.locator("#pending li")
    await expect(pending.locator(".countdown")).to_contain_text("Sending in")
    await screenshot(page, "undo")
    await pending.locator("button.undo").click()
    await expect(pending).to_have_count(0)
    await expect(page.locator("#text")).to_have_value("Sorry, wrong words")

    await page.fill("#text", "I'm here with you. Are you somewhere safe?")
    await page.press("#text", "Enter")
    await pending.locator("button.send-now").click()
    await expect(page.locator("#log li.staff .text")).to_have_text(
        "I'm here with you. Are you somewhere safe?"
    )
    # The reply went after the note and the undone message were written: had either been sent, it
    # would be in the outbox before it.
    texts = outbox.texts("telegram:21")
    assert "I'm here with you" in texts[-1]
    assert not any("NOTE for file" in text or "wrong words" in text for text in texts)


@pytest.mark.parametrize("undo_seconds", [5.0])
async def test_a_reply_waiting_out_its_undo_window_goes_before_closing(
    open_console: OpenConsole, desk: Desk, outbox: Outbox, undo_seconds: float
) -> None:
    ticket = await desk.enqueue("telegram:22", SUMMARY)
    page = await open_console("alice")
    await take(page, ticket.id)
    await page.fill("#text", "Take care. Goodbye.")
    await page.press("#text", "Enter")
    await page.click("#close")
    await page.select_option("#outcome", "resolved")
    await page.click("#close-confirm")
    await expect(page.locator("#ticket-state")).to_contain_text("Closed (resolved)")
    assert outbox.keys("telegram:22")[-2:] == ["staff_message", "handoff_closed"]


@pytest.mark.parametrize("undo_seconds", [5.0])
async def test_a_reply_still_in_its_undo_window_at_a_reload_comes_back_unsent(
    open_console: OpenConsole, desk: Desk, outbox: Outbox, undo_seconds: float
) -> None:
    ticket = await desk.enqueue("telegram:23", SUMMARY)
    page = await open_console("alice")
    await take(page, ticket.id)
    await page.fill("#text", "Half-thought reply")
    await page.press("#text", "Enter")
    await expect(page.locator("#pending li")).to_have_count(1)
    await page.reload()
    await expect(page.locator("#text")).to_have_value("Half-thought reply")
    await expect(page.locator("#pending li")).to_have_count(0)
    assert outbox.keys("telegram:23") == ["handoff_joined"]


# --- the case record and the case form ---


async def test_a_returning_person_shows_her_earlier_ticket_and_the_outcome_never_carries_over(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    first = await desk.enqueue("whatsapp:31", SUMMARY)
    await desk.claim(first.id, staff["bob"])
    await desk.note(first.id, staff["bob"], "ex-partner has her passwords")
    await desk.close(first.id, staff["bob"], "referred")
    again = await desk.enqueue("whatsapp:31", SUMMARY)
    other = await desk.enqueue("whatsapp:32", Summary(situation="fake_profile", channel="whatsapp"))
    page = await open_console("alice")

    await take(page, again.id)
    await expect(page.locator("#previous-title")).to_have_text("Earlier contacts: 1")
    await page.click("#previous-title")
    past = page.locator(f"#previous-list li[data-ticket='{first.id}']")
    await expect(past.locator(".past-head")).to_contain_text(f"ticket {first.id} · referred · with Bob (bob)")
    await expect(past.locator(".past-note")).to_have_text("Note by Bob (bob): ex-partner has her passwords")
    await screenshot(page, "earlier-contacts")

    await page.click("#close")
    await expect(page.locator("#outcome")).to_have_value("")
    await expect(page.locator("#case-situation")).to_have_value("hacked account")  # from the summary
    await expect(page.locator("#case-risks input:checked")).to_have_count(2)
    await page.click("#close-confirm")  # no outcome chosen: the form stays, nothing is closed
    await expect(page.locator("#close-form")).to_be_visible()
    still = await desk.tickets.get(again.id)
    assert still is not None and still.state is TicketState.WITH_STAFF
    await page.select_option("#outcome", "follow_up_needed")
    await page.fill("#case-tags", "repeat, passwords")
    await page.fill("#case-note", "call back after she changed the passwords")
    await screenshot(page, "close-form")
    await page.click("#close-confirm")
    await expect(page.locator("#notice")).to_contain_text("A follow-up task was created")
    await expect(page.locator("#follow-ups li")).to_have_count(1)
    await expect(page.locator("#follow-ups li .meta").last).to_have_text(f"Follow-up of ticket {again.id}")
    closed = await desk.tickets.get(again.id)
    assert closed is not None and closed.case is not None and closed.case.tags == ("repeat", "passwords")

    await take(page, other.id)  # the next conversation starts with no outcome chosen
    await page.click("#close")
    await expect(page.locator("#outcome")).to_have_value("")
    await expect(page.locator("#case-situation")).to_have_value("fake profile")
    await expect(page.locator("#case-tags")).to_have_value("")


# --- safe follow-ups ---


async def test_a_follow_up_is_read_before_taking_and_contacting_outside_her_safe_time_needs_an_override(
    open_console: OpenConsole, desk: Desk, outbox: Outbox
) -> None:
    day = outside_today()
    summary = Summary(
        situation="stalking", channel="telegram", country="KE", safe_contact=f"{day}s after 6pm"
    )
    left = await desk.leave_message("telegram:41", summary, "he reads my phone in the mornings")
    page = await open_console("alice")
    item = page.locator(f"#follow-ups li[data-ticket='{left.id}']")
    await expect(item.locator(".safe-now")).to_contain_text("outside it now")

    await item.locator("button.open").click()  # read without taking
    await expect(page.locator("#log li.person .text")).to_have_text("he reads my phone in the mornings")
    await expect(page.locator("#take-hint")).to_contain_text("does not contact her")
    await expect(page.locator("#summary")).to_contain_text(
        f"Read as {day[:3].title()}, 18:00–24:00 (Africa/Nairobi) · outside it now"
    )
    await page.click("#take")
    await expect(page.locator("#composer")).to_be_visible()
    await expect(page.locator("#override-row")).to_be_visible()
    await screenshot(page, "safe-time")
    assert outbox.sent == []  # taking it told her nothing

    await page.fill("#text", "Hello, this is Alice from the helpline.")
    await page.press("#text", "Enter")
    await expect(page.locator("#notice")).to_contain_text("outside the time she said is safe")
    await expect(page.locator("#pending li")).to_have_count(0)
    await expect(page.locator("#text")).to_have_value("Hello, this is Alice from the helpline.")
    assert outbox.sent == []

    await page.check("#override")
    await page.press("#text", "Enter")
    await expect(page.locator("#log li.staff .text")).to_have_text("Hello, this is Alice from the helpline.")
    assert outbox.keys("telegram:41") == ["staff_message"]
    assert "override_safe_time" in [entry.action for entry in await desk.audit.entries()]


# --- attention ---


async def test_a_message_in_a_background_chat_shows_unread_changes_the_title_and_notifies(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff], redis: Redis
) -> None:
    first = await desk.enqueue("sms:51", Summary(situation="threats", channel="twilio"))
    second = await desk.enqueue("sms:52", Summary(situation="doxxing", channel="twilio"))
    for ticket in (first, second):
        await desk.claim(ticket.id, staff["alice"])
    page = await open_console("alice")
    await page.context.grant_permissions(["notifications"])
    await page.add_init_script(RECORD_NOTIFICATIONS)
    await page.reload()
    await page.click("#shift")  # start shift: sound on, notifications allowed
    await expect(page.locator("#shift")).to_have_text("On shift")
    await page.click(f"#mine li[data-ticket='{first.id}'] button.open")
    await expect(page.locator("#composer")).to_be_visible()
    await until_subscribers(redis, 1)
    beeps = await page.evaluate("window.__beeps")

    shouting = "he is shouting that he will come back tonight. what do I do??"
    await desk.from_person(second, shouting)
    other = page.locator(f"#mine li[data-ticket='{second.id}'] .unread")
    await expect(other).to_have_text("1 new")
    await expect(page).to_have_title("✉1 SafeSpaces console")
    await page.wait_for_function("window.__notifications.length === 1")
    [shown] = await page.evaluate("window.__notifications")
    assert shown["title"] == "New message" and "shouting" not in str(shown)  # never her words
    assert await page.evaluate("window.__beeps") == beeps + 1
    await screenshot(page, "unread")

    await desk.from_person(first, "still there?")  # in the open chat: shown, not counted
    await expect(page.locator("#log li.person .text").last).to_have_text("still there?")
    await page.click(f"#mine li[data-ticket='{second.id}'] button.open")
    await expect(page.locator("#log li.person .text").last).to_have_text(shouting)
    await expect(page.locator("#mine .unread")).to_have_count(0)
    await expect(page).to_have_title("SafeSpaces console")
    assert await page.evaluate("window.__notifications.length") == 1


async def test_a_transfer_alerts_the_colleague(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff], redis: Redis
) -> None:
    ticket = await desk.enqueue("sms:55", SUMMARY)
    await desk.claim(ticket.id, staff["alice"])
    bob = await open_console("bob")
    await bob.context.grant_permissions(["notifications"])
    await bob.add_init_script(RECORD_NOTIFICATIONS)
    await bob.reload()
    await until_subscribers(redis, 1)
    await desk.transfer(ticket.id, staff["alice"], staff["bob"])
    await expect(bob.locator(f"#mine li[data-ticket='{ticket.id}']")).to_be_visible()
    await bob.wait_for_function("window.__notifications.length > 0")
    titles = await bob.evaluate("window.__notifications.map((n) => n.title)")
    assert titles == ["A conversation was transferred to you"]


async def test_the_open_chat_and_its_draft_survive_a_reload_and_a_dropped_connection(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    ticket = await desk.enqueue("telegram:61", SUMMARY, [(Author.PERSON, "are you still there")])
    await desk.claim(ticket.id, staff["alice"])
    page = await open_console("alice")
    await page.click(f"#mine li[data-ticket='{ticket.id}'] button.open")
    await expect(page).to_have_url(f"{page.url.split('#')[0]}#ticket={ticket.id}")
    await page.click("#mode-note")
    await page.fill("#text", "half a note")

    await page.reload()
    await expect(page.locator("#log li.person .text")).to_have_text("are you still there")
    await expect(page.locator("#text")).to_have_value("half a note")
    await expect(page.locator("#composer")).to_have_class("composer note-mode")

    await page.context.set_offline(True)
    await page.click(f"#mine li[data-ticket='{ticket.id}'] button.open")  # a fetch that fails
    await expect(page.locator("#connection")).to_have_text("Offline: retrying…")
    await page.click("#mode-reply")
    await page.fill("#text", "I am here")
    await page.press("#text", "Enter")  # the send fails: the words come back
    await expect(page.locator("#notice")).to_contain_text("Cannot reach the server")
    await expect(page.locator("#text")).to_have_value("I am here")
    await expect(page.locator("#ticket")).to_be_visible()
    await expect(page.locator("#log li.person .text")).to_have_text("are you still there")

    await page.context.set_offline(False)
    await expect(page.locator("#connection")).to_have_text("Live", timeout=15_000)
    await expect(page.locator("#notice")).to_be_hidden()
    await expect(page.locator("#text")).to_have_value("I am here")


# --- languages and take next ---


async def test_the_queue_names_languages_and_take_next_prefers_mine(
    open_console: OpenConsole, desk: Desk, staff_store: StaffStore
) -> None:
    await staff_store.set_languages("bob", ["sw"])
    portuguese = await desk.enqueue("sms:71", Summary(situation="threats", language="pt", channel="twilio"))
    swahili = await desk.enqueue(
        "sms:72", Summary(situation="doxxing", language="sw", channel="twilio", country="KE")
    )
    page = await open_console("bob")
    await expect(page.locator("#me")).to_have_text("Bob · agent · Swahili")
    item = page.locator(f"#queue li[data-ticket='{swahili.id}'] .meta")
    await expect(item).to_have_text("Swahili · SMS (Twilio) · Kenya (KE)")
    await expect(item.locator(".language.mine")).to_have_count(1)
    await expect(page.locator(f"#queue li[data-ticket='{portuguese.id}'] .meta")).to_have_text(
        "Portuguese · SMS (Twilio)"
    )
    await screenshot(page, "queue")
    await page.click("#take-next")
    await expect(page.locator("#ticket-title")).to_have_text(f"My info posted — ticket {swahili.id}")
    taken = await desk.tickets.get(swahili.id)
    assert taken is not None and taken.staff == "bob"


# --- the supervisor's report ---


async def test_a_supervisor_downloads_the_period_s_tickets_as_csv(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff], sessions: SessionStore
) -> None:
    ticket = await desk.enqueue(
        "telegram:81", Summary(situation="ncii", risks=(Risk.NCII,), channel="telegram")
    )
    await desk.claim(ticket.id, staff["alice"])
    await desk.close(ticket.id, staff["alice"], "resolved")
    page = await open_console("sue")
    async with page.expect_download() as info:
        await page.click("#report-download")
    download = await info.value
    assert download.suggested_filename.startswith("safespaces-") and download.suggested_filename.endswith(
        ".csv"
    )
    rows = list(csv.DictReader(io.StringIO(Path(await download.path()).read_text(encoding="utf-8"))))
    assert [(row["id"], row["outcome"], row["risks"], row["staff"]) for row in rows] == [
        (ticket.id, "resolved", "ncii", "alice")
    ]
