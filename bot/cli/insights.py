"""`python -m bot insights report`: a period's anonymised counts as a shareable report on stdout."""

from __future__ import annotations

import asyncio
import re
import sys

from bot.insights.counts import InsightCounts
from bot.insights.report import build, render
from bot.ops.settings import Settings
from bot.storage.connection import connect_redis

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def report(settings: Settings, first: str, last: str, form: str) -> None:
    for month in (first, last):
        if not MONTH.fullmatch(month):
            sys.exit(f"{month}: a month is written YYYY-MM")
    if last < first:
        sys.exit("--to is before --from")
    if settings.redis_url is None:
        sys.exit("REDIS_URL is not set: the counts are kept in Redis")
    sys.stdout.write(asyncio.run(_report(settings, first, last, form)))


async def _report(settings: Settings, first: str, last: str, form: str) -> str:
    redis = connect_redis(settings)
    try:
        built = await build(InsightCounts(redis), first, last, settings.insights_min_count)
    finally:
        await redis.close()
    return render(built, form)
