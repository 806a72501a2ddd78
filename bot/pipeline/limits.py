"""Rate limits on what costs the helpline people's time: new conversations and handoff requests.

The review flooded the queue with fake danger tickets, and a real person in danger was then told she was
number 21 in line. So a new conversation counts against its network address, and a request for a person
against its sender and its address, in sliding windows in Redis (every replica sees the same counts).

A message counts once however often its turn runs (a replica dies mid-turn, the turn runs again): the
windows hold the message's provider id, and a message already in a window is allowed again. A refused
request is not counted, so a window holds at most its limit and a flood costs no memory. Keys name
pseudonyms (of the conversation, and of the address), never an address or a phone number; they expire
with the window, and they outlive an erasure, as the block list does: erasing must not reset a limit.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from enum import StrEnum

from redis.asyncio import Redis

from bot.ops.metrics import Metrics
from bot.ops.settings import RateLimits
from bot.pipeline.messages import InboundMessage
from bot.storage.keys import LIMIT_SEEN, Keys
from bot.storage.pseudonyms import Pseudonymizer

log = logging.getLogger(__name__)

# The windows KEYS[first..]; ARGV: now, window seconds, the member, then one limit per window. 0 if
# every window has room (or already holds the member), and then the member is added to each; else the
# number of the first full window (1 for KEYS[first]).
_ADMIT = """
local function admit(first)
  local now, window, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
  for i = first, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
    local full = redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[3 + i - first + 1])
    if full and not redis.call('ZSCORE', KEYS[i], member) then
      return i - first + 1
    end
  end
  for i = first, #KEYS do
    redis.call('ZADD', KEYS[i], 'NX', now, member)
    redis.call('EXPIRE', KEYS[i], window)
  end
  return 0
end
"""
_HANDOFF = _ADMIT + "return admit(1)"
# KEYS[1]: the conversation's mark, KEYS[2]: its address's window; ARGV as `admit`'s, then the retention
# seconds. A conversation seen within the retention period is no new one (its mark is renewed);
# otherwise it is admitted, and marked, if its address's window has room.
_NEW_CONVERSATION = (
    _ADMIT
    + """
local retention = ARGV[#ARGV]
if redis.call('SET', KEYS[1], '1', 'XX', 'EX', retention) then
  return 0
end
local refused = admit(2)
if refused == 0 then
  redis.call('SET', KEYS[1], '1', 'EX', retention)
end
return refused
"""
)


class Limit(StrEnum):
    """What was refused: the metric's label."""

    NEW_CONVERSATION_ADDRESS = "new_conversation_address"
    HANDOFF_SENDER = "handoff_sender"
    HANDOFF_ADDRESS = "handoff_address"


def network(address: str) -> str:
    """What one client holds: an IPv4 address, or an IPv6 /64 (a home or phone gets a whole /64)."""
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv4Address):
        return str(parsed)
    if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1, from a dual-stack socket
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


class Limits:
    def __init__(
        self,
        redis: Redis,
        *,
        pseudonym: Pseudonymizer,
        limits: RateLimits,
        retention_seconds: int,
        metrics: Metrics,
    ) -> None:
        self._redis = redis
        self._keys = Keys(pseudonym)
        self._limits = limits
        self._retention_seconds = retention_seconds
        self._metrics = metrics
        self._handoff = redis.register_script(_HANDOFF)
        self._new_conversation = redis.register_script(_NEW_CONVERSATION)

    async def new_conversation(self, message: InboundMessage) -> bool:
        """False when the message starts a conversation and its address started too many lately.
        True for a conversation seen within the retention period, and where no address is known."""
        address = self._address(message)
        if address is None:
            return True
        limit = Limit.NEW_CONVERSATION_ADDRESS
        keys = [self.mark_key(message.conversation_id), self._window(limit, address)]
        args = [
            *self._window_args(message),
            self._limits.new_conversations_per_address,
            self._retention_seconds,
        ]
        refused = await self._new_conversation(keys, args)
        return self._allowed(message, [limit], int(refused))

    async def handoff(self, message: InboundMessage) -> bool:
        """False when this sender, or this address, asked for a person too often lately."""
        windows = [(Limit.HANDOFF_SENDER, self._limits.handoffs_per_sender, message.conversation_id)]
        address = self._address(message)
        if address is not None:
            windows.append((Limit.HANDOFF_ADDRESS, self._limits.handoffs_per_address, address))
        keys = [self._window(limit, who) for limit, _, who in windows]
        refused = await self._handoff(keys, [*self._window_args(message), *(n for _, n, _ in windows)])
        return self._allowed(message, [limit for limit, _, _ in windows], int(refused))

    def mark_key(self, conversation_id: str) -> str:
        """That the conversation was seen lately (no new one): the person's, so erased with her data."""
        return self._keys.person(LIMIT_SEEN, conversation_id)

    async def forget(self, conversation_id: str) -> None:
        await self._redis.delete(self.mark_key(conversation_id))

    def _window_args(self, message: InboundMessage) -> list[float | int | str]:
        return [time.time(), self._limits.window_seconds, message.provider_id]

    def _window(self, limit: Limit, who: str) -> str:
        """A pseudonym of its own per limit, so no window shares a name with the person's other keys."""
        return self._keys.unlinked(f"limit:{limit.value}", who)

    @staticmethod
    def _address(message: InboundMessage) -> str | None:
        if message.address is None:
            return None
        try:
            return network(message.address)
        except ValueError:  # not an IP address (a unix socket): nothing to count it by
            return None

    def _allowed(self, message: InboundMessage, limits: list[Limit], refused: int) -> bool:
        """True if no window refused; else the refusal is logged and counted under its limit."""
        if refused == 0:
            return True
        limit = limits[refused - 1]
        log.warning("limits.refused channel=%s limit=%s", message.channel, limit.value)
        self._metrics.rate_limited.labels(message.channel, limit.value).inc()
        return False
