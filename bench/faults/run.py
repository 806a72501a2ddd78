"""The soak's run: the system, five phases of traffic with one fault in each of the last four, the check.

On free local ports: a redis-server of its own (AOF on, so it can be restarted with its data), the
action server, two `python -m bot serve` replicas with the same Redis and keys, nginx in front of them,
and the fake Telegram Bot API (tests/fakes/telegram.py) in this process. Every conversation posts the
updates of walk.SCRIPT in order, with the real secret-token header, through nginx, and retries a post
that fails (connection refused, a 5xx) with the same update_id, as Telegram does. A phase spreads each
conversation's next two updates over `phase_seconds`, one of them half a second before its fault, which
starts a fifth of the way in; the phase lasts until the fault is over and every update sent so far is
answered:

    replica   one replica is killed with SIGKILL and started again
    redis     Redis shuts down (writing its AOF) and starts again on the same port and folder
    actions   the action server is down
    provider  the fake Telegram answers sendMessage with 429 (retry_after) and 500 in turn
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import json
import os
import random
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet
from redis.exceptions import RedisError

from bench.faults.processes import Child, RedisServer, nginx
from bench.faults.walk import SCRIPT, Outcome, Walk, apology_text
from bench.processes import free_port, http_get, http_ok, until
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.ops.settings import ROOT
from bot.storage.keys import FAILURES, METRICS, PENDING
from tests.fakes import serving
from tests.fakes.telegram import FakeTelegram, server_error, too_many_requests

TOKEN = "123456:SOAK-token-for-the-local-fake-only"
SECRET = "soak-secret-token"
PHASES = ("baseline", "replica", "redis", "actions", "provider")
PER_PHASE = len(SCRIPT) // len(PHASES)  # updates of one conversation in each phase
PAYLOAD = ROOT / "tests" / "payloads" / "telegram" / "text_message.json"
FIRST_CHAT = 700_000_000
CALIBRATION_CHATS = (600_000_001, 600_000_002)
STARTUP_SECONDS = 300.0  # a replica loads every language's NLU model before it listens
FAULT_AT = 0.2  # of a phase's traffic time
BURST_LEAD = 0.5  # seconds before a fault: one update of every conversation
RETRY_AFTER_SECONDS = 2  # what the fake Telegram's 429s ask for
QUIET_SECONDS = 3.0  # after everything was answered: time for a late repeat to show


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    conversations: int
    phase_seconds: float
    redis_down: float
    actions_down: float
    provider_down: float
    settle_seconds: float  # after the traffic: for a dead replica's leases to expire and queues to drain


FULL = Plan(
    conversations=100, phase_seconds=40, redis_down=10, actions_down=30, provider_down=20, settle_seconds=300
)
QUICK = Plan(
    conversations=10, phase_seconds=15, redis_down=3, actions_down=8, provider_down=6, settle_seconds=150
)


def phase_of(update: int) -> int:
    return update // PER_PHASE


class TimedTelegram(FakeTelegram):
    """The fake Telegram, also keeping per chat each sendMessage it accepted (answered 200) and when:
    what the person sees. Refused sends are in `requests` too, as the outbox tried them."""

    def __init__(self, token: str) -> None:
        super().__init__(token=token)
        self.url = ""  # set by tests.fakes.serving
        self.delivered: dict[int, list[tuple[str, float]]] = collections.defaultdict(list)

    def app(self) -> web.Application:
        app = super().app()

        @web.middleware
        async def accepted(request: web.Request, handler: Any) -> web.StreamResponse:
            response: web.StreamResponse = await handler(request)
            if request.path.endswith("/sendMessage") and isinstance(response, web.Response):
                body = response.body if response.status == 200 else None
                result = json.loads(body)["result"] if isinstance(body, bytes) else None
                if result is not None:
                    self.delivered[int(result["chat"]["id"])].append((result["text"], time.monotonic()))
            return response

        app.middlewares.append(accepted)
        return app

    def texts(self, chat: int) -> list[str]:
        return [text for text, _ in self.delivered.get(chat, [])]


@dataclass(slots=True)
class PhaseCounts:
    sent: int = 0  # updates first posted in this phase
    acked: int = 0  # answered 200 in the end
    retried: int = 0  # posts repeated after a failure
    server_errors: collections.Counter[int] = field(default_factory=collections.Counter)  # 5xx seen
    refused: int = 0  # connection errors and timeouts seen by senders
    rejected: int = 0  # 4xx: never retried, always a bug
    outcomes: collections.Counter[Outcome] = field(default_factory=collections.Counter)
    resent: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    latencies: list[float] = field(default_factory=list)  # first post -> the answer's last text

    def add(self, other: PhaseCounts) -> None:
        for name in (
            "sent",
            "acked",
            "retried",
            "refused",
            "rejected",
            "resent",
            "duplicates",
            "out_of_order",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.server_errors += other.server_errors
        self.outcomes += other.outcomes
        self.latencies += other.latencies

    def row(self, name: str) -> str:
        unanswered = sum(self.outcomes[o] for o in (Outcome.LOST, Outcome.MISSING, Outcome.UNVERIFIED))
        values = (self.sent, self.acked, self.retried, sum(self.server_errors.values()), self.refused,
                  self.rejected, self.outcomes[Outcome.ANSWERED], self.outcomes[Outcome.APOLOGY], unanswered,
                  self.resent, self.duplicates, self.out_of_order)  # fmt: skip
        p50 = statistics.median(self.latencies) if self.latencies else float("nan")
        worst = max(self.latencies, default=float("nan"))
        return f"{name:<10}" + "".join(f"{v:>9}" for v in values) + f"{p50:>9.1f}{worst:>9.1f}"


ANSWERED = {Outcome.ANSWERED, Outcome.APOLOGY}
HEADER = ("phase", "sent", "acked", "retried", "5xx", "refused", "4xx", "answered", "apology", "missing",
          "resent", "dup", "disorder", "p50 s", "max s")  # fmt: skip


class Soak:
    def __init__(self, plan: Plan, folder: Path) -> None:
        self.plan = plan
        self.folder = folder
        self.started = time.monotonic()
        self.fake = TimedTelegram(TOKEN)
        self.redis = RedisServer(folder)
        self.action_port = free_port()
        self.replica_ports = [free_port(), free_port()]
        self.nginx_port = free_port()
        self.actions = Child(
            "actions",
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.action_port)],
            folder,
        )
        self.replicas: list[Child] = []  # made once the fake listens: their settings hold its URL
        self.nginx = nginx(folder, self.nginx_port, self.replica_ports)
        self.counts = [PhaseCounts() for _ in PHASES]
        self.first_post: dict[tuple[int, int], float] = {}
        loop = asyncio.get_running_loop()
        self.phase_begun: list[asyncio.Future[float]] = [loop.create_future() for _ in PHASES]
        self.phase_starts: list[float] = []  # wall clock, to split nginx's log
        self.replica_back_at: float | None = None  # wall clock
        self.snapshots: list[dict[str, dict[str, float]]] = []  # counters as each phase began, and at the end
        self._template = json.loads(PAYLOAD.read_text())
        self._secret_key = os.urandom(32).hex()
        self._encryption_key = Fernet.generate_key().decode()

    def note(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {text}", flush=True)

    # -- the system -------------------------------------------------------------------------------

    def _replica_env(self, port: int) -> dict[str, str]:
        """From the soak's settings alone: provider tokens of the caller's environment stay out."""
        kept = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
        return {
            **kept,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "REDIS_URL": self.redis.url,
            "SECRET_KEY": self._secret_key,
            "ENCRYPTION_KEYS": self._encryption_key,
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_SECRET_TOKEN": SECRET,
            "TELEGRAM_API_URL": self.fake.url,
            "TELEGRAM_MODE": "webhook",
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "WEB_CHAT": "false",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(serving(self.fake, access_log=None))
            stack.callback(self._stop_children)
            self.redis.start()
            await self.redis.ready()
            stack.push_async_callback(self.redis.client.close)
            self.actions.start()
            await until(self._actions_up, 60, "action server")
            for index, port in enumerate(self.replica_ports):
                argv = [sys.executable, "-m", "bot", "serve"]
                self.replicas.append(Child(f"replica{index}", argv, self.folder, self._replica_env(port)))
                self.replicas[-1].start()
            took = await asyncio.gather(*(until(self._ready(i), STARTUP_SECONDS, "replica") for i in (0, 1)))
            self.note(f"redis, action server and 2 replicas ready (the replicas in {max(took):.1f} s)")
            self.nginx.start()
            await until(lambda: http_ok(self.url("/healthz")), 30, "nginx")
            yield

    def _stop_children(self) -> None:
        for child in [self.nginx, *self.replicas, self.actions, self.redis]:
            child.stop()

    def url(self, path: str, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.nginx_port}{path}"

    async def _actions_up(self) -> bool:
        return await http_ok(f"http://127.0.0.1:{self.action_port}/health")

    def _ready(self, index: int) -> Callable[[], Awaitable[bool]]:
        return lambda: http_ok(self.url("/readyz", self.replica_ports[index]))

    # -- faults -----------------------------------------------------------------------------------

    async def kill_replica(self) -> None:
        await self.replicas[0].kill()
        self.note("replica0 killed with SIGKILL; starting it again")
        self.replicas[0].start()
        took = await until(self._ready(0), STARTUP_SECONDS, "replica0 after SIGKILL")
        self.replica_back_at = time.time()
        self.note(f"replica0 ready again after {took:.1f} s")

    async def restart_redis(self) -> None:
        await self.redis.shutdown()
        self.note(f"redis shut down (AOF written); down for {self.plan.redis_down:g} s")
        await asyncio.sleep(self.plan.redis_down)
        self.redis.start()
        took = await self.redis.ready()
        self.note(f"redis started again on the same port and folder ({took:.1f} s to answer)")

    async def stop_actions(self) -> None:
        await self.actions.kill()
        self.note(f"action server killed; down for {self.plan.actions_down:g} s")
        await asyncio.sleep(self.plan.actions_down)
        self.actions.start()
        took = await until(self._actions_up, 60, "action server")
        self.note(f"action server up again ({took:.1f} s to start)")

    async def fail_provider(self) -> None:
        failures = [too_many_requests(RETRY_AFTER_SECONDS), server_error()]
        self.note(f"fake Telegram answers 429 (retry_after {RETRY_AFTER_SECONDS}) and 500 in turn")
        deadline = time.monotonic() + self.plan.provider_down
        while time.monotonic() < deadline:
            if len(self.fake.send_failures) < 50:
                self.fake.send_failures += failures * 50
            await asyncio.sleep(0.1)
        self.fake.send_failures.clear()
        self.note(f"fake Telegram healthy again after {self.plan.provider_down:g} s")

    # -- traffic ----------------------------------------------------------------------------------

    def update(self, chat: int, update_id: int, text: str) -> dict[str, Any]:
        update = copy.deepcopy(self._template)
        update["update_id"] = update_id
        message = update["message"]
        message.update(message_id=update_id, date=int(time.time()), text=text)
        message["chat"]["id"] = message["from"]["id"] = chat
        return dict(update)

    async def post(self, session: aiohttp.ClientSession, update: dict[str, Any], counts: PhaseCounts) -> None:
        """Until nginx says 200, as Telegram retries a webhook: the same update, growing pauses."""
        pause = 0.25
        while True:
            try:
                async with session.post(
                    self.url(WEBHOOK_PATH), json=update, headers={SECRET_HEADER: SECRET}
                ) as response:
                    status = response.status
                    await response.read()
            except (TimeoutError, aiohttp.ClientError):
                status = 0
            if status == 200:
                counts.acked += 1
                return
            if 400 <= status < 500:
                counts.rejected += 1
                return
            if status >= 500:
                counts.server_errors[status] += 1
            else:
                counts.refused += 1
            counts.retried += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 4.0)

    async def converse(self, session: aiohttp.ClientSession, index: int) -> None:
        """One person's updates in order: in each phase, one just before its fault, the others at random
        moments of the phase's traffic time."""
        chat = FIRST_CHAT + index
        rng = random.Random(index)
        for phase in range(len(PHASES)):
            begin = await self.phase_begun[phase]
            first = begin + (FAULT_AT * self.plan.phase_seconds - BURST_LEAD if phase else 0.0)
            moments = sorted(
                first + rng.random() * (begin + self.plan.phase_seconds - first) for _ in range(PER_PHASE)
            )
            if phase:  # every conversation writes just before the fault strikes: work in flight
                moments[0] = first
            for slot, moment in enumerate(moments):
                update = phase * PER_PHASE + slot
                await asyncio.sleep(max(0.0, moment - time.monotonic()))
                self.counts[phase].sent += 1
                self.first_post[(chat, update)] = time.monotonic()
                body = self.update(chat, chat * 100 + update, SCRIPT[update])
                await self.post(session, body, self.counts[phase])

    async def say_and_wait(
        self, session: aiohttp.ClientSession, chat: int, update_id: int, text: str
    ) -> tuple[str, ...]:
        """Calibration: one update, then what reaches the chat until it has been quiet for 1.5 s."""
        before = len(self.fake.texts(chat))
        await self.post(session, self.update(chat, update_id, text), PhaseCounts())

        async def answered() -> bool:
            replies = self.fake.delivered.get(chat, [])
            return len(replies) > before and time.monotonic() - replies[-1][1] > 1.5

        await until(answered, 60, "calibration reply")
        return tuple(self.fake.texts(chat)[before:])

    async def calibrate(self, session: aiohttp.ClientSession) -> Walk:
        walking, idle = CALIBRATION_CHATS
        answers = [
            await self.say_and_wait(session, walking, walking * 100 + i, text)
            for i, text in enumerate(SCRIPT)
        ]
        not_started = await self.say_and_wait(session, idle, idle * 100, SCRIPT[1])
        walk = Walk(answers=tuple(answers), not_started=not_started, apology=apology_text())
        if not walk.is_distinct():
            raise RuntimeError("calibration: the walk's answers are not all different")
        self.note(f"calibrated on the healthy system: {len(answers)} answers, all different")
        return walk

    # -- the run ----------------------------------------------------------------------------------

    async def run(self) -> Walk:
        """Calibrate, then each phase: its traffic, its fault, and the wait until everything sent so far
        is answered, so the next fault meets a quiet system and each phase's numbers are its own."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=40)) as session:
            walk = await self.calibrate(session)
            traffic = asyncio.gather(*(self.converse(session, i) for i in range(self.plan.conversations)))
            faults = (None, self.kill_replica, self.restart_redis, self.stop_actions, self.fail_provider)
            for phase, fault in enumerate(faults):
                self.snapshots.append(await self.snapshot())
                begin = time.monotonic()
                self.phase_starts.append(time.time())
                self.note(f"phase {PHASES[phase]}")
                self.phase_begun[phase].set_result(begin)
                if fault is not None:
                    await asyncio.sleep(FAULT_AT * self.plan.phase_seconds)
                    await fault()
                await asyncio.sleep(max(0.0, begin + self.plan.phase_seconds - time.monotonic()))
                await self.settle(walk, phase)
            await traffic
            await asyncio.sleep(QUIET_SECONDS)
            self.snapshots.append(await self.snapshot())
        return walk

    async def settle(self, walk: Walk, phase: int) -> None:
        wait = self.plan.settle_seconds
        try:
            took = await until(
                lambda: self._settled(walk, phase), wait, f"the answers of phase {PHASES[phase]}"
            )
            self.note(f"every update so far answered and no conversation pending, {took:.1f} s later")
        except TimeoutError as error:
            self.note(str(error))

    async def _settled(self, walk: Walk, phase: int) -> bool:
        counts = self.counts[phase]
        if counts.acked + counts.rejected < self.plan.conversations * PER_PHASE:
            return False  # some updates of the phase are still being posted
        so_far = (phase + 1) * PER_PHASE
        for index in range(self.plan.conversations):
            if Outcome.MISSING in walk.check(self.fake.texts(FIRST_CHAT + index)).outcomes[:so_far]:
                return False
        try:
            return int(await self.redis.client.zcard(PENDING)) == 0
        except (RedisError, OSError):
            return False

    # -- the report -------------------------------------------------------------------------------

    def tally(self, walk: Walk) -> PhaseCounts:
        """Each chat checked, counted per phase; the totals."""
        for index in range(self.plan.conversations):
            chat = FIRST_CHAT + index
            delivered = self.fake.delivered.get(chat, [])
            check = walk.check([text for text, _ in delivered])
            for update, (outcome, last) in enumerate(zip(check.outcomes, check.last_text, strict=True)):
                counts = self.counts[phase_of(update)]
                counts.outcomes[outcome] += 1
                if last is not None:
                    counts.latencies.append(delivered[last][1] - self.first_post[(chat, update)])
            for update in check.repeats:
                self.counts[phase_of(update)].duplicates += 1
            for update in check.resent:
                self.counts[phase_of(update)].resent += 1
            if check.broken_at is not None:
                self.counts[phase_of(check.broken_at)].out_of_order += 1
        total = PhaseCounts()
        print("\n" + "".join(f"{h:>9}" if i else f"{h:<10}" for i, h in enumerate(HEADER)))
        for name, counts in zip(PHASES, self.counts, strict=True):
            print(counts.row(name))
            total.add(counts)
        print(total.row("total"))
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(total.server_errors.items()))
        print(f"5xx seen by senders, by status: {codes or 'none'}")
        return total

    def dump(self, walk: Walk) -> Path:
        """Every chat that failed the check, as the fake received it, beside what the walk expects."""
        failed = {}
        for index in range(self.plan.conversations):
            texts = self.fake.texts(FIRST_CHAT + index)
            check = walk.check(texts)
            if check.broken_at is not None or check.repeats or check.resent or set(check.outcomes) - ANSWERED:
                failed[FIRST_CHAT + index] = {"outcomes": check.outcomes, "received": [t[:60] for t in texts]}
        expected = [[text[:60] for text in answer] for answer in walk.answers]
        path = self.folder / "chats.json"
        path.write_text(json.dumps({"expected": expected, "failed": failed}, indent=1, ensure_ascii=False))
        return path

    async def snapshot(self) -> dict[str, dict[str, float]]:
        """The Redis counters (all replicas), and each replica's /metrics with turns over 1 s and 10 s."""
        raw = await self.redis.client.hgetall(METRICS)
        counters = {"redis": {k.decode(): float(v) for k, v in raw.items()}}
        for index, port in enumerate(self.replica_ports):
            sums: dict[str, float] = collections.defaultdict(float)
            for line in (await http_get(self.url("/metrics", port)) or "").splitlines():
                series, _, sample = line.partition(" ")
                name = series.split("{")[0].removeprefix("safespaces_")
                value = float(sample.split()[0]) if line.startswith("safespaces_") else 0.0
                if name == "turn_seconds_bucket" and ('le="1.0"' in series or 'le="10.0"' in series):
                    sums["turns_up_to_" + series.split('le="')[1].split('"')[0]] += value
                elif not name.endswith(("_bucket", "_created")):
                    sums[name] += value
            sums["turns_over_1s"] = sums["turn_seconds_count"] - sums.pop("turns_up_to_1.0", 0.0)
            sums["turns_over_10s"] = sums["turn_seconds_count"] - sums.pop("turns_up_to_10.0", 0.0)
            counters[f"replica{index}"] = dict(sums)
        return counters

    def print_metrics(self) -> None:
        """What an operator would have seen: each counter's growth during each phase."""
        names = sorted({name for snap in self.snapshots for name in snap["redis"]})
        print("\nRedis counters (safespaces:metrics, all replicas together), growth per phase:")
        print(f"  {'':28}" + "".join(f"{p:>10}" for p in PHASES) + f"{'total':>10}")
        for name in names:
            growth = [self._growth("redis", name, p) for p in range(len(PHASES))]
            print(f"  {name:28}" + "".join(f"{g:>10g}" for g in growth) + f"{sum(growth):>10g}")
        print("replicas' /metrics (replica0's restart in the replica phase counted from zero):")
        for name in ("messages_received_total", "dedupe_hits_total", "turns_over_1s", "turns_over_10s",
                     "send_retries_total", "send_failures_total"):  # fmt: skip
            growth = [
                sum(self._growth(r, name, p) for r in ("replica0", "replica1")) for p in range(len(PHASES))
            ]
            print(f"  {name:28}" + "".join(f"{g:>10g}" for g in growth) + f"{sum(growth):>10g}")

    def _growth(self, source: str, name: str, phase: int) -> float:
        before = self.snapshots[phase][source].get(name, 0.0)
        after = self.snapshots[phase + 1][source].get(name, 0.0)
        return after - before if after >= before else after  # a restarted replica counts from zero

    async def print_failures(self) -> None:
        failures = [json.loads(item) for item in await self.redis.client.lrange(FAILURES, 0, -1)]
        print(f"failed sends kept (safespaces:delivery:failures): {len(failures)}")
        for reason, count in collections.Counter(f["reason"] for f in failures).most_common():
            print(f"  {count:5}  {reason}")
        accepted = sum(len(texts) for texts in self.fake.delivered.values())
        print(f"fake Telegram: {len(self.fake.sent())} sendMessage requests, {accepted} accepted")

    def print_nginx(self) -> collections.Counter[str]:
        """200s per replica per phase from nginx's log; the replicas' 200s after replica0 came back."""
        names = {f"127.0.0.1:{port}": f"replica{i}" for i, port in enumerate(self.replica_ports)}
        table: collections.Counter[tuple[str, str]] = collections.Counter()
        after_return: collections.Counter[str] = collections.Counter()
        for line in (self.folder / "nginx-access.log").read_text().splitlines():
            at, upstream, status = line.split(" ", 2)
            if status != "200":
                continue
            replica = names.get(upstream.split(", ")[-1], upstream)  # the last one nginx tried
            phase = sum(float(at) >= start for start in self.phase_starts)
            table[(PHASES[phase - 1] if phase else "calibration", replica)] += 1
            if self.replica_back_at is not None and float(at) > self.replica_back_at:
                after_return[replica] += 1
        print("\nnginx: webhook posts answered 200, per replica:")
        for phase_name in ("calibration", *PHASES):
            print(
                f"  {phase_name:12}" + "".join(f"  {r}={table[(phase_name, r)]:<5}" for r in names.values())
            )
        return after_return


