"""Queue honesty, in Chromium and at the desk: what she wrote while waiting is visible before anyone
takes her, a person who leaves shows as left, the wait she is told counts the staff at the console and
today's handling times, and she hears when nobody is available and when her place moves — once per
change, never a storm.

The desk, staff, sessions and presence are real (Redis db 9); people speak through the Desk as the
gateway does, and are told their place as bot/handoff/flow.py tells them (Waits.told).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect
from redis.asyncio import Redis

from bot.handoff.desk import Desk
from bot.handoff.model import Ticket
from bot.handoff.staff import Staff
from bot.handoff.waits import Place, Waits
from bot.storage.keys import PREFIX, ticket_key
from tests.console_support import SUMMARY, Outbox, reply
from tests.test_console import browser, new_page, open_console
from tests.test_console_shift import screenshot

pytest_plugins = ["tests.console_support"]
__all__ = ["browser", "new_page", "open_console"]  # fixtures used by name below

OpenConsole = Callable[..., Awaitable[Page]]
THROTTLE = 0.3


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


async def queued_and_told(desk: Desk, waits: Waits, conversation: str) -> Ticket:
    """A person joins the queue and hears her place, as the gateway's handoff flow does it."""
    ticket = await desk.enqueue(conversation, SUMMARY)
    place = await waits.place(ticket.id)
    assert place is not None
    await waits.told(ticket.id, place, "handoff_queued" if place.available else "handoff_queued_nobody")
    return ticket


async def available(desk: Desk) -> int:
    return len(await desk.presence.available())


async def throttle_over(redis: Redis, ticket: Ticket) -> bool:
    return not await redis.exists(f"{PREFIX}:handoff:told:{ticket.id}")


# --- what the console shows ---


async def test_messages_written_while_waiting_show_in_the_queue_before_taking(
    open_console: OpenConsole, desk: Desk
) -> None:
    ticket = await desk.enqueue("telegram:31", SUMMARY)
    page = await open_console("alice")
    item = page.locator(f"#queue li[data-ticket='{ticket.id}']")
    await expect(item).to_be_visible()
    await expect(item.locator(".waiting-messages")).to_have_count(0)  # nothing written yet

    await desk.from_person(ticket, "are you there")
    await desk.from_person(ticket, "he is outside my door now")
    await expect(item.locator(".waiting-count")).to_have_text("2 messages while waiting")
    await expect(item.locator(".waiting-latest")).to_have_text("he is outside my door now")
    await screenshot(page, "queue-waiting")

    await item.locator("button.open").click()  # read before taking: the summary, and what she wrote
    await expect(page.locator("#take-row")).to_be_visible()
    await expect(page.locator("#summary .waiting-latest")).to_have_text("he is outside my door now")
    await expect(page.locator("#log")).to_be_hidden()  # the conversation itself only once taken


async def test_a_person_who_leaves_the_queue_shows_as_left_not_as_taken(
    open_console: OpenConsole, desk: Desk
) -> None:
    ticket = await desk.enqueue("telegram:32", SUMMARY)
    page = await open_console("alice")
    await page.click(f"#queue li[data-ticket='{ticket.id}'] button.open")
    await expect(page.locator("#take-row")).to_be_visible()

    await desk.cancel("telegram:32", "cancelled")
    await expect(page.locator("#ticket-state")).to_contain_text("She left before anyone took it (cancelled)")
    await expect(page.locator("#take-row")).to_be_hidden()
    await expect(page.locator("#queue li")).to_have_count(0)
    await expect(page.locator("#notice")).to_be_hidden()  # no "already taken by a colleague"

    response = await page.request.post(
        f"/console/api/tickets/{ticket.id}/claim",
        headers={
            "X-CSRF-Token": await page.evaluate(
                "fetch('/console/api/me').then((r) => r.json()).then((me) => me.csrf)"
            )
        },
    )
    assert response.status == 409
    assert (await response.json())["error"] == "She left before anyone took the conversation."


# --- the wait she is told ---


