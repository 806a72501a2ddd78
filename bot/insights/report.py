"""A period's counts as publishable tables: for each unit (closed tickets, conversations by situation),
each dimension against the country, with totals, cells below k withheld
(bot/insights/suppression.py), written as Markdown, CSV or JSON.

Within a unit, every table shares its column totals (e.g. tickets per country) and grand total with
every other table, so a total withheld in one is withheld in all, until no table needs more (else one
table would publish what another withholds).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bot.insights.counts import CONVERSATIONS, TICKETS, UNITS, InsightCounts
from bot.insights.suppression import ALL, Cell, withheld

DEFAULT_MIN_COUNT = 10
LOWEST_MIN_COUNT = 5
UNIT_NAMES = {
    TICKETS: "closed helpline tickets",
    CONVERSATIONS: "conversations by situation started",
}
METHOD = (
    "Two units, counted apart, each in tables of its own. Each helpline ticket adds one, when it "
    "closes, to counts by month and country of: language, channel, situation, platform, each risk flag "
    "(yes/no), whether a person took it (reached_person) and its outcome. Each conversation adds one, "
    "for each situation it starts (the steps of a playbook, or the help in danger or for self-harm; "
    "each situation once per conversation, whether or not it reaches the helpline), to counts by month "
    "and country of: language, channel, situation, platform and the risk flags danger, self_harm and "
    "minor (yes/no). Nothing else is kept: no identifier, no text, no time finer than a month. "
    "Every count from 1 to {k} - 1 is withheld (an empty cell), and so are further cells chosen so that "
    "no withheld count can be worked out from the published cells, row totals, column totals or grand "
    "total of any table of its unit (secondary suppression: every withheld cell lies on a cycle of "
    "withheld cells). "
    "Zeros are published. No noise is added. Publish only periods that do not overlap an earlier "
    "publication: the difference of two overlapping reports is a report of the months between them, "
    "with its small cells unprotected."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    unit: str
    dimension: str
    rows: list[str]  # the dimension's values, then ALL
    columns: list[str]  # the countries, then ALL
    counts: dict[Cell, int | None]  # None: withheld

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "dimension": self.dimension,
            "cells": [
                {"value": row, "country": column, "count": self.counts[(row, column)]}
                for row in self.rows
                for column in self.columns
            ],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    first: str  # YYYY-MM
    last: str
    min_count: int
    tables: list[Table]

    def to_json(self) -> dict[str, Any]:
        return {
            "period": {"from": self.first, "to": self.last},
            "units": UNIT_NAMES,
            "min_count": self.min_count,
            "method": METHOD.format(k=self.min_count),
            "tables": [table.to_json() for table in self.tables],
        }


def months(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` (YYYY-MM), both included."""
    year, month = (int(part) for part in first.split("-"))
    end = tuple(int(part) for part in last.split("-"))
    found = []
    while (year, month) <= end:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def check_min_count(k: int) -> int:
    if k < LOWEST_MIN_COUNT:
        raise ValueError(f"The minimum count is at least {LOWEST_MIN_COUNT}.")
    return k


async def build(counts: InsightCounts, first: str, last: str, k: int) -> Report:
    """The period's counts, summed over its months, as suppressed tables: each unit's tables apart."""
    tables = []
    for unit in UNITS:
        summed: Counter[tuple[str, str, str]] = Counter()
        for month in months(first, last):
            summed.update(await counts.month(month, unit))
        tables += tabulate(summed, first, last, check_min_count(k), unit=unit).tables
    return Report(first=first, last=last, min_count=k, tables=tables)


def tabulate(
    summed: Counter[tuple[str, str, str]], first: str, last: str, k: int, *, unit: str = TICKETS
) -> Report:
    """One unit's tables."""
    countries = sorted({country for _, _, country in summed})
    grids = {dimension: _grid(summed, dimension, countries) for dimension in UNITS[unit]}
    shared: set[Cell] = set()  # withheld column totals and grand total, the same in every table
    while True:
        hidden = {d: withheld(grid, k, forced=shared) for d, grid in grids.items()}
        margins = {cell for cells in hidden.values() for cell in cells if cell[0] == ALL}
        if margins <= shared:
            break
        shared |= margins
    tables = []
    for dimension, grid in grids.items():
        rows = [*sorted({row for row, _ in grid} - {ALL}), ALL]
        tables.append(
            Table(
                unit=unit,
                dimension=dimension,
                rows=rows,
                columns=[*countries, ALL],
                counts={cell: None if cell in hidden[dimension] else n for cell, n in grid.items()},
            )
        )
    return Report(first=first, last=last, min_count=k, tables=tables)


def _grid(summed: Counter[tuple[str, str, str]], dimension: str, countries: list[str]) -> dict[Cell, int]:
    values = sorted({value for d, value, _ in summed if d == dimension})
    grid = {(v, c): summed[(dimension, v, c)] for v in values for c in countries}
    for value in values:
        grid[(value, ALL)] = sum(grid[(value, country)] for country in countries)
    for country in [*countries, ALL]:
        grid[(ALL, country)] = sum(grid[(value, country)] for value in values)
    return grid


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period_from", "period_to", "unit", "dimension", "value", "country", "count"])
    for table in report.tables:
        for row in table.rows:
            value = f"'{row}" if row[:1] in {"=", "+", "-", "@"} else row  # never a spreadsheet formula
            for column in table.columns:
                count = table.counts[(row, column)]
                shown = "" if count is None else count
                period = [report.first, report.last]
                writer.writerow([*period, table.unit, table.dimension, value, column, shown])
    return out.getvalue()


def to_markdown(report: Report) -> str:
    lines = [
        f"# Anonymised insights, {report.first} to {report.last}",
        "",
        f"Units: {'; '.join(UNIT_NAMES.values())}. Minimum published count k = {report.min_count}; "
        "an empty cell is withheld.",
        "",
        "## Method",
        "",
        METHOD.format(k=report.min_count),
    ]
    for table in report.tables:
        lines += ["", f"## {UNIT_NAMES[table.unit].capitalize()}: {table.dimension} by country", ""]
        lines.append("| " + " | ".join([table.dimension, *table.columns]) + " |")
        lines.append("|" + "---|" * (len(table.columns) + 1))
        for row in table.rows:
            cells = [table.counts[(row, column)] for column in table.columns]
            lines.append("| " + " | ".join([row, *("" if n is None else str(n) for n in cells)]) + " |")
    if not any(table.rows[:-1] for table in report.tables):
        lines += ["", "Nothing was counted in this period."]
    return "\n".join(lines) + "\n"


def render(report: Report, form: str) -> str:
    if form == "csv":
        return to_csv(report)
    if form == "json":
        return json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"
    return to_markdown(report)
