"""Every benchmark of issue 7 in one run, printed as one table: metric, ours, baseline, ratio, goal.

    python -m bench [--soak-minutes 1] [--train]      (`make bench`; `make bench-long`: 10 min + training)

Our gateway runs as its own process (`python -m bot serve`) on Redis db 4, stock `rasa run` on a
model trained from the same data with its trackers in Redis db 5, both on one action server; the
in-process turns use Redis db 4 as well. Both dbs are emptied before and after
(BENCH_REDIS_URL, BENCH_RASA_REDIS_URL choose others).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os

import aiohttp
import redis

from bench import burst, latency, long_conversation, soak, throughput, training
from bench.channels import RasaRun, free_port, rest_say, settings_on
from bench.processes import GatewayProcess, rss_mb
from bench.table import Row, render
from bot.ops.settings import Settings
from bot.rasa.action_server import running_action_server
from bot.rasa.engine import Engine


async def run_all(
    settings: Settings, gateway: GatewayProcess, stock_run: RasaRun, soak_minutes: float
) -> list[Row]:
    engine = Engine.load(settings)
    await gateway.ready()
    await stock_run.ready()
    rows = [
        Row(
            metric=f"RSS at start, ours ({len(engine.languages)} languages) vs rasa run (en) (MiB)",
            ours=rss_mb(gateway.pid),
            baseline=rss_mb(stock_run.pid),
        )
    ]

    async def in_process(conversation: str, text: str) -> None:
        await engine.handle(conversation, text, language="en")

    async with aiohttp.ClientSession() as session:
        ours = rest_say(session, f"{gateway.url}/webhooks/rest/webhook", {"language": "en"})
        stock = rest_say(session, f"http://127.0.0.1:{stock_run.port}/webhooks/rest/webhook")
        rows += await latency.measure(in_process, ours)
        rows.append(await throughput.measure(ours, stock))
        rows += await long_conversation.measure(in_process, stock)
        rows.append(await burst.measure(ours))
        rows += await soak.measure(ours, gateway.pid, soak_minutes)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--soak-minutes", type=float, default=1.0)
    parser.add_argument("--train", action="store_true", help="time `make train` from scratch first")
    args = parser.parse_args()
    ours_db = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
    stock_db = os.environ.get("BENCH_RASA_REDIS_URL", "redis://127.0.0.1:6379/5")
    settings = settings_on(ours_db)
    trained = training.row(training.record(training.train_from_scratch()), now=True) if args.train else None
    databases = [redis.Redis.from_url(url) for url in (ours_db, stock_db)]
    for db in databases:
        db.flushdb()
    try:
        with (
            running_action_server(settings.action_server_url),
            GatewayProcess(settings, free_port()) as gateway,
            RasaRun(settings.action_server_url, stock_db) as stock_run,
        ):
            rows = asyncio.run(run_all(settings, gateway, stock_run, args.soak_minutes))
    finally:
        for db in databases:
            db.flushdb()
    trained = trained or training.recorded_row()
    rows += [trained] if trained else []
    print(f"\nissue 7 benchmarks, one run, {datetime.date.today()}, {os.cpu_count()} CPUs")
    print(render(rows))
    if trained is None:
        print(f"training time: not measured yet; run `{training.COMMAND}` or `make bench-long`")


if __name__ == "__main__":
    main()
