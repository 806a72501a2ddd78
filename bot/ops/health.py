"""What orchestrators and Prometheus ask a replica: /healthz, /readyz and /metrics.

/healthz says only that the process answers (a liveness probe must not restart replicas because Redis
is down: that would not bring Redis back). /readyz says whether this replica can answer a message now,
so a load balancer or Kubernetes sends traffic elsewhere while it cannot. Neither body carries a URL,
host or error message: only which check failed and the kind of failure.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.ops.metrics import Metrics
from bot.rasa.action_server import health_url
from bot.rasa.engine import Engine
from bot.storage.keys import HANDOFF_QUEUE

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.0
# How long `serve` lets requests and turns in flight finish after SIGTERM: a REST caller waits up to
# 30 s for its reply (bot/channels/rest.py); a turn that takes longer is retried by another replica.
SHUTDOWN_TIMEOUT_SECONDS = 35.0


class NotReady(Exception):
    """A dependency answered, but not as a working one does."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Probes:
    engine: Engine
    redis: Redis
    metrics: Metrics
    action_health_url: str
    timeout: float


PROBES = web.AppKey("probes", Probes)
HTTP = web.AppKey("probes_http", ClientSession)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    probes, http = request.app[PROBES], request.app[HTTP]

    async def models() -> None:
        if not probes.engine.languages:
            raise NotReady("no NLU model")

    async def redis() -> None:
        await probes.redis.ping()

    async def action_server() -> None:
        async with http.get(probes.action_health_url) as response:
            if response.status != 200:
                raise NotReady(f"HTTP {response.status}")

    names = ("models", "redis", "action_server")
    results = await asyncio.gather(*(_check(c, probes.timeout) for c in (models, redis, action_server)))
    checks = dict(zip(names, results, strict=True))
    failed = {name: result for name, result in checks.items() if result != "ok"}
    if failed:
        log.warning("ops.not_ready %s", " ".join(f"{name}={why}" for name, why in failed.items()))
    status = 503 if failed else 200
    return web.json_response({"status": "not ready" if failed else "ready", "checks": checks}, status=status)


async def _check(check: Callable[[], Awaitable[None]], timeout: float) -> str:
    """Either ok, or why not, in words that hold no address or secret."""
    try:
        await asyncio.wait_for(check(), timeout)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except NotReady as problem:
        return str(problem)
    except (RedisError, ClientError, OSError) as problem:
        return type(problem).__name__
    return "ok"


async def scrape(request: web.Request) -> web.Response:
    probes = request.app[PROBES]
    try:
        waiting = float(await asyncio.wait_for(probes.redis.zcard(HANDOFF_QUEUE), probes.timeout))
    except (TimeoutError, RedisError, OSError):
        waiting = math.nan  # unknown, which is not the same as nobody waiting
    probes.metrics.handoff_queue.set(waiting)
    return web.Response(body=probes.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


def setup_ops(
    app: web.Application,
    *,
    engine: Engine,
    redis: Redis,
    metrics: Metrics,
    action_server_url: str,
    timeout: float = READY_TIMEOUT_SECONDS,
) -> None:
    """Mount the probes and /metrics on `app` (before it starts)."""
    app[PROBES] = Probes(
        engine=engine,
        redis=redis,
        metrics=metrics,
        action_health_url=health_url(action_server_url),
        timeout=timeout,
    )

    async def http_session(app: web.Application) -> AsyncIterator[None]:
        async with ClientSession(timeout=ClientTimeout(total=timeout)) as session:
            app[HTTP] = session
            yield

    app.cleanup_ctx.append(http_session)
    app.router.add_routes(
        [web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", scrape)]
    )
