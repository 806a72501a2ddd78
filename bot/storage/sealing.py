"""Conversation content is sealed (encrypted and authenticated) before it is stored.

What the assistant keeps can be subpoenaed or leaked, so whatever carries a person's words — Rasa's
trackers, the gateway's inboxes and outboxes, a message held while a language is chosen — reaches
Redis only as a Fernet token (AES-128-CBC + HMAC-SHA256). Keys come from ENCRYPTION_KEYS, a
comma-separated list of Fernet keys, newest first; make one with
`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.

Key rotation: prepend the new key (`ENCRYPTION_KEYS=new,old`) and restart. Every write seals with the
newest key, any listed key opens, so old data keeps opening and is re-sealed under the new key the
next time it is written; it expires with the retention period anyway. Drop the old key once the
retention period has passed since the restart (`Sealer.reseal` re-seals a token on demand).

Every record sealed carries its format's version inside the token (authenticated with it), so a
future change of what is sealed can tell old records from new and upgrade them; a record sealed before
versions were added (version 0) opens as it always did.

Without ENCRYPTION_KEYS (`make run` on a laptop) a key is made once in .local/encryption.key and a
warning says so: data is still encrypted at rest, but with a key that lives beside it.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.ops.settings import ROOT, Settings

log = logging.getLogger(__name__)

LOCAL_KEY = ROOT / ".local" / "encryption.key"
VERSION = 1  # of the sealed records' format
# Before the text: a NUL (no unversioned record, all UTF-8 text, starts with one) and the version byte.
_MARK = b"\x00"


class SealError(ValueError):
    """A token that none of the configured keys opens (tampered, truncated, or from another key)."""


class Sealer:
    """MultiFernet over the configured keys: seal with the first, open with any (key rotation)."""

    def __init__(self, fernet: MultiFernet) -> None:
        self._fernet = fernet

    @classmethod
    def from_keys(cls, keys: Sequence[str]) -> Sealer:
        if not keys:
            raise ValueError("a Sealer needs at least one key")
        return cls(MultiFernet([Fernet(key) for key in keys]))

    @classmethod
    def from_settings(cls, settings: Settings) -> Sealer:
        return cls.from_keys(settings.encryption_keys or [load_or_create_local_key()])

    def seal(self, text: str, *, at: int | None = None) -> bytes:
        """`text` sealed; `at` (epoch seconds) is the time the token carries in clear instead of now:
        what must not tell when it was written (an inbox item) is sealed at the start of its day."""
        data = _MARK + bytes([VERSION]) + text.encode()
        return self._fernet.encrypt(data) if at is None else self._fernet.encrypt_at_time(data, at)

    def open(self, token: bytes | str) -> str:
        return self.open_versioned(token)[1]

    def open_versioned(self, token: bytes | str) -> tuple[int, str]:
        """The record's format version (0: sealed before versions) and its text."""
        with _refused_as_seal_error():
            data = self._fernet.decrypt(token)
        if data[:1] == _MARK and len(data) > 1:
            return data[1], data[2:].decode()
        return 0, data.decode()

    def reseal(self, token: bytes | str) -> bytes:
        """The same content sealed under the newest key, so older keys can be retired."""
        with _refused_as_seal_error():
            return self._fernet.rotate(token)


@contextlib.contextmanager
def _refused_as_seal_error() -> Iterator[None]:
    try:
        yield
    except InvalidToken as error:
        raise SealError("the stored data does not open with any configured key") from error


def load_or_create_local_key(path: Path = LOCAL_KEY) -> str:
    """The development key: made once (readable by its owner only), reused afterwards."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    else:
        key = Fernet.generate_key().decode()
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(key + "\n")
    log.warning(
        "ENCRYPTION_KEYS is not set: conversations are encrypted with a local key in %s; "
        "production must set ENCRYPTION_KEYS",
        path,
    )
    return key
