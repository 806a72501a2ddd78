"""`python -m bot inbox export [--lang L]`: labelled inbox items into nlu_data/<lang>/inbox.yml.

Each exported item is then deleted from Redis: from now on it lives in the file, for review in a pull
request (docs/inbox.md). Reads REDIS_URL and ENCRYPTION_KEYS (the items are sealed).
"""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from pathlib import Path

from bot.inbox.export import write
from bot.inbox.store import InboxStore, Item
from bot.ops.settings import ROOT, Settings
from bot.storage.connection import connect_redis
from bot.storage.sealing import Sealer

NLU_DATA = ROOT / "nlu_data"


def export(settings: Settings, language: str | None, out: Path = NLU_DATA) -> None:
    if settings.redis_url is None:
        sys.exit("REDIS_URL is not set: the inbox is kept in Redis")
    for path, count in asyncio.run(export_items(settings, language, out)):
        print(f"{path}: {count} new example(s)")


async def export_items(settings: Settings, language: str | None, out: Path) -> list[tuple[Path, int]]:
    """Write every labelled item (of `language`, or all) into its language's file, then delete it."""
    redis = connect_redis(settings)
    try:
        store = InboxStore(redis, sealer=Sealer.from_settings(settings))
        by_language: dict[str, list[Item]] = defaultdict(list)
        for item in await store.items(language=language, labelled=True):
            by_language[item.language].append(item)
        written = []
        for lang, items in sorted(by_language.items()):
            written.append((write(out / lang, items), len(items)))
            for item in items:
                await store.discard(item.id)
        return written
    finally:
        await redis.close()
