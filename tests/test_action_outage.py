"""The action server down: a turn fails whole and runs again later, instead of being silently skipped.

Found by the fault soak (bench/faults): Rasa caught the failed action call, and the person's message
was used up with no answer. Here the gateway runs on the embedded in-memory Redis (fakeredis), its
engine pointing at an action server that is started only halfway through each test.
"""

from __future__ import annotations

from dataclasses import replace

import fakeredis
import pytest

from bot.ops.settings import Settings
from bot.rasa.action_endpoint import ActionServerUnavailable
from bot.rasa.action_server import running_action_server
from bot.rasa.engine import Engine
from bot.storage.keys import METRICS

from .conftest import free_port
from .test_delivery import RecordingChannel, gateway, message


class WipingChannel(RecordingChannel):
    """Records quick exit's wipes too."""

    def __init__(self) -> None:
        super().__init__()
        self.wiped: list[str] = []

    async def wipe(self, recipient: str) -> bool:
        self.wiped.append(recipient)
        return True

    async def forget(self, recipient: str) -> None: ...


@pytest.fixture(scope="module")
def later_url() -> str:
    """Where the action server will be: nothing answers there until a test starts it."""
    return f"http://127.0.0.1:{free_port()}/webhook"


@pytest.fixture(scope="module")
def engine_before_actions(settings: Settings, later_url: str) -> Engine:
    return Engine.load(replace(settings, action_server_url=later_url))


async def test_a_turn_fails_whole_and_runs_again_once_the_action_server_is_back(
    engine_before_actions: Engine, later_url: str, conversation_id: str
) -> None:
    with pytest.raises(ActionServerUnavailable):
        await engine_before_actions.handle(conversation_id, "someone hacked my instagram", language="en")
    assert await engine_before_actions.transcript(conversation_id) == []  # nothing of it was kept

    with running_action_server(later_url):
        turn = await engine_before_actions.handle(
            conversation_id, "someone hacked my instagram", language="en"
        )

    assert "playbook_intro" in [reply.key for reply in turn.replies]
    person = [
        line for author, line in await engine_before_actions.transcript(conversation_id) if author == "person"
    ]
    assert person == ["someone hacked my instagram"]  # once: the failed attempt left no trace


async def test_the_gateway_keeps_the_message_and_answers_it_once_later(
    engine_before_actions: Engine, later_url: str
) -> None:
    channel = RecordingChannel()
    redis = fakeredis.aioredis.FakeRedis()
    gw = gateway(engine_before_actions, redis, channel)
    inbound = message("someone hacked my instagram")

    await gw.accept(inbound)
    await gw.close()  # the drain it started has run (and failed)
    assert channel.sent == []
    assert inbound.conversation_id in await gw.store.pending()  # kept for the sweeper
    assert await redis.hget(METRICS, "turn_failed:test") == b"1"  # and counted for operators

    with running_action_server(later_url):
        await gw.drain(inbound.conversation_id)  # what the sweeper does

    texts = [text for _, text in channel.sent]
    assert len(texts) == 2 and texts[1].startswith("1/10. ")  # the intro and the first step, once
    assert inbound.conversation_id not in await gw.store.pending()  # no work left


async def test_quick_exit_still_wipes_the_chat_while_the_action_server_is_down(
    engine_before_actions: Engine,
) -> None:
    channel = WipingChannel()
    gw = gateway(engine_before_actions, fakeredis.aioredis.FakeRedis(), channel)
    inbound = message("/quick_exit")

    await gw.accept(inbound)
    await gw.close()

    assert channel.wiped == [inbound.sender]
    assert channel.sent == []  # the chat is gone: nothing more is said
    assert inbound.conversation_id not in await gw.store.pending()  # no work left
