"""Her record shared with the helpline only when she says so, through the real gateway (REST channel,
real models and Redis): the offer of a person has "Yes, share my record" only when she has a record,
her typed answer in every language works like the button, "Yes" alone or "don't share my record"
shares nothing, and her erasure leaves staff nothing to read."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.channels.gsm7 import segments
from bot.channels.twilio.render import numbered
from bot.handoff.errors import NotAllowed, NotFound
from bot.handoff.model import Ticket
from bot.ops.app import GATEWAY
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import Choice
from bot.rasa.engine import Engine
from tests.test_evidence import LANGUAGES, client, say, write_entry

__all__ = ["client"]  # the fixture, used by name below

SHARE_PAYLOAD = '/affirm{"share":"record"}'
# Her answer to the offer of a person, typed in her words.
TYPED = {
    "en": "yes, share my record please",
    "es": "sí, comparte mi registro",
    "fr": "oui partage mon registre",
    "pt": "sim, compartilhe meu registro",
    "sw": "ndiyo shiriki kumbukumbu zangu",
    "hi": "haan mera record share karo",
    "ar": "نعم شارك سجلي",
}


def titles(replies: list[dict[str, Any]]) -> list[str]:
    return [choice["title"] for reply in replies for choice in reply.get("buttons") or ()]


def offer(replies: list[dict[str, Any]], engine: Engine, lang: str) -> dict[str, Any]:
    expected = engine.render("handoff_offer", lang, None, {}).text
    [found] = [reply for reply in replies if reply["text"] == expected]
    return found


async def queued(gateway: Gateway) -> Ticket:
    [ticket] = await gateway.desk.tickets.queue()
    return ticket


@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_her_typed_answer_shares_her_record_in_every_language(
    client: TestClient, engine: Engine, conversation_id: str, lang: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await write_entry(client, conversation_id, lang)
    replies = await say(client, conversation_id, "/human_handoff", lang)
    label = engine.label("record", "share", lang)
    assert lang == "en" or label != "Yes, share my record"  # translated
    buttons = offer(replies, engine, lang)["buttons"]
    assert [b["payload"] for b in buttons if b["title"] == label] == [SHARE_PAYLOAD]
    assert buttons[-1]["payload"].startswith("/deny")  # "Not now" stays last

    await say(client, conversation_id, TYPED[lang], lang)
    ticket = await queued(gateway)
    assert ticket.summary.record_shared and not ticket.summary.transcript_shared
    [entry] = await gateway.desk.shared_record(ticket)
    assert entry.what == LANGUAGES[lang]["what"]


async def test_the_button_shares_it_and_yes_alone_does_not(
    client: TestClient, engine: Engine, conversation_id: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await write_entry(client, conversation_id, "en")
    replies = await say(client, conversation_id, "I want to talk to a real person", "en")
    assert titles(replies) == ["Yes", "Yes, share this chat", "Yes, share my record", "Not now"]
    await say(client, conversation_id, SHARE_PAYLOAD, "en")
    assert (await queued(gateway)).summary.record_shared

    other = conversation_id + "-b"
    await write_entry(client, other, "en")
    await gateway.desk.cancel(f"rest:{conversation_id}", "cancelled")
    await say(client, other, "I want to talk to a real person", "en")
    await say(client, other, "yes", "en")
    ticket = await queued(gateway)
    assert not ticket.summary.record_shared
    with pytest.raises(NotAllowed):
        await gateway.desk.shared_record(ticket)


async def test_no_share_choice_without_a_record_and_no_is_no(
    client: TestClient, engine: Engine, conversation_id: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    replies = await say(client, conversation_id, "I want to talk to a real person", "en")
    assert titles(replies) == ["Yes", "Yes, share this chat", "Not now"]
    await say(client, conversation_id, "share my record", "en")  # she has none: not a share
    assert all(not t.summary.record_shared for t in await gateway.desk.tickets.queue())

    other = conversation_id + "-b"
    await write_entry(client, other, "en")
    await say(client, other, "I want to talk to a real person", "en")
    await say(client, other, "no, don't share my record", "en")
    assert all(not t.summary.record_shared for t in await gateway.desk.tickets.queue())


async def test_her_erasure_leaves_staff_nothing_to_read(
    client: TestClient, engine: Engine, conversation_id: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await write_entry(client, conversation_id, "en")
    await say(client, conversation_id, "I want to talk to a real person", "en")
    await say(client, conversation_id, SHARE_PAYLOAD, "en")
    ticket = await queued(gateway)
    assert len(await gateway.desk.shared_record(ticket)) == 1
    assert len(await gateway.records.entries(f"rest:{conversation_id}")) == 1
    confirm = await say(client, conversation_id, "delete my data", "en")
    await say(client, conversation_id, confirm[0]["buttons"][0]["payload"], "en")
    erased = await gateway.desk.tickets.get(ticket.id)
    assert erased is not None
    with pytest.raises(NotFound):
        await gateway.desk.shared_record(erased)
    assert await gateway.records.entries(f"rest:{conversation_id}") == []


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_on_sms_the_offer_with_her_record_costs_no_more_segments(engine: Engine, lang: str) -> None:
    """The longer list of choices comes with the offer's shorter SMS wording (handoff_offer_record)."""
    offer = engine.render("handoff_offer", lang, None, {})
    share = Choice(title=engine.label("record", "share", lang), payload=SHARE_PAYLOAD)
    shorter = engine.render("handoff_offer_record", lang, None, {}).text
    with_record = numbered(shorter, (*offer.choices[:2], share, *offer.choices[2:]))
    assert segments(with_record)[1] <= segments(numbered(offer.sms or offer.text, offer.choices))[1]
