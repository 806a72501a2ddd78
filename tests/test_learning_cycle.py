"""The learning loop end to end (issue 16 §2): labelled inbox items are exported into a copy of
nlu_data/<lang>, an NLU model is trained on it with Rasa as `make train` does, and held-out sentences
in a phrasing the shipped model does not know are read right after, while the language's own held-out
set still meets its goal. The shipped models and nlu_data/ are not touched (all in a temp dir)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from redis.asyncio import Redis

from bot.cli.inbox import export_items
from bot.inbox.store import InboxStore, Waiting
from bot.ops.settings import ROOT, Settings
from bot.rasa.engine import NLU_DATA, Engine
from bot.rasa.nlu_eval import evaluate
from bot.rasa.nlu_goals import goal
from bot.storage.sealing import Sealer

from .support.redis_dbs import redis_url

GATEWAY_REDIS_URL = redis_url("gateway")
LANGUAGE = "en"
# Seeded: "yoinked" (taken over) is in no training sentence. What people agreed to keep, labelled...
LABELLED = [
    ("they yoinked my insta and changed the password", "secure_account", "insta"),
    ("my whatsapp got yoinked", "secure_account", "whatsapp"),
    ("sum guy yoinked my account", "secure_account", None),
    ("my email got yoinked help", "secure_account", None),
    ("account yoinked cant get in", "secure_account", None),
    ("someone yoinked my twitter last night", "secure_account", "twitter"),
]
# ... and held-out sentences in the same phrasing, never trained on.
HELD_OUT = [
    ("bruh my gram got yoinked by some rando", "secure_account"),
    ("my fb got yoinked", "secure_account"),
    ("some rando yoinked my gram", "secure_account"),
]
RASA_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}


async def _accuracy(engine: Engine) -> float:
    right = [(await engine.parse(text, LANGUAGE)).intent == intent for text, intent in HELD_OUT]
    return sum(right) / len(right)


async def test_exported_labels_trained_with_rasa_raise_held_out_accuracy(
    engine: Engine, settings: Settings, gateway_redis: Redis, tmp_path: Path
) -> None:
    before = await _accuracy(engine)
    assert before == 0.0, "the seeded phrasing must be one the shipped model gets wrong"

    inbox = Settings(redis_url=GATEWAY_REDIS_URL, secret_key="test-secret-key")
    store = InboxStore(gateway_redis, sealer=Sealer.from_settings(inbox))
    for text, intent, platform in LABELLED:
        item_id = await store.keep(
            Waiting(text=text, language=LANGUAGE, guess="nlu_fallback", confidence=0.3)
        )
        assert await store.label(item_id, intent, platform) is not None
    data = tmp_path / "nlu_data"
    shutil.copytree(NLU_DATA / LANGUAGE, data / LANGUAGE)
    [(written, count)] = await export_items(inbox, LANGUAGE, data)
    assert (written, count) == (data / LANGUAGE / "inbox.yml", len(LABELLED))

    models = tmp_path / "models"
    models.mkdir()
    (models / "dialogue.tar.gz").symlink_to(settings.models_dir / "dialogue.tar.gz")
    rasa = Path(sys.executable).parent / "rasa"
    trained = subprocess.run(
        [
            *(str(rasa), "train", "nlu", "--nlu", str(data / LANGUAGE), "--config", "config.yml"),
            *("--domain", "domain.yml", "--out", str(models), "--fixed-model-name", f"nlu-{LANGUAGE}"),
        ],
        cwd=ROOT,
        env={**os.environ, **RASA_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    retrained = Engine.load(replace(settings, models_dir=models))

    assert await _accuracy(retrained) == 1.0  # every seeded held-out sentence is read right after
    old, new = (await evaluate(engine, LANGUAGE)).accuracy, (await evaluate(retrained, LANGUAGE)).accuracy
    assert new >= old and new >= goal(LANGUAGE)  # and the language's own held-out set lost nothing
