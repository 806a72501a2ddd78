"""The names of the Redis keys: every per-person key by the keyed pseudonym, never the address.

A person's keys are all `safespaces:<kind>:<pseudonym>`, the pseudonym being the keyed hash of her
conversation id (bot/storage/pseudonyms.py): a phone number, chat id or sender id is in no key name, and
Redis's key listing links nothing to a person without SECRET_KEY. Rasa's trackers and locks follow the
same rule (the engine gives Rasa the pseudonym as the sender id: `safespaces:tracker:<pseudonym>`).
Keys that must not link to the rest of what is kept about her (SMS opt-outs, rate-limit windows) take a
pseudonym of their own (`unlinked`). Names an earlier version used are moved by bot/pipeline/upgrade.py.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from bot.ops.settings import Settings, SettingsError
from bot.storage.pseudonyms import Pseudonymizer

PREFIX = "safespaces"
METRICS = f"{PREFIX}:metrics"  # counters shared by every replica (`python -m bot deliveries`)
PENDING = f"{PREFIX}:pending:since"  # pseudonym -> when work was last added: conversations with work left
PENDING_IDS = f"{PREFIX}:pending:ids"  # pseudonym -> the sealed conversation id, for the sweeper
LEGACY_PENDING = f"{PREFIX}:pending"  # a set of plain conversation ids, before version 2 of the index
FAILURES = f"{PREFIX}:delivery:failures"

# The kinds of per-person key, each `safespaces:<kind>:<pseudonym>`.
INBOX = "inbox"  # sealed messages waiting for their turn
OUTBOX = "outbox"  # sealed replies waiting to go out
SENT = "sent"  # how many of the outbox head's requests went out
TURN = "turn"  # the inbox's head is in a turn
LEASE = "lease"  # which replica drains the conversation
SEEN_BY = "seen-by"  # her messages' dedupe keys, to erase them with her
PREFS = "prefs"  # sealed preferences (language, country, questions asked)
HELD = "held"  # the sealed rest of an SMS answer, for "more"
HANDOFF_OPEN = "handoff:open"  # the ticket she has open
HANDOFF_TICKETS = "handoff:tickets"  # every ticket of hers (her case record)
HANDOFF_STAGE = "handoff:person"  # a half-written message for the helpline
LIMIT_SEEN = "limit:seen"  # she was seen lately (not a new conversation)
TELEGRAM_IDS = "telegram:ids"  # ids of her chat's messages, for quick exit
WHATSAPP_WINDOW = "whatsapp:window"  # when she last wrote (WhatsApp's 24-hour window)
RECORD = "record"  # her sealed record: the entries she wrote (bot/evidence/)
RECORD_DRAFT = "record:draft"  # the entry she is writing
RECORD_EXPORTS = "record:exports"  # her open one-time links to the record's PDF
TRACKER = "tracker"  # Rasa's tracker (named by Rasa: its key prefix `safespaces:tracker:`)
LOCK = "lock"  # Rasa's lock, while a turn runs

# The helpline desk's shared keys (bot/handoff/): tickets are named by a random id, never by a person.
HANDOFF_EVENTS = f"{PREFIX}:handoff:events"  # pub/sub: every desk change, by ticket id
HANDOFF_QUEUE = f"{PREFIX}:handoff:queue"  # ticket -> priority * PRIORITY_SPAN + queued_at
HANDOFF_ACTIVE = f"{PREFIX}:handoff:active"  # ticket -> claimed_at
HANDOFF_FOLLOW_UPS = f"{PREFIX}:handoff:follow_ups"  # ticket -> created_at
TICKETS_OPENED = f"{PREFIX}:handoff:opened"  # every ticket -> created_at, for reports; pruned with retention
BLOCKED = f"{PREFIX}:blocked"  # pseudonym -> who blocked which ticket when
AUDIT = f"{PREFIX}:audit"  # staff actions, newest first, capped


def seen_key(channel: str, provider_id: str) -> str:
    """A message's dedupe key: a digest of the provider's id, since some ids embed the sender (a
    WhatsApp wamid is base64 of her number)."""
    return f"{PREFIX}:seen:{channel}:{hashlib.sha256(provider_id.encode()).hexdigest()}"


def attempts_key(channel: str, provider_id: str) -> str:
    """How many times a message's turn failed (named like its dedupe key)."""
    return f"{PREFIX}:attempts:{channel}:{hashlib.sha256(provider_id.encode()).hexdigest()}"


