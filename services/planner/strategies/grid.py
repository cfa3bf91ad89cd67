"""Grid search: round-robin across algorithms over each one's grid, deterministic."""

from __future__ import annotations

import itertools
from typing import Any

from services.planner.strategies._base import BaseStrategy, TrialSpec
from zygarde.ml import space as sp


class GridStrategy(BaseStrategy):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        points = int(self.options.get("points", 3))
        grids = [[(name, p) for p in sp.grid(self.spaces[name], points)] for name in sorted(self.spaces)]
        self._order = [c for group in itertools.zip_longest(*grids) for c in group if c is not None]

    def propose(self, index: int) -> TrialSpec | None:
        if index >= len(self._order):
            return None
        name, params = self._order[index]
        return TrialSpec(index, name, dict(params))
