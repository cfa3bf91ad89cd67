"""Grid search: round-robin across algorithms over each one's grid, deterministic.

Grids are walked lazily, so a space with many dimensions costs only what is asked of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from services.planner.strategies._base import IndexedStrategy, TrialSpec
from zygarde.ml import space as sp


def _clamped(space: sp.Space, params: dict[str, Any]) -> dict[str, Any]:
    """Keep log-scale grid ends inside their bounds (exp(log(100)) is 100.00000000000004)."""
    return {name: sp.nearest(space[name], value) for name, value in params.items()}


def round_robin(spaces: dict[str, sp.Space], points: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """One point of each algorithm's grid in turn (algorithms by name) until every grid is used up."""
    walks = {name: sp.grid(spaces[name], points) for name in sorted(spaces)}
    while walks:
        for name in list(walks):
            params = next(walks[name], None)
            if params is None:
                del walks[name]
            else:
                yield name, _clamped(spaces[name], params)


class GridStrategy(IndexedStrategy):
    """Every combination of ``points`` values per dimension (option ``points``, default 3)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._walk = round_robin(self.spaces, int(self.options.get("points", 3)))
        self._order: list[tuple[str, dict[str, Any]]] = []

    def propose(self, index: int) -> TrialSpec | None:
        while len(self._order) <= index:
            point = next(self._walk, None)
            if point is None:
                return None
            self._order.append(point)
        name, params = self._order[index]
        return TrialSpec(index, name, dict(params))