def export_key(token: str) -> str:
    """A one-time link's sealed PDF, named by a digest of its token (the token is the only way in)."""
    return f"{PREFIX}:export:{hashlib.sha256(token.encode()).hexdigest()}"


def rate_key(limited: str, slot: int) -> str:
    """A send-rate window: `limited` is a channel, or a channel and a pseudonym."""
    return f"{PREFIX}:rate:{limited}:{slot}"


def status_key(channel: str, provider_message_id: str) -> str:
    """What the provider last said about a message we sent: named by a digest of the provider's id
    for it, which may embed the recipient (a WhatsApp wamid)."""
    return f"{PREFIX}:status:{channel}:{hashlib.sha256(provider_message_id.encode()).hexdigest()}"


def ticket_key(ticket_id: str) -> str:
    return f"{PREFIX}:ticket:{ticket_id}"


def ticket_log_key(ticket_id: str) -> str:
    """A ticket's sealed log: the person's, staff's and system's entries in order."""
    return f"{PREFIX}:ticket:{ticket_id}:log"


def desk_stats_key(at: float) -> str:
    """The desk's counters for the UTC day of `at` (waits, handling times, conversations handled)."""
    return f"{PREFIX}:handoff:stats:{datetime.fromtimestamp(at, UTC).date().isoformat()}"


def read_key(staff: str, ticket_id: str) -> str:
    """How many of the person's messages in a ticket one staff member has seen."""
    return f"{PREFIX}:handoff:read:{staff}:{ticket_id}"


def mailbox_key(channel: str, kind: str, message_id: str) -> str:
    """A REST or web-chat message's answer (`reply`, or `answered` kept for a retry): by message id."""
    return f"{PREFIX}:{channel}:{kind}:{message_id}"


def push(channel: str) -> str:
    """The kind of a REST or web-chat caller's unfetched helpline messages."""
    return f"{channel}:push"


class Keys:
    """Key names for one deployment's pseudonyms (from SECRET_KEY: the same on every replica)."""

    def __init__(self, pseudonym: Pseudonymizer) -> None:
        self.pseudonym = pseudonym

    @classmethod
    def from_secret(cls, secret: str) -> Keys:
        return cls(Pseudonymizer(hashlib.sha256(secret.encode()).digest()))

    @classmethod
    def from_settings(cls, settings: Settings) -> Keys:
        return cls.from_secret(secret_key(settings))

    def person(self, kind: str, conversation_id: str) -> str:
        """A key of hers, named by her pseudonym: found again by her conversation id alone."""
        return self.named(kind, self.pseudonym(conversation_id))

    @staticmethod
    def named(kind: str, pseudonym: str) -> str:
        """A key of hers when only her pseudonym is known (staff see tickets, not addresses)."""
        return f"{PREFIX}:{kind}:{pseudonym}"

    def unlinked(self, kind: str, who: str) -> str:
        """A key about her under a pseudonym of its own (of `kind` and `who`), linking to none of her
        other keys: an SMS opt-out outlives an erasure; a rate-limit window counts an address."""
        return self.named(kind, self.pseudonym(f"{kind.rpartition(':')[2]}:{who}"))


def secret_key(settings: Settings) -> str:
    """SECRET_KEY: pseudonyms name keys in Redis, so every replica, and the next start, must agree on
    them. In memory nothing outlives the process, so a key of its own is enough."""
    if settings.secret_key:
        return settings.secret_key
    if settings.redis_url:
        raise SettingsError(
            "SECRET_KEY is required with REDIS_URL (make one: "
            "python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return secrets.token_hex(32)
