"""Rows as fidelity for ``auto``: the rows of each rung of nested subsamples (see :mod:`.auto`, item 4)."""

from __future__ import annotations

FIRST_ROWS = 10_000  # rows of the first rung (FLAML's first sample size)
GROWTH = 4  # rows grow x4 per rung


def rungs(train_rows: int | None) -> list[int | None]:
    """Rows per rung, ``None`` (every row) last: ``[10000, 40000, None]`` for 100,000 rows; ``[None]``
    below twice the first rung (a subsample would save too little to be worth a second trial)."""
    if not train_rows or train_rows < 2 * FIRST_ROWS:
        return [None]
    out: list[int | None] = []
    rows = FIRST_ROWS
    while rows * 2 <= train_rows:
        out.append(rows)
        rows *= GROWTH
    return [*out, None]
