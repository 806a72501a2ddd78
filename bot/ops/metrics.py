"""This process's Prometheus metrics: one object that the gateway, the outbox and the desk are handed.

Each app gets its own registry (no process-global state), so several apps in one test process never
collide. Prometheus scrapes every replica on its own; the Redis counters of bot/pipeline/outbox.py stay the
totals across replicas (`python -m bot deliveries`).

Labels are channel names (and, for rate limits, which limit) only: a conversation id or pseudonym as a
label would put people into the monitoring system, and give it a series per person.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# A turn takes tens of milliseconds in-process and seconds when the action server or Redis is slow.
TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A person waits seconds on a quiet day and hours when the helpline is busy or closed.
WAIT_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0)
NAMESPACE = "safespaces"


class Metrics:
    __slots__ = (
        "dedupe_hits",
        "failed",
        "handoff_queue",
        "handoff_wait",
        "rate_limited",
        "received",
        "registry",
        "reply_cap_hits",
        "retried",
        "sent",
        "turn_seconds",
    )

    def __init__(self) -> None:
        self.registry = CollectorRegistry()

        def per_channel(name: str, documentation: str) -> Counter:
            return Counter(name, documentation, ["channel"], namespace=NAMESPACE, registry=self.registry)

        self.received = per_channel("messages_received", "Inbound messages accepted (not re-deliveries).")
        self.dedupe_hits = per_channel("dedupe_hits", "Re-delivered inbound messages dropped.")
        self.sent = per_channel("messages_sent", "Outbound provider requests sent.")
        self.retried = per_channel("send_retries", "Outbound sends retried after a transient error.")
        self.failed = per_channel("send_failures", "Outbound sends given up (kept in the failures list).")
        self.reply_cap_hits = per_channel("reply_cap_hits", "Turns whose replies were cut to the cap.")
        self.rate_limited = Counter(
            "rate_limited",
            "New conversations and handoff requests refused by a rate limit (bot/pipeline/limits.py).",
            ["channel", "limit"],
            namespace=NAMESPACE,
            registry=self.registry,
        )
        self.turn_seconds = Histogram(
            "turn_seconds",
            "Time from taking a message off its inbox to having its replies.",
            ["channel"],
            namespace=NAMESPACE,
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.handoff_wait = Histogram(
            "handoff_wait_seconds",
            "How long a person waited for staff, observed when a ticket is claimed.",
            namespace=NAMESPACE,
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.handoff_queue = Gauge(
            "handoff_queue_length",
            "People waiting for staff (all replicas: read from Redis at scrape time).",
            namespace=NAMESPACE,
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
