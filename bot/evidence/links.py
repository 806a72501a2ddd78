"""One-time links to her record's PDF, for channels that cannot carry a file (SMS, web chat, REST).

The PDF is kept sealed under a hash of the token (the key names no token), for an hour; the first
download takes it (GETDEL), so a link opened a second time, or after an hour, answers 404. The
response is never cached and never indexed. The link's key is also listed in her record, so erasing
her data deletes a PDF not yet downloaded.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from aiohttp import web
from redis.asyncio import Redis

from bot.pipeline.conversations import PREFIX
from bot.storage.sealing import Sealer

LINK_SECONDS = 3600
PATH = "/r/{token}"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
NO_STORE = {
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def file_key(token: str) -> str:
    return f"{PREFIX}:record:file:{hashlib.sha256(token.encode()).hexdigest()}"


class OneTimeLinks:
    def __init__(self, redis: Redis, sealer: Sealer, seconds: int = LINK_SECONDS) -> None:
        self._redis = redis
        self._sealer = sealer
        self._seconds = seconds

    async def keep(self, pdf: bytes, name: str) -> tuple[str, str]:
        """The token of a new link to `pdf`, and the key it is kept under (for erasing)."""
        token = secrets.token_urlsafe(24)
        key = file_key(token)
        sealed = self._sealer.seal(f"{name}\n{base64.b64encode(pdf).decode()}")
        await self._redis.set(key, sealed, ex=self._seconds)
        return token, key

    async def peek(self, token: str) -> tuple[str, bytes] | None:
        """The file name and PDF, left in place (a channel sends it, then `drop`s it)."""
        if not _TOKEN.match(token):
            return None
        sealed = await self._redis.get(file_key(token))
        return self._opened(sealed) if sealed is not None else None

    async def drop(self, token: str) -> None:
        await self._redis.delete(file_key(token))

    async def take(self, token: str) -> tuple[str, bytes] | None:
        """The file name and PDF, once; None if the link is unknown, used or expired."""
        if not _TOKEN.match(token):
            return None
        sealed = await self._redis.getdel(file_key(token))
        return self._opened(sealed) if sealed is not None else None

    def _opened(self, sealed: bytes) -> tuple[str, bytes]:
        name, _, data = self._sealer.open(sealed).partition("\n")
        return name, base64.b64decode(data)

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH, self._download)]

    async def _download(self, request: web.Request) -> web.Response:
        found = await self.take(request.match_info["token"])
        if found is None:
            return web.Response(status=404, text="Not found", headers=NO_STORE)
        name, pdf = found
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}
        return web.Response(body=pdf, content_type="application/pdf", headers=headers)
