"""Pseudonyms for logs and records: people are referred to by a keyed hash, never by address."""

from __future__ import annotations

import hashlib
import hmac


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, conversation_id: str) -> str:
        digest = hmac.new(self._key, conversation_id.encode(), hashlib.sha256).hexdigest()
        return f"p-{digest[:16]}"