async def test_the_estimate_counts_staff_at_the_console_and_todays_handling_times(
    desk: Desk, staff: dict[str, Staff]
) -> None:
    waits = Waits(desk, minutes_per_person=5)
    first = await desk.enqueue("telegram:41", SUMMARY)
    second = await desk.enqueue("telegram:42", SUMMARY)
    assert await waits.place(second.id) == Place(position=2, available=0, wait_seconds=None)

    await desk.presence.seen("alice")
    assert await waits.place(second.id) == Place(position=2, available=1, wait_seconds=600.0)
    await desk.presence.seen("bob")
    assert await waits.place(second.id) == Place(position=2, available=2, wait_seconds=300.0)
    await desk.presence.set_away("bob", True)  # on a break: not counted
    assert await waits.place(second.id) == Place(position=2, available=1, wait_seconds=600.0)

    # Three conversations closed today, each 4 minutes long: their average replaces the guess.
    for n in range(3):
        done = await desk.enqueue(f"telegram:5{n}", SUMMARY)
        await desk.claim(done.id, staff["sue"])
        await desk.redis.hset(ticket_key(done.id), "claimed_at", time.time() - 240)  # taken 4 min ago
        await desk.close(done.id, staff["sue"], "resolved")
    place = await waits.place(second.id)
    assert place is not None and place.position == 2 and place.wait_seconds is not None
    assert 2 * 239 < place.wait_seconds < 2 * 242
    assert await waits.place(first.id) is not None


async def test_she_hears_when_someone_is_available_when_her_place_moves_and_when_nobody_is(
    open_console: OpenConsole, desk: Desk, redis: Redis, outbox: Outbox
) -> None:
    waits = Waits(desk, minutes_per_person=5, throttle_seconds=THROTTLE)
    first = await queued_and_told(desk, waits, "telegram:61")
    second = await queued_and_told(desk, waits, "telegram:62")
    assert await waits.tell_waiting() == 0  # nobody at the console, and she was told so

    page = await open_console("alice")
    await until(lambda: _is(available(desk), 1), "alice counted as present")
    await until(lambda: throttle_over(redis, second), "the first notices' throttle is over")
    assert await waits.tell_waiting() == 2  # someone is available now: each hears her place and wait
    assert outbox.keys("telegram:61") == ["handoff_place_changed"]
    assert outbox.texts("telegram:62") == [reply("handoff_place_changed", position=2, wait="10 minutos")]
    assert "10 minutos" in outbox.texts("telegram:62")[0]  # in her language
    assert await waits.tell_waiting() == 0  # no change: nothing more

    await page.click(f"#queue li[data-ticket='{first.id}'] button.take")
    await expect(page.locator("#composer")).to_be_visible()
    await until(lambda: throttle_over(redis, second), "the throttle is over")
    assert await waits.tell_waiting() == 1  # she is next now
    assert outbox.texts("telegram:62")[-1] == reply("handoff_place_changed", position=1, wait="5 minutos")
    await until(lambda: throttle_over(redis, second), "the throttle is over")
    assert await waits.tell_waiting() == 0  # one message per change, however often it is checked

    await page.click("#away")  # alice goes on a break: nobody is available
    await expect(page.locator("#away")).to_have_text("Away")
    assert await waits.tell_waiting() == 1
    assert outbox.keys("telegram:62")[-1] == "handoff_nobody_available"
    assert outbox.keys("telegram:61") == ["handoff_place_changed", "handoff_joined"]


async def test_she_hears_once_when_the_wait_she_was_told_has_passed(
    desk: Desk, staff: dict[str, Staff], redis: Redis, outbox: Outbox
) -> None:
    waits = Waits(desk, minutes_per_person=5, throttle_seconds=THROTTLE, overrun_grace_seconds=0.2)
    await desk.presence.seen("alice")
    for n in range(3):  # today's conversations were quick: the estimate is short
        done = await desk.enqueue(f"telegram:7{n}", SUMMARY)
        await desk.claim(done.id, staff["sue"])
        await desk.close(done.id, staff["sue"], "resolved")
    waiting = await queued_and_told(desk, waits, "telegram:79")
    await until(lambda: throttle_over(redis, waiting), "the throttle is over")

    async def told_longer() -> bool:
        return await waits.tell_waiting() == 1

    await until(told_longer, "she is told it takes longer")
    assert outbox.keys("telegram:79") == ["handoff_taking_longer"]
    await until(lambda: throttle_over(redis, waiting), "the throttle is over")
    assert await waits.tell_waiting() == 0  # once: her wait has overrun again, but nothing changed


async def _is(count: Awaitable[int], expected: int) -> bool:
    return await count == expected
