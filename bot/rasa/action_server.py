"""Start the rasa-sdk action server beside the gateway when nothing answers at its URL."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from urllib.error import URLError
from urllib.parse import urlparse

from bot.ops.settings import ROOT

STARTUP_TIMEOUT_SECONDS = 60.0
# rasa-sdk 3.6 has no --interface option; it binds to $SANIC_HOST, else to every interface.
INTERFACE = "127.0.0.1"


def health_url(action_server_url: str) -> str:
    parsed = urlparse(action_server_url)
    return f"{parsed.scheme}://{parsed.netloc}/health"


def is_up(action_server_url: str) -> bool:
    try:
        with urllib.request.urlopen(health_url(action_server_url), timeout=1) as response:  # noqa: S310  # our own configured http(s) URL
            return bool(response.status == 200)
    except (URLError, OSError):
        return False


@contextlib.contextmanager
def running_action_server(action_server_url: str) -> Iterator[subprocess.Popen[bytes] | None]:
    """Yield once the action server answers; stop it afterwards if we started it."""
    if is_up(action_server_url):
        yield None
        return
    port = str(urlparse(action_server_url).port or 5055)
    process = subprocess.Popen(  # noqa: S603  # fixed argv, no shell
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", port],
        cwd=ROOT,
        env={**os.environ, "SANIC_HOST": INTERFACE},  # only the gateway beside it calls it
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not is_up(action_server_url):
            if process.poll() is not None:
                raise RuntimeError(f"the action server exited with code {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the action server did not start within 60 s")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
