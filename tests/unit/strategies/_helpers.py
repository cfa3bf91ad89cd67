"""Shared spaces, a synthetic objective and a driver loop for the strategy tests."""

from __future__ import annotations

import math
from typing import Any

from services.planner.strategies import STRATEGIES, BaseStrategy, TrialResult, make_strategy
from zygarde.ml.space import CategoricalDim, FloatDim, IntDim, Space

NAMES = list(STRATEGIES)

# Two algorithms: "a" has a narrow optimum in two log-scale params (one decade wide out of six) and a
# conditional child; "b" is a mediocre plateau.
SPACES: dict[str, Space] = {
    "a": {"x": FloatDim(1e-4, 1e2, log=True), "v": FloatDim(1e-4, 1e2, log=True),
          "mode": CategoricalDim(("p", "q")), "z": IntDim(1, 9, when={"mode": ("q",)})},
    "b": {"w": FloatDim(0.0, 1.0), "n": IntDim(1, 1000, log=True)},
}


def objective(algorithm: str, params: dict[str, Any]) -> float:
    """Best value 0 at a: x = 10**0.5, v = 10**-2; b never beats -3."""
    if algorithm == "a":
        return -((math.log10(params["x"]) - 0.5) ** 2) - (math.log10(params["v"]) + 2.0) ** 2
    return -3.0 - (params["w"] - 0.5) ** 2


def make(name: str, *, seed: int = 0, max_trials: int = 40, spaces: dict[str, Space] | None = None,
         greater_is_better: bool = True, **options: Any) -> BaseStrategy:
    return make_strategy(name, SPACES if spaces is None else spaces, seed=seed, max_trials=max_trials,
                         greater_is_better=greater_is_better, **options)


def best_found(name: str, seed: int, budget: int = 40, parallel: int = 4) -> float:
    """Run a whole search on ``objective`` in batches of ``parallel``; the best value seen."""
    strategy = make(name, seed=seed, max_trials=budget)
    best = -math.inf
    while batch := strategy.ask(parallel):
        for spec in batch:
            value = objective(spec.algorithm, spec.params)
            best = max(best, value)
            strategy.tell(spec.index, TrialResult(value))
    return best
