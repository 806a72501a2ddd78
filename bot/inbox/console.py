"""The inbox in the console, for supervisors: each kept sentence with its language, the model's guess
and confidence; accept the guess, correct the intent (one of the domain's), mark the platform it
names (words of the sentence), or discard it. Every view and change is in the audit log."""

from __future__ import annotations

from dataclasses import asdict
from functools import cache

import yaml
from aiohttp import web

from bot.handoff.console_auth import CONSOLE, Caller, staff_only
from bot.handoff.errors import DeskError, NotFound
from bot.inbox.store import InboxStore
from bot.language.i18n import N_
from bot.ops.settings import ROOT

API = "/console/api/inbox"
STORE = web.AppKey("inbox_store", InboxStore)
NOT_A_LABEL = frozenset({"nlu_fallback"})


@cache
def intents() -> tuple[str, ...]:
    """The intents a sentence can be labelled with: the dialogue domain's (domain.yml)."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return tuple(sorted(set(domain["intents"]) - NOT_A_LABEL))


def setup_inbox(app: web.Application, store: InboxStore) -> None:
    """Mount the inbox API next to the console (after setup_console)."""
    app[STORE] = store
    app.router.add_routes([web.get(API, listed), web.post(API + "/{id}", changed)])


@staff_only(supervisor=True)
async def listed(request: web.Request, caller: Caller) -> web.Response:
    language = request.query.get("lang") or None
    items = await request.app[STORE].items(language=language, labelled=False)
    await request.app[CONSOLE].desk.audit.record(caller.staff, "inbox:list", None)
    return web.json_response({"items": [asdict(item) for item in items], "intents": list(intents())})


@staff_only(supervisor=True)
async def changed(request: web.Request, caller: Caller) -> web.Response:
    store, item_id = request.app[STORE], request.match_info["id"]
    body = await request.json()
    item = await store.get(item_id)
    if item is None:
        raise NotFound(N_("This sentence is no longer kept."))
    if body.get("action") == "discard":
        await store.discard(item_id)
    elif body.get("action") == "label":
        intent, platform = str(body.get("intent") or ""), str(body.get("platform") or "").strip()
        if intent not in intents():
            raise DeskError(N_("Choose one of the assistant's intents."))
        if platform and platform not in item.text:
            raise DeskError(N_("Mark the platform with words from the sentence."))
        await store.label(item_id, intent, platform or None)
    else:
        raise DeskError(N_("Accept, correct or discard."))
    await request.app[CONSOLE].desk.audit.record(caller.staff, f"inbox:{body['action']}", None)
    return web.json_response({"ok": True})
