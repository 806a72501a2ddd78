"""Anonymised insights: closed tickets become counts only, which outlive erase and retention, and a
report withholds every count below k so that no withheld count can be worked out from the rest."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from scipy.optimize import linprog

from bot.handoff.desk import Desk
from bot.handoff.model import Case, Risk, Summary
from bot.handoff.staff import Role, Staff
from bot.insights.counts import (
    CONVERSATION_DIMENSIONS,
    CONVERSATIONS,
    DIMENSIONS,
    RISKS,
    STARTED_RISKS,
    TICKETS,
    Facts,
    InsightCounts,
    month_key,
)
from bot.insights.report import Report, build, check_min_count, tabulate
from bot.insights.suppression import ALL
from bot.pipeline.messages import OutboundMessage
from bot.storage.pseudonyms import Pseudonymizer
from bot.storage.sealing import Sealer

from .support.redis_dbs import emptied, redis_url

ROOT = Path(__file__).resolve().parent.parent
INSIGHTS_REDIS_URL = redis_url("insights")
AMINA = Staff(name="amina", role=Role.AGENT, display_name="Amina")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    async with emptied(INSIGHTS_REDIS_URL) as client:
        yield client


def _render(key: str, language: str, country: str | None, params: dict[str, object]) -> OutboundMessage:
    return OutboundMessage(key=key, text=key, language=language)


async def _nowhere(conversation_id: str, replies: object) -> None:
    return None


PSEUDONYM = Pseudonymizer(b"k" * 32)


@pytest.fixture
def desk(redis: Redis) -> Desk:
    return Desk(
        redis,
        sealer=Sealer.from_keys([Fernet.generate_key().decode()]),
        pseudonym=PSEUDONYM,
        render=_render,
        deliver=_nowhere,
        retention_seconds=3600,
    )


async def test_a_closed_ticket_adds_counts_only_and_they_outlive_erase_and_retention(
    desk: Desk, redis: Redis
) -> None:
    conversation = "telegram:5550001"
    summary = Summary(
        situation="sextortion",
        platform="instagram",
        risks=(Risk.NCII,),
        language="es",
        channel="telegram",
        country="mx",
        safe_contact="after 6pm",
    )
    ticket = await desk.enqueue(conversation, summary)
    await desk.from_person(ticket, "my name is Rosa and he has my photos")
    await desk.claim(ticket.id, AMINA)
    case = Case(situation="sextortion", platform="instagram", risks=(Risk.NCII, Risk.MINOR))
    await desk.close(ticket.id, AMINA, "referred", case=case, note="called the police with her")
    left = await desk.enqueue("whatsapp:5550002", Summary(language="en", channel="whatsapp"))
    typed = await desk.enqueue("telegram:5550003", Summary(language="en", channel="telegram", country="mx"))
    await desk.claim(typed.id, AMINA)
    await desk.close(typed.id, AMINA, "other", case=Case(situation="rosa's ex", platform="Kevin's page"))
    await desk.cancel("whatsapp:5550002", "quick_exit")

    month_keys = [k.decode() async for k in redis.scan_iter("safespaces:insights:*")]
    assert len(month_keys) == 1 and await redis.ttl(month_keys[0]) == -1  # kept beyond retention
    cells = await InsightCounts(redis).month(month_keys[0].rsplit(":", 1)[1])
    assert cells[("situation", "sextortion", "MX")] == 1
    assert cells[("situation", "other", "MX")] == cells[("platform", "other", "MX")] == 1  # typed: not kept
    assert cells[("risk_minor", "yes", "MX")] == 1  # staff's case record, not only her summary
    assert cells[("risk_ncii", "yes", "MX")] == 1 and cells[("risk_danger", "no", "MX")] == 2
    assert cells[("reached_person", "yes", "MX")] == 2 and cells[("outcome", "referred", "MX")] == 1
    assert cells[("reached_person", "no", "unknown")] == 1
    assert cells[("outcome", "quick_exit", "unknown")] == 1
    assert sum(cells.values()) == 3 * len(DIMENSIONS)  # one cell per dimension per ticket, nothing else
    raw = b" ".join(k + b" " + v for k, v in (await redis.hgetall(month_keys[0])).items()).decode()
    for secret in (
        ticket.id,
        left.id,
        typed.id,
        "5550001",
        "Rosa",
        "rosa",
        "Kevin",
        "photos",
        "6pm",
        "police",
        "amina",
    ):
        assert secret not in raw
    assert PSEUDONYM(conversation) not in raw

    await desk.erase(conversation)
    assert await InsightCounts(redis).month(month_keys[0].rsplit(":", 1)[1]) == cells


def _synthetic(seed: int, tickets: int, unit: str = TICKETS) -> Counter[tuple[str, str, str]]:
    """Counts as tickets (or situations started) would leave them: a few large countries and a long
    tail of small ones."""
    rng = random.Random(seed)
    countries = ["IN", "MX", "KE", "BR", "FR", "EG", "NG", "PT", "TZ", "MA", "PE", "SN"]
    weights = [40, 25, 15, 8, 4, 3, 2, 1, 1, 0.5, 0.5, 0.3]
    choices = {
        "language": ["en", "es", "hi", "sw", "pt", "fr", "ar"],
        "channel": ["telegram", "whatsapp", "sms", "web"],
        "situation": ["sextortion", "ncii", "harassment", "doxxing", "stalking", "impersonation", "danger"],
        "platform": ["instagram", "facebook", "whatsapp", "tiktok", "x", "unknown"],
        "reached_person": ["yes", "no"],
        "outcome": ["resolved", "referred", "follow_up_needed", "quick_exit", "cancelled", "other"],
    }
    dimensions, risks = (DIMENSIONS, RISKS) if unit == TICKETS else (CONVERSATION_DIMENSIONS, STARTED_RISKS)
    summed: Counter[tuple[str, str, str]] = Counter()
    for _ in range(tickets):
        values = {name: rng.choice(options) for name, options in choices.items() if name in dimensions}
        values |= {f"risk_{r}": "yes" if rng.random() < 0.15 else "no" for r in risks}
        facts = Facts(month="2026-03", country=rng.choices(countries, weights)[0], values=values, unit=unit)
        summed.update((d, facts.values[d], facts.country) for d in dimensions)
    return summed


def _recoverable(report: Report) -> list[tuple[str, str, str, float, float]]:
    """An attacker's try: every published count of every table as a linear constraint (rows and
    columns sum to their totals, the tables share their column totals), each withheld count bounded
    below and above by linear programming. Returns the withheld cells pinned to one integer."""
    names: dict[tuple[str, str, str], int] = {}

    def var(table: str, row: str, column: str) -> tuple[str, str, str]:
        unit = table.split(":")[0]  # the tables of a unit share their column totals
        return (f"*{unit}", ALL, column) if row == ALL else (table, row, column)

    known: dict[tuple[str, str, str], int] = {}
    lines: list[list[tuple[str, str, str]]] = []  # each: the cells, then its total last
    for table in report.tables:
        t = f"{table.unit}:{table.dimension}"
        for (row, column), count in table.counts.items():
            name = var(t, row, column)
            if count is None:
                names.setdefault(name, len(names))
            else:
                known[name] = count
        inner_rows, inner_columns = table.rows[:-1], table.columns[:-1]
        for row in table.rows:
            lines.append([var(t, row, c) for c in inner_columns] + [var(t, row, ALL)])
        for column in table.columns:
            lines.append([var(t, r, column) for r in inner_rows] + [var(t, ALL, column)])
    if not names:
        return []
    a_eq, b_eq = [], []
    for line in lines:
        coefficients = np.zeros(len(names))
        constant = 0.0
        for position, name in enumerate(line):
            sign = -1.0 if position == len(line) - 1 else 1.0
            if name in names:
                coefficients[names[name]] += sign
            else:
                constant -= sign * known[name]
        if coefficients.any():
            a_eq.append(coefficients)
            b_eq.append(constant)
        else:
            assert abs(constant) < 1e-9  # the published counts agree with each other
    pinned = []
    for name, index in names.items():
        bounds = []
        for direction in (1.0, -1.0):
            objective = np.zeros(len(names))
            objective[index] = direction
            result = linprog(objective, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=(0, None))
            assert result.status == 0
            bounds.append(direction * result.fun)
        low, high = bounds
        if np.floor(high + 1e-6) <= np.ceil(low - 1e-6):
            pinned.append((*name, low, high))
    return pinned


@pytest.mark.parametrize(("seed", "tickets", "k"), [(1, 300, 10), (2, 120, 10), (3, 600, 5), (4, 60, 10)])
def test_every_count_below_k_is_withheld_and_none_can_be_worked_out(seed: int, tickets: int, k: int) -> None:
    summed = _synthetic(seed, tickets)
    report = tabulate(summed, "2026-03", "2026-03", k)
    published = [n for table in report.tables for n in table.counts.values() if n is not None]
    small = [n for n in summed.values() if 0 < n < k]
    assert small and all(n == 0 or n >= k for n in published)  # the data had small cells; none shown
    assert all(table.counts[(ALL, ALL)] == tickets for table in report.tables) or tickets < k
    assert _recoverable(report) == []


@pytest.mark.parametrize(("seed", "conversations", "k"), [(5, 400, 10), (6, 150, 10), (7, 800, 5)])
def test_conversation_counts_are_withheld_alike_and_none_can_be_worked_out_beside_the_tickets(
    seed: int, conversations: int, k: int
) -> None:
    """The conversations' own tables (situations started) get the same protection, in a report that
    also has the tickets' tables."""
    summed = _synthetic(seed, conversations, CONVERSATIONS)
    started = tabulate(summed, "2026-03", "2026-03", k, unit=CONVERSATIONS)
    assert [table.dimension for table in started.tables] == list(CONVERSATION_DIMENSIONS)
    published = [n for table in started.tables for n in table.counts.values() if n is not None]
    assert any(0 < n < k for n in summed.values()) and all(n == 0 or n >= k for n in published)
    closed = tabulate(_synthetic(seed, conversations // 3), "2026-03", "2026-03", k)
    both = Report(first="2026-03", last="2026-03", min_count=k, tables=closed.tables + started.tables)
    assert _recoverable(both) == []


def test_the_attacker_recovers_counts_when_only_small_cells_are_withheld() -> None:
    """The check above can fail: primary suppression alone gives counts away."""
    report = tabulate(_synthetic(1, 300), "2026-03", "2026-03", 10)
    naive = Report(
        first=report.first,
        last=report.last,
        min_count=10,
        tables=[
            type(table)(
                unit=table.unit,
                dimension=table.dimension,
                rows=table.rows,
                columns=table.columns,
                counts={cell: _true(table.dimension, cell, report) for cell in table.counts},
            )
            for table in report.tables
        ],
    )
    pinned = _recoverable(naive)
    assert pinned and all(low < 10 for *_, low, _high in pinned)


def _true(dimension: str, cell: tuple[str, str], report: Report) -> int | None:
    """The count of `cell` from unsuppressed data, withheld only if it is from 1 to 9."""
    summed = _synthetic(1, 300)
    row, column = cell
    values = {v for d, v, _ in summed if d == dimension}
    rows = [row] if row != ALL else sorted(values)
    columns = [column] if column != ALL else sorted({c for _, _, c in summed})
    count = sum(summed[(dimension, r, c)] for r in rows for c in columns)
    return None if 0 < count < 10 else count


def test_k_is_never_below_five() -> None:
    assert check_min_count(5) == 5
    with pytest.raises(ValueError, match="at least 5"):
        check_min_count(4)


async def test_the_report_command_writes_csv_with_empty_counts_for_withheld_cells(redis: Redis) -> None:
    counts = InsightCounts(redis)
    for month, country, language, outcome, n in [
        ("2026-02", "KE", "sw", "referred", 12),
        ("2026-04", "KE", "en", "resolved", 3),
        ("2026-03", "TZ", "sw", "referred", 20),
        ("2026-06", "TZ", "en", "resolved", 11),
        ("2026-07", "KE", "en", "resolved", 1),  # after the period
    ]:
        for _ in range(n):
            await counts.add(Facts(month=month, country=country, values=_values(language, outcome)))
    for situation in ["stalking"] * 12 + ["danger"] * 2:  # conversations by situation started
        facts = Facts.started(
            situation, platform=None, risks=set(), language="sw", channel="sms", country="ke", at=1773000000
        )
        await counts.add(facts)  # 2026-03
    assert await redis.ttl(month_key("2026-02")) == -1
    env = {**os.environ, "REDIS_URL": INSIGHTS_REDIS_URL, "SECRET_KEY": "test-secret-key"}
    command = [sys.executable, "-m", "bot", "insights", "report", "--from", "2026-01", "--to", "2026-06"]
    run = subprocess.run([*command, "--format", "csv"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert rows and "count" in rows[0]
    tickets = [r for r in rows if r["unit"] == TICKETS]
    language = {(r["value"], r["country"]): r["count"] for r in tickets if r["dimension"] == "language"}
    assert language[("en", "KE")] == ""  # 3 is below 10
    assert language[("sw", "KE")] == ""  # else 15 - 12 would give the 3 away: withheld too
    assert language[("en", "TZ")] == language[("sw", "TZ")] == ""  # and so that column sums hide them
    assert language[("en", "all")] == "14" and language[("sw", "all")] == "32"
    assert (language[("all", "KE")], language[("all", "TZ")], language[("all", "all")]) == ("15", "31", "46")
    assert all(r["count"] == "" or int(r["count"]) == 0 or int(r["count"]) >= 10 for r in rows)
    started = {
        (r["value"], r["country"]): r["count"]
        for r in rows
        if r["unit"] == CONVERSATIONS and r["dimension"] == "situation"
    }
    assert started[("stalking", "KE")] == "" and started[("danger", "KE")] == ""  # 2 would give 12 away
    assert started[("all", "KE")] == "14" and started[("all", "all")] == "14"
    run = subprocess.run([*command, "--format", "json"], env=env, cwd=ROOT, capture_output=True, text=True)
    data = json.loads(run.stdout)
    assert data["min_count"] == 10 and "withheld" in data["method"]
    md = subprocess.run([*command, "--format", "md"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert "## Method" in md.stdout and "| all | 15 | 31 | 46 |" in md.stdout
    report = await build(counts, "2026-01", "2026-07", 10)
    assert report.tables[0].counts[(ALL, ALL)] == 47


def _values(language: str, outcome: str) -> dict[str, str]:
    values = {d: "unknown" for d in DIMENSIONS}
    values |= {f"risk_{r}": "no" for r in RISKS}
    return values | {"language": language, "channel": "sms", "reached_person": "yes", "outcome": outcome}
