"""The app under fuzzing, reached over raw sockets, and the properties every example must keep.

Requests go out as bytes, so that header bytes, content types and encodings are whatever a strategy
drew, not what a client library allows. For every example: an answer, and never a 5xx; one of the
statuses the strategy expects; for a request without a valid signature, secret, session or CSRF
token, the same Redis key names and metrics afterwards (counters and locks aside), so nothing was stored
and no turn runs; for any other, its work (turns, replies) finished with no error logged by the app.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.storage.keys import METRICS, PENDING, PENDING_IDS, PREFIX

# Keys that are not state: counters of send pacing and of login throttling and lockout, and the leases
# workers take for a moment (the sweeper may start a drain, which finds nothing to do, at any time).
NOT_STATE = (f"{PREFIX}:rate:".encode(), f"{PREFIX}:login:".encode(), f"{PREFIX}:lease:".encode())
WORK = (
    b"inbox",
    b"outbox",
    b"turn",
    b"sent",
)  # a conversation's pending work (pipeline/conversations.py)
SEEN = f"{PREFIX}:seen:*"  # dedupe records
IDLE_TIMEOUT_SECONDS = 60.0
# Placeholders a request may carry for what exists only once the app runs.
SESSION, CSRF, OTHER_CSRF, TICKET = b"{session}", b"{csrf}", b"{other-csrf}", b"{ticket}"

Headers = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True)
class Request:
    method: str
    target: bytes  # path and query, as sent
    headers: Headers = ()
    body: bytes = b""
    # Carries a valid signature, secret or CSRF token (or is a well-formed REST message): may change state.
    signed: bool = False
    expect: frozenset[int] | None = None  # the statuses allowed, where the strategy knows them


@dataclass(frozen=True)
class Answer:
    status: int
    headers: bytes
    body: bytes


class ErrorLog(logging.Handler):
    """Errors the app logs: the gateway's and outbox's boundaries, asyncio's lost task exceptions."""

    LOGGERS = ("bot", "asyncio")

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        taken = [f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage()
                 for r in self.records]  # fmt: skip
        self.records.clear()
        return taken

    @contextlib.contextmanager
    def attached(self) -> Iterator[ErrorLog]:
        for name in self.LOGGERS:
            logging.getLogger(name).addHandler(self)
        try:
            yield self
        finally:
            for name in self.LOGGERS:
                logging.getLogger(name).removeHandler(self)


@dataclass
class Tally:
    """Per endpoint: examples run, their statuses, and the time from the first request to the last."""

    statuses: dict[str, collections.Counter[int]] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)

    def record(self, endpoint: str, status: int) -> None:
        now = time.perf_counter()
        self.started.setdefault(endpoint, now)
        self.ended[endpoint] = now
        self.statuses.setdefault(endpoint, collections.Counter())[status] += 1

    def lines(self) -> Iterator[str]:
        yield f"{'endpoint':<28}{'examples':>9}{'seconds':>9}  statuses"
        for endpoint, counts in self.statuses.items():
            seconds = self.ended[endpoint] - self.started[endpoint]
            histogram = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
            yield f"{endpoint:<28}{sum(counts.values()):>9}{seconds:>9.1f}  {histogram}"


@dataclass
class Target:
    server: TestServer
    probe: Redis  # our own connection to the app's Redis db
    errors: ErrorLog
    placeholders: dict[bytes, bytes]
    tally: Tally = field(default_factory=Tally)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How hypothesis shows this argument of a failing example: briefly."""
        printer.text(f"Target({self.public_url})")

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def _fill(self, raw: bytes) -> bytes:
        for placeholder, value in self.placeholders.items():
            raw = raw.replace(placeholder, value)
        return raw

    async def send(self, request: Request) -> Answer:
        """One request on a fresh connection, its bytes as given (placeholders filled in)."""
        head = [
            b"%s %s HTTP/1.1" % (request.method.encode(), self._fill(request.target)),
            b"Host: 127.0.0.1",
            b"Connection: close",
            b"Content-Length: %d" % len(request.body),
            *(name + b": " + self._fill(value) for name, value in request.headers),
        ]
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        raw = b""
        try:
            writer.write(b"\r\n".join(head) + b"\r\n\r\n" + request.body)
            while chunk := await reader.read(65536):
                raw += chunk
        except ConnectionError:  # answered before reading the whole body, then closed
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        status_line, _, rest = raw.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1."), f"no answer: {raw[:200]!r}"
        headers, _, body = rest.partition(b"\r\n\r\n")
        return Answer(status=int(status_line.split()[1]), headers=headers, body=body)

    async def snapshot(self) -> tuple[list[bytes], dict[bytes, bytes]]:
        """Key names (NOT_STATE aside) and the metrics hash: what storing any message changes."""
        keys = sorted(k for k in await self.probe.keys("*") if not k.startswith(NOT_STATE))
        return keys, await self.probe.hgetall(METRICS)

    async def idle(self) -> None:
        """Wait until no conversation has work left (its turns ran, its replies went out)."""
        deadline = time.monotonic() + IDLE_TIMEOUT_SECONDS
        while await self.probe.zcard(PENDING):
            assert not self.errors.records, self.errors.take()
            assert time.monotonic() < deadline, "the gateway did not finish its work"
            await asyncio.sleep(0.01)

    async def check(self, endpoint: str, request: Request) -> Answer:
        """Send one generated request and check the properties every endpoint keeps."""
        try:
            return await self._check(endpoint, request)
        except BaseException:
            await self._recover()
            raise

    async def _check(self, endpoint: str, request: Request) -> Answer:
        await self.idle()
        if request.signed:  # so that hypothesis replaying an example sends a new message, not a re-delivery
            seen = await self.probe.keys(SEEN)
            if seen:
                await self.probe.delete(*seen)
        before = await self.snapshot()
        answer = await self.send(request)
        self.tally.record(endpoint, answer.status)
        assert answer.status < 500, answer
        if request.expect is not None:
            assert answer.status in request.expect, answer
        if request.signed:
            await self.idle()
        else:
            after = await self.snapshot()
            added, removed = set(after[0]) - set(before[0]), set(before[0]) - set(after[0])
            assert after == before, f"an unsigned request changed state: {added=} {removed=}"
        assert self.errors.take() == []
        return answer

    async def _recover(self) -> None:
        """After a failed example, drop the work it left: the sweeper would retry it (and log its
        failure again) during the next example, which hypothesis would then blame."""
        for kind in WORK:
            work = await self.probe.keys(f"{PREFIX}:{kind.decode()}:*")
            if work:
                await self.probe.delete(*work)
        await self.probe.delete(PENDING, PENDING_IDS)
        self.errors.take()
