"""The local web chat in a real browser: headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, async_playwright
from redis.asyncio import Redis

from bot.app import create_app
from bot.engine import Engine
from bot.settings import Settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
async def server(settings: Settings, engine: Engine, gateway_redis: Redis) -> AsyncIterator[TestServer]:
    server = TestServer(create_app(settings, engine, gateway_redis))
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def open_chat(browser: Browser, server: TestServer) -> Page:
    page = await browser.new_page()
    dialogs: list[Any] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    await page.goto(str(server.make_url("/")))
    return page


async def send(page: Page, text: str) -> None:
    await page.fill("#text", text)
    await page.click("#composer button[type=submit]")


async def test_a_conversation_with_buttons_and_channel_previews(browser: Browser, server: TestServer) -> None:
    page = await open_chat(browser, server)
    await send(page, "hello")
    await page.wait_for_selector("#log li.bot >> text=Are you safe right now?")
    await page.click("#log li.bot button >> text=Yes, I'm safe")
    await page.wait_for_selector("#log li.bot >> text=What is happening?")
    await page.click("#log li.bot button >> text=Hacked account")
    await page.wait_for_selector("#log li.bot >> text=Which app or account")
    # The preview shows the last reply on each channel; SMS with its segment count.
    await page.wait_for_selector("#preview-sms .meta >> text=segment")
    assert await page.locator("#preview-telegram .bubble").count() >= 1
    assert await page.locator("#preview-whatsapp .bubble").count() >= 1
    sms_meta = await page.locator("#preview-sms .meta").first.text_content()
    assert sms_meta is not None and sms_meta.startswith("GSM-7")


async def test_user_text_is_shown_as_text_never_as_html(browser: Browser, server: TestServer) -> None:
    page = await open_chat(browser, server)
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    await send(page, payload)
    await page.wait_for_selector("#log li.bot")
    assert await page.locator("#log li.user").first.text_content() == payload
    assert await page.locator("#log img, #log script").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]


async def test_the_page_is_served_with_a_strict_content_security_policy(server: TestServer) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(str(server.make_url("/"))) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
