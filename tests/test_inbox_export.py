"""`python -m bot inbox export`: labelled items into nlu_data/<lang>/inbox.yml, read back by Rasa's own
NLU reader; merged into what the file holds; exported items leave Redis; unlabelled ones stay."""

from __future__ import annotations

from pathlib import Path

from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from redis.asyncio import Redis

from bot.cli.inbox import export_items
from bot.inbox.store import InboxStore, Waiting
from bot.ops.settings import Settings
from bot.storage.sealing import Sealer

from .support.redis_dbs import redis_url

GATEWAY_REDIS_URL = redis_url("gateway")
SECRET = "test-secret-key"


def waiting(text: str, language: str = "en", guess: str = "secure_account") -> Waiting:
    return Waiting(text=text, language=language, guess=guess, confidence=0.41)


async def test_labelled_items_are_written_in_rasas_format_merged_and_leave_redis(
    gateway_redis: Redis, tmp_path: Path
) -> None:
    settings = Settings(redis_url=GATEWAY_REDIS_URL, secret_key=SECRET)
    store = InboxStore(gateway_redis, sealer=Sealer.from_settings(settings))
    hacked = await store.keep(waiting("sum1 got in2 my insta [again] and posted stuff"))
    fake = await store.keep(waiting("theres a profil with my face on tiktok", guess="out_of_scope"))
    swahili = await store.keep(waiting("mtu ameingia kwenye akaunti yangu", language="sw"))
    unlabelled = await store.keep(waiting("the soup was cold"))
    assert await store.label(hacked, "secure_account", "insta") is not None
    assert await store.label(fake, "impersonation", "tiktok") is not None
    assert await store.label(swahili, "secure_account") is not None
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "inbox.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: secure_account\n  examples: |\n    - an example already reviewed\n',
        encoding="utf-8",
    )

    written = await export_items(settings, "en", tmp_path)

    assert [(path.relative_to(tmp_path).as_posix(), count) for path, count in written] == [
        ("en/inbox.yml", 2)
    ]
    data = RasaYAMLReader().read(tmp_path / "en" / "inbox.yml")
    examples = {(m.get("text"), m.get("intent")) for m in data.training_examples}
    assert examples == {
        ("an example already reviewed", "secure_account"),
        ("sum1 got in2 my insta again and posted stuff", "secure_account"),  # her brackets dropped
        ("theres a profil with my face on tiktok", "impersonation"),
    }
    entities = {m.get("text"): m.get("entities") for m in data.training_examples if m.get("entities")}
    assert [(e["entity"], e["value"]) for e in entities["theres a profil with my face on tiktok"]] == [
        ("platform", "tiktok")
    ]
    # Exported items left Redis; the Swahili one (another language) and the unlabelled one stay.
    assert {item.id for item in await store.items()} == {swahili, unlabelled}
    # A second export of all languages adds Swahili and nothing twice.
    await store.label(unlabelled, "out_of_scope")
    await export_items(settings, None, tmp_path)
    again = RasaYAMLReader().read(tmp_path / "en" / "inbox.yml")
    assert len(again.training_examples) == 4
    sw = RasaYAMLReader().read(tmp_path / "sw" / "inbox.yml")
    assert [(m.get("text"), m.get("intent")) for m in sw.training_examples] == [
        ("mtu ameingia kwenye akaunti yangu", "secure_account")
    ]
    assert await store.items() == []


async def test_a_labelled_item_stops_expiring_and_a_discarded_one_is_gone(gateway_redis: Redis) -> None:
    settings = Settings(redis_url=GATEWAY_REDIS_URL, secret_key=SECRET)
    store = InboxStore(gateway_redis, sealer=Sealer.from_settings(settings))
    kept = await store.keep(waiting("hacked again"))
    dropped = await store.keep(waiting("the soup was cold"))
    assert await gateway_redis.ttl(f"safespaces:nlu-inbox:item:{kept}") > 0
    await store.label(kept, "secure_account")
    assert await gateway_redis.ttl(f"safespaces:nlu-inbox:item:{kept}") == -1
    assert await store.discard(dropped)
    assert [item.id for item in await store.items()] == [kept]
    assert await store.label(dropped, "secure_account") is None
