"""Operations: probes, Prometheus metrics, JSON logs and a graceful stop; real engine, Redis db 7."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from bench.processes import http_ok, until
from bot.channels.rest import RestChannel
from bot.handoff.model import Summary
from bot.handoff.staff import Role, Staff
from bot.ops.app import GATEWAY, create_app
from bot.ops.health import setup_ops
from bot.ops.logs import AccessLog, JsonFormatter, configure_logging
from bot.ops.metrics import Metrics
from bot.ops.settings import Settings, SettingsError
from bot.pipeline.conversations import ConversationStore, Delivery
from bot.pipeline.messages import InboundKind, InboundMessage, OutboundMessage
from bot.pipeline.outbox import Outbox
from bot.rasa.engine import Engine

from .conftest import ROOT, free_port
from .support.redis_dbs import emptied, redis_url
from .test_delivery import KEYS, SEALER, RecordingChannel, message

OPS_REDIS_URL = redis_url("ops")
WEBHOOK = "/webhooks/rest/webhook"
ACTION_DELAY_SECONDS = 3.0  # long enough to send SIGTERM while the turn waits for its action


@pytest.fixture
async def ops_redis() -> AsyncIterator[Redis]:
    async with emptied(OPS_REDIS_URL) as client:
        yield client


@pytest.fixture
def app(settings: Settings, engine: Engine, ops_redis: Redis) -> web.Application:
    return create_app(settings, engine, ops_redis)


@pytest.fixture
async def client(aiohttp_client: Any, app: web.Application) -> TestClient:
    started: TestClient = await aiohttp_client(app)
    return started


@pytest.fixture
async def dead_redis() -> AsyncIterator[Redis]:
    """A Redis client whose server is not there (nothing listens on its port)."""
    client = Redis(host="127.0.0.1", port=free_port())
    yield client
    await client.close()


def probes_only(
    engine: Engine, redis: Redis, action_server_url: str, timeout: float = 2.0
) -> web.Application:
    """The probes without the rest of the app, whose start-up needs a working Redis."""
    app = web.Application()
    setup_ops(
        app,
        engine=engine,
        redis=redis,
        metrics=Metrics(),
        action_server_url=action_server_url,
        timeout=timeout,
    )
    return app


def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}/webhook"


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(exposition: str, name: str, **labels: str) -> float | None:
    return samples(exposition).get((name, frozenset(labels.items())))


async def scrape(client: TestClient) -> str:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return await response.text()


# --- probes ---


async def test_readyz_is_ready_with_models_redis_and_the_action_server(client: TestClient) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {
        "status": "ready",
        "checks": {"models": "ok", "redis": "ok", "action_server": "ok"},
    }


async def test_readyz_names_an_action_server_that_is_not_there(
    aiohttp_client: Any, settings: Settings, engine: Engine, ops_redis: Redis
) -> None:
    url = closed_url()
    client = await aiohttp_client(create_app(replace(settings, action_server_url=url), engine, ops_redis))
    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 503
    assert body["status"] == "not ready"
    assert body["checks"]["redis"] == body["checks"]["models"] == "ok"
    assert body["checks"]["action_server"] == "ClientConnectorError"
    assert url.split("/")[2] not in await response.text()  # no address in the body


async def test_without_redis_the_replica_is_alive_but_not_ready(
    aiohttp_client: Any, engine: Engine, action_server_url: str, dead_redis: Redis
) -> None:
    client = await aiohttp_client(probes_only(engine, dead_redis, action_server_url))
    alive = await client.get("/healthz")
    ready = await client.get("/readyz")
    assert alive.status == 200
    assert await alive.json() == {"status": "ok"}
    assert ready.status == 503
    assert (await ready.json())["checks"] == {
        "models": "ok",
        "redis": "ConnectionError",
        "action_server": "ok",
    }


async def test_readyz_gives_up_on_an_action_server_that_hangs(
    aiohttp_client: Any, engine: Engine, ops_redis: Redis
) -> None:
    released = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await released.wait()
        return web.Response()

    hanging = web.Application()
    hanging.router.add_get("/health", hang)
    async with TestServer(hanging) as server:
        client = await aiohttp_client(probes_only(engine, ops_redis, str(server.make_url("/webhook")), 0.3))
        started = time.monotonic()
        response = await client.get("/readyz")
        took = time.monotonic() - started
        released.set()
    assert response.status == 503
    assert (await response.json())["checks"]["action_server"] == "no answer within 0.3 s"
    assert took < 2


# --- metrics ---


async def say(client: TestClient, sender: str, text: str) -> list[dict[str, Any]]:
    response = await client.post(WEBHOOK, json={"sender": sender, "message": text})
    assert response.status == 200
    return list(await response.json())


async def test_metrics_count_rest_messages_and_time_their_turns(
    client: TestClient, conversation_id: str
) -> None:
    for text in ("hello", "/doxxing", "my account was hacked"):
        assert await say(client, conversation_id, text)

    exposition = await scrape(client)

    assert value(exposition, "safespaces_messages_received_total", channel="rest") == 3
    assert value(exposition, "safespaces_messages_sent_total", channel="rest") == 3  # one request per turn
    assert value(exposition, "safespaces_turn_seconds_count", channel="rest") == 3
    assert value(exposition, "safespaces_turn_seconds_bucket", channel="rest", le="+Inf") == 3
    assert value(exposition, "safespaces_turn_seconds_bucket", channel="rest", le="0.01") is not None
    assert 0 < (value(exposition, "safespaces_turn_seconds_sum", channel="rest") or 0) < 30
    assert value(exposition, "safespaces_send_failures_total", channel="rest") is None
    assert value(exposition, "safespaces_handoff_queue_length") == 0
    assert conversation_id not in exposition
    labels = {name for (_, pairs) in samples(exposition) for name, _ in pairs}
    assert labels <= {"channel", "le"}  # nothing that tells one person from another


async def test_a_redelivery_counts_as_a_dedupe_hit_not_a_message(
    app: web.Application, client: TestClient
) -> None:
    gateway = app[GATEWAY]
    inbound = InboundMessage(
        channel="rest", provider_id=uuid.uuid4().hex, sender="ops", kind=InboundKind.TEXT, text="hello"
    )
    assert await gateway.accept(inbound)
    assert not await gateway.accept(inbound)

    exposition = await scrape(client)

    assert value(exposition, "safespaces_messages_received_total", channel="rest") == 1
    assert value(exposition, "safespaces_dedupe_hits_total", channel="rest") == 1


async def test_the_queue_length_comes_from_redis_and_a_claim_records_the_wait(
    app: web.Application, client: TestClient
) -> None:
    desk = app[GATEWAY].desk
    ticket = await desk.enqueue(f"rest:{uuid.uuid4().hex}", Summary(channel="rest"))

    assert value(await scrape(client), "safespaces_handoff_queue_length") == 1
    await desk.claim(ticket.id, Staff(name="amina", display_name="Amina", role=Role.AGENT))
    exposition = await scrape(client)

    assert value(exposition, "safespaces_handoff_queue_length") == 0
    assert value(exposition, "safespaces_handoff_wait_seconds_count") == 1
    assert value(exposition, "safespaces_handoff_wait_seconds_bucket", le="10.0") == 1


async def test_retries_and_a_given_up_send_are_counted_per_channel(ops_redis: Redis) -> None:
    metrics = Metrics()
    store = ConversationStore(ops_redis, sealer=SEALER, keys=KEYS)
    channel = RecordingChannel(failing=True)
    outbox = Outbox(
        store=store,
        channels={channel.name: channel},  # type: ignore[dict-item]  # test_delivery's channel has no wipe/forget
        max_attempts=3,
        base_delay=0.01,
        metrics=metrics,
    )
    inbound = message("hi")
    await store.accept(inbound, take_lease=True)  # and its turn begins
    step = await store.complete(inbound.conversation_id, inbound, [OutboundMessage(text="a reply")])
    assert isinstance(step, Delivery)

    assert await outbox.send(inbound.conversation_id, step) == {}  # nothing went out

    exposition = metrics.exposition().decode()
    assert value(exposition, "safespaces_send_retries_total", channel="test") == 3
    assert value(exposition, "safespaces_send_failures_total", channel="test") == 1
    assert value(exposition, "safespaces_messages_sent_total", channel="test") is None
    assert inbound.sender not in exposition


def test_each_metrics_object_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.received.labels("rest").inc()
    assert value(first.exposition().decode(), "safespaces_messages_received_total", channel="rest") == 1
    assert value(second.exposition().decode(), "safespaces_messages_received_total", channel="rest") is None


# --- logs ---


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    logging.captureWarnings(False)
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_logs_are_one_object_per_line_with_the_exception(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("json", "INFO")
    log = logging.getLogger("bot.test_ops")
    log.info("ops.started port=%d", 5005)
    log.debug("not at INFO")
    try:
        raise RuntimeError("the turn failed")
    except RuntimeError:
        log.exception("gateway.turn_failed channel=%s", "rest")
    warnings.warn("a library's warning", RuntimeWarning, stacklevel=1)

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]

    assert [(line["level"], line["logger"], line["message"]) for line in lines] == [
        ("INFO", "bot.test_ops", "ops.started port=5005"),
        ("ERROR", "bot.test_ops", "gateway.turn_failed channel=rest"),
        ("WARNING", "py.warnings", lines[2]["message"]),
    ]
    assert "RuntimeWarning: a library's warning" in lines[2]["message"]
    assert "RuntimeError: the turn failed" in lines[1]["exception"]
    assert "exception" not in lines[0]
    assert lines[0]["time"].endswith("+00:00")


async def test_the_access_log_has_no_query_no_address_and_no_passing_probe(
    aiohttp_client: Any, engine: Engine, action_server_url: str, ops_redis: Redis, caplog: Any
) -> None:
    server = TestServer(probes_only(engine, ops_redis, action_server_url))
    await server.start_server(access_log_class=AccessLog)
    client = await aiohttp_client(server)
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/nowhere?sender=%2B254712345678")).status == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert [line.rsplit(" ", 1)[0] for line in lines] == ["GET /nowhere 404"]
    assert "127.0.0.1" not in lines[0]


def test_a_multiline_message_stays_on_one_line() -> None:
    record = logging.LogRecord("bot", logging.WARNING, __file__, 1, "first\nsecond", None, None)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["message"] == "first\nsecond"


def test_log_settings_are_validated() -> None:
    assert Settings.from_env({}).log_format == "text"
    chosen = Settings.from_env({"LOG_FORMAT": "JSON", "LOG_LEVEL": "warning"})
    assert (chosen.log_format, chosen.log_level) == ("json", "WARNING")
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"LOG_FORMAT": "xml", "LOG_LEVEL": "loud"})
    assert "LOG_FORMAT must be text or json" in str(refused.value)
    assert "LOG_LEVEL must be one of" in str(refused.value)


# --- graceful shutdown of `python -m bot serve` ---


class SlowActions:
    """Stands between the gateway and the real action server and holds every action call for a while,
    so that a turn is surely in flight when the gateway is told to stop."""

    def __init__(self, target: str) -> None:
        self.target = target.removesuffix("/webhook")
        self.called = asyncio.Event()

    def app(self) -> web.Application:
        async def forward(request: web.Request) -> web.Response:
            if request.method == "POST":
                self.called.set()
                await asyncio.sleep(ACTION_DELAY_SECONDS)
            async with (
                aiohttp.ClientSession() as session,
                session.request(
                    request.method,
                    self.target + request.path,
                    data=await request.read(),
                    headers={"Content-Type": request.content_type},
                ) as upstream,
            ):
                return web.Response(
                    status=upstream.status, body=await upstream.read(), content_type=upstream.content_type
                )

        app = web.Application()
        app.router.add_route("*", "/{path:.*}", forward)
        return app


async def wait_until_ready(base: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    async def ready() -> bool:
        assert process.poll() is None, "the gateway exited during start-up"
        return await http_ok(f"{base}/readyz")

    await until(ready, seconds, "the gateway ready")


async def refuses_connections(base: str) -> bool:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        try:
            async with session.get(f"{base}/healthz"):
                return False
        except aiohttp.ClientConnectionError:
            return True


async def test_sigterm_finishes_the_turn_in_flight_then_exits_0(
    action_server_url: str, ops_redis: Redis, tmp_path: Path
) -> None:
    slow = SlowActions(action_server_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with TestServer(slow.app()) as proxy:
        env = {
            **os.environ,
            "REDIS_URL": OPS_REDIS_URL,
            "PORT": str(port),
            "ACTION_SERVER_URL": str(proxy.make_url("/webhook")),
            "SECRET_KEY": uuid.uuid4().hex,
            "LOG_FORMAT": "json",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        stderr_path = tmp_path / "stderr"
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        try:
            await wait_until_ready(base, process, 90)  # ~20 s on an idle 2 vCPU machine
            async with aiohttp.ClientSession() as session:
                body = {"sender": f"ops-{uuid.uuid4().hex[:8]}", "message": "/doxxing"}
                reply = asyncio.create_task(session.post(f"{base}{WEBHOOK}", json=body))
                await asyncio.wait_for(slow.called.wait(), 15)  # the turn is waiting for its action
                stopped = time.monotonic()
                process.send_signal(signal.SIGTERM)
                refused = False
                while not refused and not reply.done():
                    refused = await refuses_connections(base)
                    await asyncio.sleep(0.05)
                response = await reply
                replies = await response.json()
            exit_code = await asyncio.to_thread(process.wait, 30)
            took = time.monotonic() - stopped
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert refused, "the gateway still took new connections after SIGTERM"
    assert response.status == 200
    assert replies[-1]["text"].startswith("1/8. ")  # the doxxing playbook's first step
    assert exit_code == 0
    assert took < ACTION_DELAY_SECONDS + 10
    # From the moment logging is configured, every line is one JSON object (what libraries print
    # while they are imported, before the settings are read, is not ours to format).
    lines = stderr_path.read_text().splitlines()
    logged = lines[next(n for n, line in enumerate(lines) if line.startswith('{"time"')) :]
    assert len(logged) > 3, "the gateway logged almost nothing"
    assert all(isinstance(json.loads(line), dict) for line in logged)
    access = [json.loads(line)["message"] for line in logged if '"aiohttp.access"' in line]
    assert [line.rsplit(" ", 1)[0] for line in access] == [f"POST {WEBHOOK} 200"]  # probes unlogged


# --- Redis connections ---


async def test_waiting_long_polls_hold_no_redis_connection_so_readyz_and_webhooks_still_answer(
    aiohttp_client: Any, settings: Settings, engine: Engine, ops_redis: Redis
) -> None:
    """The review: every unauthenticated long poll held a pooled connection for its whole wait, and with
    a low client limit the webhooks answered 500 and /readyz 503. Here: a pool of 4, 12 polls waiting."""
    capped = replace(
        settings,
        redis_url=OPS_REDIS_URL,
        secret_key="s" * 64,
        redis_max_connections=4,
        redis_pool_timeout_seconds=1,
    )
    client = await aiohttp_client(create_app(capped, engine))
    gateway = client.app[GATEWAY]
    rest = gateway.channels["rest"]
    assert isinstance(rest, RestChannel)
    polls = [
        asyncio.create_task(client.get(f"{WEBHOOK}/updates", params={"sender": f"poller-{n}"}))
        for n in range(12)
    ]

    async def all_waiting() -> bool:
        return rest.mailbox.wakeups.waiting == len(polls)

    await until(all_waiting, 10, "every poll waiting")
    assert (await client.get("/readyz")).status == 200
    answered = await client.post(WEBHOOK, json={"sender": "someone", "message": "hello"})
    assert answered.status == 200
    assert (await answered.json())[-1]["text"] == "Are you safe right now?"
    await gateway.deliver("rest:poller-0", [OutboundMessage(text="from the helpline")])
    woken = await asyncio.wait_for(polls[0], 5)  # at once, not at the end of its 20 s
    assert [reply["text"] for reply in await woken.json()] == ["from the helpline"]
    for poll in polls[1:]:
        poll.cancel()
    await asyncio.gather(*polls[1:], return_exceptions=True)