async def soak(plan: Plan, folder: Path) -> bool:
    """The whole run; True if every update was answered exactly once, in order, and both replicas serve."""
    started = time.monotonic()
    run = Soak(plan, folder)
    async with run.running():
        walk = await run.run()
        total = run.tally(walk)
        run.print_metrics()
        await run.print_failures()
        after_return = run.print_nginx()
        ready = [await http_ok(run.url("/readyz", port)) for port in run.replica_ports]
    unanswered = sum(total.outcomes[o] for o in (Outcome.LOST, Outcome.MISSING, Outcome.UNVERIFIED))
    problems = [
        *([f"{unanswered} updates not answered"] if unanswered else []),
        *([f"{total.duplicates} answers sent twice"] if total.duplicates else []),
        *([f"{total.out_of_order} chats out of order"] if total.out_of_order else []),
        *([f"{total.rejected} updates refused with a 4xx"] if total.rejected else []),
        *([f"replicas ready at the end: {ready}"] if not all(ready) else []),
        *(["replica0 answered no webhook after it came back"] if not after_return["replica0"] else []),
    ]
    print(f"\n{total.sent} updates in {plan.conversations} conversations; {time.monotonic() - started:.0f} s "
          f"in all (phases of {plan.phase_seconds:g} s)")  # fmt: skip
    if problems:
        print(f"FAIL: {'; '.join(problems)} (the chats: {run.dump(walk)})")
    else:
        resent = f"; {total.resent} replies resent (in flight when a process died)" if total.resent else ""
        print(f"PASS: every update answered once, in order; both replicas serving{resent}")
    return not problems
