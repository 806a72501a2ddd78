"""The handoff end to end: a person on (fake) Telegram, staff in the console in a real browser.

The whole app runs as in production (gateway, engine, channels, console) on Redis db 14; the person's
side is python-telegram-bot against the fake Bot API, the staff's side is Debian's Chromium.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect
from redis.asyncio import Redis

from bot.handoff.hours import DAYS
from bot.handoff.staff import Role, StaffStore
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings, TelegramSettings
from bot.pipeline.gateway import Gateway
from bot.rasa.engine import Engine

from .fakes.telegram import FakeTelegram
from .test_console import browser
from .test_telegram import SECRET, TOKEN, chat, fake, payload

__all__ = ["browser", "chat", "fake"]  # fixtures used by name below
PASSWORD = "a long staff password"
WEBHOOK = "/webhooks/telegram/webhook"
Login = Callable[[str], Awaitable[Page]]


async def start(settings: Settings, engine: Engine, redis: Redis, fake: FakeTelegram) -> TestServer:
    telegram = TelegramSettings(token=TOKEN, secret_token=SECRET, api_url=fake.url, polling=False)
    server = TestServer(create_app(replace(settings, telegram=telegram), engine, redis))
    await server.start_server()
    staff = StaffStore(redis)
    await staff.add("amina", PASSWORD, Role.AGENT, "Amina")
    await staff.add("ben", PASSWORD, Role.AGENT, "Ben")
    return server


@pytest.fixture
async def server(
    settings: Settings, engine: Engine, gateway_redis: Redis, fake: FakeTelegram
) -> AsyncIterator[TestServer]:
    server = await start(settings, engine, gateway_redis, fake)
    yield server
    await server.close()


@pytest.fixture
async def login(browser: Browser, server: TestServer) -> AsyncIterator[Login]:
    contexts = []

    async def sign_in(name: str) -> Page:
        context = await browser.new_context(base_url=str(server.make_url("")))
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(10_000)
        await page.goto("/console")
        await page.fill("#name", name)
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await expect(page.locator("#connection")).to_have_text("Live")
        return page

    yield sign_in
    for context in contexts:
        await context.close()


class Person:
    """Someone writing to the bot on Telegram; what they see is what the fake Bot API was sent."""

    def __init__(self, server: TestServer, fake: FakeTelegram, chat: int) -> None:
        self.server, self.fake, self.chat = server, fake, chat

    async def _post(self, update: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with aiohttp.ClientSession() as session:
            response = await session.post(self.server.make_url(WEBHOOK), json=update, headers=headers)
            assert response.status == 200

    async def says(self, text: str) -> None:
        await self._post(payload("text_message", self.chat, text=text))

    async def presses(self, data: str) -> None:
        await self._post(payload("callback_query", self.chat, data=data))

    async def sees(self, start: str, timeout: float = 15) -> str:
        """Wait for a message to this person starting with `start`; return it whole."""
        for _ in range(int(timeout / 0.05)):
            for message in self.fake.sent():
                if message["chat_id"] == str(self.chat) and message["text"].startswith(start):
                    return str(message["text"])
            await asyncio.sleep(0.05)
        raise AssertionError(f"no message starting {start!r}: {[m['text'] for m in self.fake.sent()]}")


async def test_a_person_and_a_counsellor_talk_through_telegram_and_the_bot_resumes(
    server: TestServer, fake: FakeTelegram, chat: int, login: Login
) -> None:
    gateway: Gateway = server.app[GATEWAY]
    person = Person(server, fake, chat)
    amina = await login("amina")
    ben = await login("ben")

    await person.says("/doxxing")
    await person.says("talk to a person")
    await person.presses("c:affirm")
    await person.sees("You're number 1 in line")
    [ticket] = await gateway.desk.tickets.queue()
    take = f"#queue li[data-ticket='{ticket.id}'] button.take"
    await expect(amina.locator(take)).to_be_visible()  # live, without a reload
    await amina.click(take)
    await person.sees("Amina from the helpline has joined.")

    await person.says("<b>are you there?</b> <img src=x onerror=alert(1)>")
    await expect(amina.locator("#log li.person .text").last).to_have_text(
        "<b>are you there?</b> <img src=x onerror=alert(1)>"
    )
    await amina.click("#mode-note")  # a note, in its own mode: it can never reach her
    await amina.fill("#text", "NOTE for file: caller sounds very frightened")
    await amina.press("#text", "Enter")
    await expect(amina.locator("#log li.note .text")).to_have_text(
        "NOTE for file: caller sounds very frightened"
    )
    await amina.click("#mode-reply")
    await amina.fill("#text", "Yes, I'm here. Are you safe right now?")
    await amina.press("#text", "Enter")  # leaves after the 5-second undo window
    await expect(amina.locator("#pending li .countdown")).to_contain_text("Sending in")
    await person.sees("Amina: Yes, I'm here. Are you safe right now?")
    # The note was saved before the reply was written: had it gone to Telegram, it would be there by now.
    assert not any("NOTE for file" in message["text"] for message in fake.sent())
    # While with staff, the person's words never reach Rasa.
    rasa_lines = [
        text for who, text in await gateway.engine.transcript(f"telegram:{chat}") if who == "person"
    ]
    assert not any("are you there" in text for text in rasa_lines)

    await amina.select_option("#transfer-to", "ben")
    await amina.click("#transfer")
    await expect(ben.locator(f"#mine li[data-ticket='{ticket.id}']")).to_be_visible()
    await ben.click(f"#mine li[data-ticket='{ticket.id}'] button.open")
    await expect(ben.locator("#log li.staff .text").last).to_have_text(
        "Yes, I'm here. Are you safe right now?"
    )
    ben.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await ben.click("#hand-back")
    await person.sees("Ben has handed you back to the automated guide.")
    await person.says("menu")
    await person.sees("Welcome back. Shall we continue")  # the bot answers again, where they left off


async def test_out_of_hours_a_message_left_is_a_follow_up_task_in_the_console(
    settings: Settings,
    engine: Engine,
    gateway_redis: Redis,
    fake: FakeTelegram,
    chat: int,
    browser: Browser,
    tmp_path: Path,
) -> None:
    hours = tmp_path / "hours.yml"
    other_day = DAYS[(datetime.now(UTC).weekday() + 3) % 7]
    hours.write_text(f'timezone: Africa/Nairobi\nweekly:\n  {other_day}: ["09:00-17:00"]\n')
    server = await start(replace(settings, handoff_hours=hours), engine, gateway_redis, fake)
    try:
        person = Person(server, fake, chat)
        await person.says("talk to a person")
        await person.presses("c:affirm")
        closed = await person.sees("The helpline is closed right now.")
        assert "Nairobi" in closed
        await person.presses("c:handoff_message")
        await person.sees("Write your message for the helpline.")
        await person.says("Please call about the fake account")
        await person.sees("When and how is it safe")
        await person.says("weekdays after 6pm")
        await person.sees("Thank you. Your message is saved")

        context = await browser.new_context(base_url=str(server.make_url("")))
        page = await context.new_page()
        await page.goto("/console")
        await page.fill("#name", "amina")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await expect(page.locator("#follow-ups li .safe")).to_have_text("Safe contact: weekdays after 6pm")
        await context.close()
    finally:
        await server.close()
