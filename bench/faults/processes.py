"""The processes of the soak: each one started, killed and started again at will, logging to a file."""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bench.processes import free_port, until
from bot.ops.settings import ROOT


class Child:
    """A process the soak runs from the project's folder; its output goes to `<folder>/<name>.log`."""

    def __init__(
        self, name: str, argv: Sequence[str], folder: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self._argv = list(argv)
        self._env = env
        self._log_path = folder / f"{name}.log"
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._log = self._log or self._log_path.open("ab")
        self._process = subprocess.Popen(
            self._argv, cwd=ROOT, env=self._env, stdout=self._log, stderr=subprocess.STDOUT
        )

    async def kill(self) -> None:
        """SIGKILL, and wait until it is gone: a crash, with no chance to clean up."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
        await self.exited()

    async def exited(self, timeout: float = 30) -> None:
        await until(self._gone, timeout, f"{self.name} exit")

    async def _gone(self) -> bool:
        return self._process is None or self._process.poll() is not None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers: the end of the run."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class RedisServer(Child):
    """The soak's own redis-server with AOF in `folder`, so it can be shut down and start with its data."""

    def __init__(self, folder: Path) -> None:
        port = free_port()
        data = folder / "redis"
        data.mkdir()
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
                "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]  # fmt: skip
        super().__init__("redis", argv, folder)
        self.url = f"redis://127.0.0.1:{port}/0"
        self.client = Redis.from_url(self.url)

    async def ready(self) -> float:
        return await until(self._pings, 30, "redis-server")

    async def _pings(self) -> bool:
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError):
            return False

    async def shutdown(self) -> None:
        """SHUTDOWN: Redis fsyncs the AOF and exits (dropping our connection on the way)."""
        with contextlib.suppress(RedisError, OSError):
            await self.client.shutdown()
        await self.exited()


def nginx(folder: Path, listen: int, upstreams: Sequence[int]) -> Child:
    """nginx in the foreground, round robin over the replicas, every file in `folder`.

    A refused connection is tried on the next replica; a POST that a replica already received is never
    sent again by nginx (the sender retries it, as Telegram does). The access log keeps, per request,
    only the time, the replica and the status: nothing of the message.
    """
    servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;" for port in upstreams)
    conf = folder / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format soak '$msec $upstream_addr $status';
  access_log {folder}/nginx-access.log soak;
  client_body_temp_path {folder}/nginx-body;
  proxy_temp_path {folder}/nginx-proxy;
  fastcgi_temp_path {folder}/nginx-fastcgi;
  uwsgi_temp_path {folder}/nginx-uwsgi;
  scgi_temp_path {folder}/nginx-scgi;
  upstream gateways {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{listen};
    location / {{
      proxy_pass http://gateways;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
      proxy_next_upstream error timeout;
    }}
  }}
}}
""")
    argv = ["nginx", "-e", str(folder / "nginx-error.log"), "-c", str(conf), "-g", "daemon off;"]
    return Child("nginx", argv, folder)
