"""One-time links to her record's PDF (`/r/<token>`): one download within an hour, then gone.

The PDF is sealed in Redis under a digest of the token (`safespaces:export:<sha256>`), so the token,
which is the only way to the file, is in no key name; the first download takes it (GETDEL), so a
second one, or one after the hour, finds nothing. Her pseudonym's index of open links lets erasing
her data delete them with the rest. The token is kept out of the access log (bot/ops/logs.py).
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis

from bot.storage.keys import RECORD_EXPORTS, Keys, export_key
from bot.storage.sealing import Sealer

LINK_SECONDS = 3600
PATH = "/r/"
NOT_KEPT = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True, slots=True)
class Export:
    name: str  # the file's neutral name
    pdf: bytes


class Exports:
    def __init__(self, redis: Redis, *, sealer: Sealer, keys: Keys, seconds: int = LINK_SECONDS) -> None:
        self._redis = redis
        self._sealer = sealer
        self._keys = keys
        self._seconds = seconds

    async def create(self, conversation_id: str, export: Export) -> str:
        """A new one-time token for the file."""
        token = secrets.token_urlsafe(32)
        document = json.dumps({"name": export.name, "pdf": base64.b64encode(export.pdf).decode()})
        index = self._keys.person(RECORD_EXPORTS, conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(export_key(token), self._sealer.seal(document), ex=self._seconds)
            pipe.sadd(index, export_key(token))
            pipe.expire(index, self._seconds)
            await pipe.execute()
        return token

    async def take(self, token: str) -> Export | None:
        """The file, once: None if it was downloaded already, expired, or never existed."""
        sealed = await self._redis.getdel(export_key(token))
        if sealed is None:
            return None
        data = json.loads(self._sealer.open(sealed))
        return Export(name=data["name"], pdf=base64.b64decode(data["pdf"]))

    async def erase(self, conversation_id: str) -> None:
        index = self._keys.person(RECORD_EXPORTS, conversation_id)
        links = await self._redis.smembers(index)
        await self._redis.delete(index, *links)

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.get(PATH + "{token}", self._download)]

    async def _download(self, request: web.Request) -> web.Response:
        export = await self.take(request.match_info["token"])
        if export is None:
            return web.Response(status=404, text="Not found", headers=NOT_KEPT)
        headers = {**NOT_KEPT, "Content-Disposition": f'attachment; filename="{export.name}"'}
        return web.Response(body=export.pdf, content_type="application/pdf", headers=headers)
