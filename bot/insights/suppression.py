"""Which cells of a published table are withheld, so that no count below k can be read or worked out.

A table is a grid of counts with its row totals, column totals and grand total (the margins are cells
too, named ALL). Primary suppression withholds every count from 1 to k-1. Secondary suppression then
withholds more, so that no withheld count follows from the published ones: the margins make each row
and each column an equation, and a withheld cell is pinned by those equations exactly when it lies on
no cycle of withheld cells (rows and columns as the nodes of a graph, withheld cells as its edges, a
cell on no cycle being a bridge). While a bridge is left, the cheapest four-cell cycle through it is
withheld, preferring small non-zero counts (a zero on the cycle would let an attacker bound the rest)
and cells off the totals row (the column totals are shared by every table of a report, so withholding
one there withholds it everywhere). Zeros are published: they are nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import product

ALL = "all"  # the name of the totals row and column
ZERO_COST = 10**9  # a zero complement protects nothing: used only when nothing else closes a cycle
SHARED_COST = 100  # a column total costs this many times its count: it is withheld in every table

Cell = tuple[str, str]  # (row, column)


def withheld(counts: dict[Cell, int], k: int, forced: Iterable[Cell] = ()) -> set[Cell]:
    """The cells of `counts` (inner cells and margins, every row and column of the grid present) to
    withhold for a minimum publishable count `k`; `forced` cells are withheld whatever their count (a
    margin another table shares and withholds)."""
    if counts.get((ALL, ALL), 0) < k:
        return set(counts)
    cells = {cell for cell, count in counts.items() if 0 < count < k} | set(forced)
    rows = sorted({row for row, _ in counts})
    columns = sorted({column for _, column in counts})
    while (bridge := _a_bridge(cells)) is not None:
        cells |= _cheapest_cycle(bridge, counts, cells, rows, columns)
    return cells


def _cheapest_cycle(
    bridge: Cell, counts: dict[Cell, int], cells: set[Cell], rows: list[str], columns: list[str]
) -> set[Cell]:
    row, column = bridge
    cycles = (
        {(row, other_column), (other_row, column), (other_row, other_column)} - cells
        for other_row, other_column in product(rows, columns)
        if other_row != row and other_column != column
    )
    # A grid with its margins has at least two rows and two columns: there is always a cycle.
    return min(cycles, key=lambda added: (sum(_cost(cell, counts[cell]) for cell in added), len(added)))


def _cost(cell: Cell, count: int) -> int:
    """What withholding one more cell loses."""
    if count == 0:
        return ZERO_COST
    return count * SHARED_COST if cell[0] == ALL else count


def _a_bridge(cells: set[Cell]) -> Cell | None:
    """A withheld cell on no cycle of withheld cells, if there is one."""
    for cell in sorted(cells):
        rest = cells - {cell}
        if not _connected(("r", cell[0]), ("c", cell[1]), rest):
            return cell
    return None


def _connected(start: tuple[str, str], goal: tuple[str, str], cells: set[Cell]) -> bool:
    neighbours: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for row, column in cells:
        neighbours.setdefault(("r", row), set()).add(("c", column))
        neighbours.setdefault(("c", column), set()).add(("r", row))
    seen, frontier = {start}, [start]
    while frontier:
        node = frontier.pop()
        if node == goal:
            return True
        for nxt in neighbours.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return False
