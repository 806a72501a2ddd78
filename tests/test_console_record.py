"""Her record in the console: only when she shared it at handoff, read-only, each entry with its time;
over HTTP (who may read it, the refusal without her consent, gone after her erasure) and in Chromium
(shown with its labels in the staff member's language)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from playwright.async_api import Page, expect

from bot.evidence.record import Entry, Kept
from bot.handoff.desk import Desk
from bot.handoff.staff import Staff
from bot.language.i18n import Catalogs
from tests.console_support import SUMMARY
from tests.test_console import browser, new_page, open_console
from tests.test_console_api import SignIn, sign_in

pytest_plugins = ["tests.console_support"]
__all__ = ["browser", "new_page", "open_console", "sign_in"]  # fixtures used by name below

OpenConsole = Callable[..., Awaitable[Page]]
SHARED = replace(SUMMARY, record_shared=True)
WRITTEN = time.time() - 3 * 86400
ENTRY = Entry(
    written_at=WRITTEN,
    day="2026-12-01",
    when="last monday",
    where="on insta",
    platform="instagram",
    who="@darkfan_77",
    what="he posted my address under my photo",
    links=("https://instagram.com/p/abc123",),
    screenshots=True,
    files=(Kept(kind="image", at=WRITTEN + 60),),
)


def path(ticket_id: str) -> str:
    return f"/console/api/tickets/{ticket_id}/shared-record"


async def test_staff_read_her_record_only_when_she_shared_it(
    sign_in: SignIn, desk: Desk, staff: dict[str, Staff]
) -> None:
    await desk.records.save_entries("telegram:1", [ENTRY])
    await desk.records.save_entries("telegram:2", [ENTRY])
    shared = await desk.enqueue("telegram:1", SHARED)
    not_shared = await desk.enqueue("telegram:2", SUMMARY)
    alice, bob = await sign_in("alice"), await sign_in("bob")

    assert (await alice.get(path(shared.id)))[0] == 403  # waiting: the summary only, until taken
    await desk.claim(shared.id, staff["alice"])
    await desk.claim(not_shared.id, staff["alice"])
    status, body = await alice.get(path(shared.id))
    assert status == 200
    [entry] = body["entries"]
    assert entry["written_at"] == WRITTEN and entry["what"] == ENTRY.what and entry["platform"] == "Instagram"
    assert entry["files"] == [{"kind": "image", "at": WRITTEN + 60}]
    assert body["labels"]["what"] == "What happened" and body["labels"]["written"] == "Written"
    assert (await bob.get(path(shared.id)))[0] == 403  # a colleague's conversation

    status, body = await alice.get(path(not_shared.id))  # she said "Yes", not "Yes, share my record"
    assert (status, body["error"]) == (403, "She did not share her record.")
    assert [e.action for e in await desk.audit.entries()].count("read_record") == 1


async def test_what_she_deletes_or_erases_is_gone_from_the_console_too(
    sign_in: SignIn, desk: Desk, staff: dict[str, Staff]
) -> None:
    second = replace(ENTRY, what="he wrote to my sister", written_at=WRITTEN + 3600)
    await desk.records.save_entries("telegram:3", [ENTRY, second])
    ticket = await desk.enqueue("telegram:3", SHARED)
    await desk.claim(ticket.id, staff["alice"])
    alice = await sign_in("alice")
    assert [e["what"] for e in (await alice.get(path(ticket.id)))[1]["entries"]] == [ENTRY.what, second.what]

    await desk.records.save_entries("telegram:3", [second])  # she deleted entry 1
    assert [e["what"] for e in (await alice.get(path(ticket.id)))[1]["entries"]] == [second.what]

    await desk.erase("telegram:3")  # "delete my data" (the gateway erases her record beside this)
    await desk.records.erase("telegram:3")
    status, _ = await alice.get(path(ticket.id))
    assert status == 404
    assert await desk.records.entries("telegram:3") == []


async def test_the_console_shows_a_shared_record_read_only_with_each_entrys_time(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    await desk.records.save_entries("telegram:4", [ENTRY])
    ticket = await desk.enqueue("telegram:4", SHARED)
    await desk.claim(ticket.id, staff["alice"])
    page = await open_console("alice")
    await page.goto(f"/console#ticket={ticket.id}")
    record = page.locator("#shared-record")
    await expect(record).to_be_visible()
    await expect(page.locator("#shared-record-title")).to_have_text(
        "Her record, shared by her (read-only). Entries: 1"
    )
    await record.locator("summary").click()
    entry = record.locator(".record-entry")
    written = await page.evaluate(
        "at => new Date(at * 1000).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })", WRITTEN
    )
    await expect(entry.locator(".past-head")).to_have_text(f"Entry 1 · Written {written}")
    await expect(entry.locator("dt")).to_have_text(
        ["When", "Where", "Who", "What happened", "Links", "Screenshots kept", "Files noted (not kept)"]
    )
    await expect(entry.locator("dd").nth(3)).to_have_text(ENTRY.what)
    await expect(entry.locator("input, textarea, button")).to_have_count(0)  # read-only
    await expect(page.locator("#summary")).to_contain_text("Her record shared")


async def test_the_shared_record_is_in_the_staff_members_language(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    await desk.records.save_entries("telegram:5", [ENTRY])
    ticket = await desk.enqueue("telegram:5", SHARED)
    await desk.claim(ticket.id, staff["alice"])
    page = await open_console("alice", locale="ar-EG")
    await page.goto(f"/console#ticket={ticket.id}")
    catalogs = Catalogs()
    title = catalogs.gettext("ar", "Her record, shared by her (read-only). Entries: {count}")
    assert title != "Her record, shared by her (read-only). Entries: {count}"
    await expect(page.locator("#shared-record-title")).to_have_text(title.format(count=1))
    await page.locator("#shared-record summary").click()
    what = catalogs.gettext("ar", "What happened")
    await expect(page.locator("#shared-record dt").nth(3)).to_have_text(what)


async def test_without_her_consent_the_console_shows_no_record(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    await desk.records.save_entries("telegram:6", [ENTRY])
    ticket = await desk.enqueue("telegram:6", SUMMARY)
    await desk.claim(ticket.id, staff["alice"])
    page = await open_console("alice")
    await page.goto(f"/console#ticket={ticket.id}")
    await expect(page.locator("#summary")).to_contain_text("Her record shared")
    await expect(page.locator("#log")).to_be_visible()  # the ticket is fully loaded
    await expect(page.locator("#shared-record")).to_be_hidden()
    await expect(page.get_by_text(ENTRY.what)).to_have_count(0)
