"""Random search: proposal ``i`` depends only on (seed, i) and the initial points, so a restart continues
the same sequence."""

from __future__ import annotations

import random as _random

from services.planner.strategies._base import IndexedStrategy, TrialSpec
from zygarde.ml import space as sp


class RandomStrategy(IndexedStrategy):
    """The algorithm uniformly, then its parameters from their own distributions; option ``initial``:
    ``(algorithm, params)`` points proposed first, in order (the planner passes the algorithms' defaults)."""

    def propose(self, index: int) -> TrialSpec | None:
        if index < len(self.initial):
            algorithm, params = self.initial[index]
            return TrialSpec(index, algorithm, dict(params))
        # A string seed is hashed with SHA-512, the same in every process (unlike hash()).
        rng = _random.Random(f"{self.seed}:{index}")
        algorithm = rng.choice(sorted(self.spaces))
        return TrialSpec(index, algorithm, sp.sample(self.spaces[algorithm], rng))
