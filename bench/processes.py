"""Our gateway as its own process (`python -m bot serve`), the resident memory of a process, and
waiting for a process to answer.

The gateway runs apart from the load generator so its RSS is its own, and so it is measured the way
stock `rasa run` is: a separate process answering HTTP.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from bot.ops.settings import ROOT, Settings

STARTUP_SECONDS = 300  # loading seven NLU models on a busy 2-vCPU machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> float:
    """Wait for `check` to hold; the seconds it took. TimeoutError names `what` did not happen."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def http_get(url: str) -> str | None:
    """The body of a 200 answer; None for any other answer or none at all."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.get(url) as response,
        ):
            return await response.text() if response.status == 200 else None
    except (TimeoutError, aiohttp.ClientError):
        return None


async def http_ok(url: str) -> bool:
    return await http_get(url) is not None


def rss_mb(pid: int) -> float:
    """Resident set size from /proc (Linux), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class GatewayProcess:
    """`python -m bot serve` on `settings` (Redis, action server, keys), REST channel only.

    Its environment is built from the settings alone, so provider tokens in the caller's
    environment cannot switch on Telegram polling or the like.
    """

    def __init__(self, settings: Settings, port: int) -> None:
        assert settings.redis_url, "the gateway is measured on Redis, as deployed"
        self.url = f"http://127.0.0.1:{port}"
        self._env = {
            **{name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ},
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PORT": str(port),
            "REDIS_URL": settings.redis_url,
            "ACTION_SERVER_URL": settings.action_server_url,
            "MODELS_DIR": str(settings.models_dir),
            "ENCRYPTION_KEYS": ",".join(settings.encryption_keys),
            "SECRET_KEY": settings.secret_key,
            "WEB_CHAT": "false",
        }
        self._log = tempfile.NamedTemporaryFile(prefix="bench-gateway-", suffix=".log", delete=False)  # noqa: SIM115  # closed in __exit__
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> GatewayProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=ROOT,
            env=self._env,
            stdout=self._log,
            stderr=self._log,
        )
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    async def ready(self) -> None:
        """The port opens only after `Engine.load`: an answer means the models are loaded."""

        async def answering() -> bool:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"the gateway exited during start-up; its log: {self._log.name}")
            return await http_ok(f"{self.url}/healthz")

        await until(answering, STARTUP_SECONDS, f"the gateway (its log: {self._log.name})")

    def __exit__(self, error_type: type[BaseException] | None, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=60)
        self._log.close()
        if error_type is None:
            Path(self._log.name).unlink()  # kept for reading when something failed
