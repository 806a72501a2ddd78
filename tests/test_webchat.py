"""The local web chat in a real browser: headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, Page, Route, async_playwright, expect
from redis.asyncio import Redis

from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings
from bot.pipeline.messages import OutboundMessage
from bot.rasa.engine import Engine
from bot.webchat import COOKIE
from tests.test_ops import value

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
NEUTRAL = "https://weather.example/today"  # QUICK_EXIT_URL here; no internet: routed to a local page
HELPLINE = "https://helpline.example/"  # the site she came from
STORED = {"safespaces.webchat.draft": "he reads my phone", "safespaces.webchat.seen": "3"}
LEAVE_AND_LOOK = """() => {
  document.getElementById("quick-exit").click();
  return {inputs: document.querySelectorAll("input").length, text: document.body.innerText.trim()};
}"""  # what the page shows from the moment she leaves until the neutral site arrives
STORE = """stored => {
  for (const [key, value] of Object.entries(stored)) {
    localStorage.setItem(key, value);
    sessionStorage.setItem(key, value);
  }
  localStorage.setItem("console.sound", "off");  // the staff console's, on the same origin: not ours
}"""


@pytest.fixture
async def server(settings: Settings, engine: Engine, gateway_redis: Redis) -> AsyncIterator[TestServer]:
    server = TestServer(create_app(replace(settings, quick_exit_url=NEUTRAL), engine, gateway_redis))
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
    errors: list[Any] = []  # uncaught exceptions and unhandled promise rejections
    page.on("pageerror", lambda error: errors.append(error))
    page.errors = errors  # type: ignore[attr-defined]
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


async def test_the_page_names_the_neutral_site_and_is_never_cached(client: TestClient) -> None:
    response = await client.get("/")
    assert f'data-quick-exit-url="{NEUTRAL}"' in await response.text()
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
async def client(aiohttp_client: Any, server: TestServer) -> TestClient:
    """A browser-like client of the same server, with its own cookie jar."""
    return await aiohttp_client(server)


async def chat_client(aiohttp_client: Any, server: TestServer) -> TestClient:
    """Another browser: a client with its own cookie jar that has opened the page."""
    other: TestClient = await aiohttp_client(server)
    assert (await other.get("/")).status == 200
    return other


async def chat_say(browser: TestClient, text: str) -> list[dict[str, Any]]:
    response = await browser.post("/chat/messages", json={"message": text})
    assert response.status == 200
    return list(await response.json())


async def test_the_first_visit_gets_an_httponly_strict_cookie_and_keeps_it(client: TestClient) -> None:
    first = await client.get("/")
    issued = first.cookies[COOKIE]
    assert issued["httponly"] and issued["samesite"] == "Strict" and issued["path"] == "/"
    assert not issued["secure"]  # plain-HTTP localhost, as `make run`
    again = await client.get("/")
    assert COOKIE not in again.cookies  # the chat outlives a reload


async def test_without_the_cookie_the_chat_endpoints_refuse(client: TestClient) -> None:
    for response in (
        await client.post("/chat/messages", json={"message": "hello"}),
        await client.get("/chat/updates"),
        await client.post("/chat/restart"),
    ):
        assert response.status == 401
        assert "error" in await response.json()
    assert (await client.post("/webhooks/web/webhook", json={"sender": "x", "message": "hi"})).status == 404


async def test_the_sender_is_the_cookies_never_the_bodys(
    aiohttp_client: Any, server: TestServer, gateway_redis: Redis
) -> None:
    browser = await chat_client(aiohttp_client, server)
    token = next(c.value for c in browser.session.cookie_jar if c.key == COOKIE)
    response = await browser.post("/chat/messages", json={"sender": "victim", "message": "hello"})
    assert response.status == 200
    replies = await response.json()
    recipient = replies[-1]["recipient_id"]
    assert replies[-1]["text"] == "Are you safe right now?"
    assert recipient.startswith("web-") and recipient != "victim" and token not in recipient
    keys = b" ".join(await gateway_redis.keys("*"))
    assert token.encode() not in keys and b"victim" not in keys


async def test_a_helpline_message_reaches_only_the_browser_it_was_written_to(
    aiohttp_client: Any, server: TestServer
) -> None:
    """Nobody can name another browser's conversation: each poll is of its own cookie's."""
    browsers = [await chat_client(aiohttp_client, server) for _ in range(2)]
    channel = server.app[GATEWAY].channels["web"]
    for n, browser in enumerate(browsers):
        sender = (await chat_say(browser, "hi"))[0]["recipient_id"]
        await channel.send(sender, channel.render([OutboundMessage(text=f"to browser {n}")])[0], "")
    for n, browser in enumerate(browsers):
        polled = await browser.get("/chat/updates", params={"sender": "anyone"})
        assert [reply["text"] for reply in await polled.json()] == [f"to browser {n}"]


async def test_restart_gives_the_browser_a_new_conversation(aiohttp_client: Any, server: TestServer) -> None:
    browser = await chat_client(aiohttp_client, server)
    before = (await chat_say(browser, "hi"))[0]["recipient_id"]
    assert (await browser.post("/chat/restart")).status == 204
    after = (await chat_say(browser, "hi"))[0]["recipient_id"]
    assert after != before


async def site(route: Route, title: str) -> None:
    await route.fulfill(
        content_type="text/html", body=f"<!doctype html><title>{title}</title><h1>{title}</h1>"
    )


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    """Wait for the server to have done what a beacon asked (it is not waited for by the page)."""
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the server never did it")


async def test_the_leave_quickly_button_is_always_there_large_and_first_for_the_keyboard(
    browser: Browser, server: TestServer
) -> None:
    page = await open_chat(browser, server)
    button = page.locator("#quick-exit")
    label = await button.get_attribute("aria-label")
    assert label is not None and label.startswith("Leave quickly")
    assert await button.evaluate("b => getComputedStyle(b).position") == "fixed"
    await page.mouse.wheel(0, 5000)
    box = await button.bounding_box()
    assert box is not None and box["y"] < 20 and box["height"] >= 44 and box["width"] >= 44
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "quick-exit"


@pytest.mark.parametrize("how", ["click", "keyboard", "escape"])
async def test_leaving_quickly_clears_the_chat_ends_it_on_the_server_and_leaves_no_way_back(
    browser: Browser, server: TestServer, how: str
) -> None:
    page = await open_chat(browser, server)
    chat_url = page.url
    await page.route(NEUTRAL, lambda route: site(route, "Weather"))
    await page.route(HELPLINE, lambda route: site(route, "Helpline"))
    await page.goto(HELPLINE)
    await page.goto(chat_url)  # she came from the helpline's site
    async with page.expect_response("**/chat/messages") as answered:
        await send(page, "hello")
    conversation = "web:" + (await (await answered.value).json())[0]["recipient_id"]
    await page.click("#log li.bot button >> text=Yes, I'm safe")
    await page.wait_for_selector("#log li.bot >> text=What is happening?")
    engine = server.app[GATEWAY].engine
    midway = await engine.slots(conversation)
    assert midway
    await page.fill("#text", "he is reading over my")  # a draft, not sent
    await page.evaluate(STORE, STORED)
    entries = await page.evaluate("history.length")
    cookie = {c["name"]: c["value"] for c in await page.context.cookies()}[COOKIE]

    if how == "click":
        await page.click("#quick-exit")
    elif how == "keyboard":
        await page.focus("#quick-exit")  # the first Tab stop (the test above)
        await page.keyboard.press("Enter")
    else:
        await page.press("#text", "Escape")  # mid-sentence: Esc works from the message box too
    await page.wait_for_url(NEUTRAL)

    # The neutral site took the chat's history entry: Back goes to where she was before the chat.
    assert await page.evaluate("history.length") == entries
    await page.go_back()
    assert page.url == HELPLINE
    await page.go_forward()
    assert page.url == NEUTRAL

    # The server ran the chat's own quick exit (the dialogue restarted) and gave the browser a new chat.
    await until(lambda: conversation_restarted(engine, conversation, midway))
    await until(lambda: new_cookie(page, cookie))

    # Coming back to the chat: nothing of it in the browser, and a new conversation.
    await page.goto(chat_url)
    assert await page.locator("#log li").count() == 0
    assert await page.input_value("#text") == ""
    left = await page.evaluate("() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)]")
    assert not [key for key in left if key.startswith("safespaces.")] and "console.sound" in left
    async with page.expect_response("**/chat/messages") as answered:
        await send(page, "hello")
    again = await (await answered.value).json()
    assert again[-1]["text"] == "Are you safe right now?"
    assert "web:" + again[0]["recipient_id"] != conversation
    assert page.errors == []  # type: ignore[attr-defined]


async def test_leaving_empties_the_page_before_the_neutral_site_arrives(
    browser: Browser, server: TestServer
) -> None:
    page = await open_chat(browser, server)
    await page.route(NEUTRAL, lambda route: site(route, "Weather"))
    await send(page, "hello")
    await page.wait_for_selector("#log li.bot >> text=Are you safe right now?")
    await page.fill("#text", "a draft")
    assert await page.evaluate(LEAVE_AND_LOOK) == {"inputs": 0, "text": ""}
    await page.wait_for_url(NEUTRAL)


async def conversation_restarted(engine: Engine, conversation: str, midway: dict[str, Any]) -> bool:
    return await engine.slots(conversation) != midway


async def new_cookie(page: Page, old: str) -> bool:
    return {c["name"]: c["value"] for c in await page.context.cookies()}.get(COOKIE) not in (None, old)


async def test_a_send_that_fails_keeps_the_text_and_says_so(browser: Browser, server: TestServer) -> None:
    page = await open_chat(browser, server)
    await page.route("**/chat/messages", lambda route: route.abort())
    await send(page, "my insta got hacked")
    notice = page.locator("#notice")
    await expect(notice).to_have_text("The connection dropped. Your message is kept: trying again…")
    await expect(page.locator("#log li.user.sending")).to_have_text("my insta got hacked")
    # After four more tries (1 + 2 + 4 + 8 s), the text goes back into the box.
    await expect(page.locator("#text")).to_have_value("my insta got hacked", timeout=30_000)
    await expect(notice).to_contain_text("Still no connection. Your message is back in the box")
    assert await page.locator("#log li.user").count() == 0

    await page.unroute("**/chat/messages")  # the connection is back: the same text goes
    await page.click("#composer button[type=submit]")
    await page.wait_for_selector("#log li.bot")
    assert await notice.is_hidden()
    assert await page.locator("#log li.user").all_text_contents() == ["my insta got hacked"]
    assert page.errors == []  # type: ignore[attr-defined]


async def web_counts(server: TestServer) -> tuple[float | None, float | None]:
    """Messages the gateway took from the web chat, and re-deliveries it refused."""
    async with aiohttp.ClientSession() as session, session.get(str(server.make_url("/metrics"))) as response:
        exposition = await response.text()
    received = value(exposition, "safespaces_messages_received_total", channel="web")
    return received, value(exposition, "safespaces_dedupe_hits_total", channel="web")


async def test_a_message_whose_answer_was_lost_is_sent_again_and_runs_once(
    browser: Browser, server: TestServer
) -> None:
    page = await open_chat(browser, server)
    lost: list[str] = []

    async def lose_the_first_answer(route: Route) -> None:
        if lost:
            await route.continue_()
            return
        await route.fetch()  # the server runs the turn …
        lost.append(route.request.post_data or "")
        await route.abort()  # … and its answer never reaches the page

    await page.route("**/chat/messages", lose_the_first_answer)
    await send(page, "hello")
    await expect(page.locator("#log li.bot", has_text="Are you safe right now?")).to_have_count(1)
    await expect(page.locator("#notice")).to_be_hidden()
    assert await page.locator("#log li.user").all_text_contents() == ["hello"]
    replies = await page.locator("#log li.bot").all_text_contents()
    assert sum("Are you safe right now?" in reply for reply in replies) == 1  # the answer, once
    assert await web_counts(server) == (1, 1)  # run once; the retry was recognised as the same message
    assert page.errors == []  # type: ignore[attr-defined]
