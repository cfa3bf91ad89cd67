"""Search strategies behind one ask-and-tell base; ``make_strategy`` picks one by name."""

from __future__ import annotations

from typing import Any

from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from services.planner.strategies.grid import GridStrategy
from services.planner.strategies.random import RandomStrategy
from zygarde.ml.space import Space

STRATEGIES: dict[str, type[BaseStrategy]] = {"grid": GridStrategy, "random": RandomStrategy}


def make_strategy(name: str, spaces: dict[str, Space], *, seed: int, max_trials: int, greater_is_better: bool,
                  **options: Any) -> BaseStrategy:
    if name == "tpe":
        from services.planner.strategies.tpe import TpeStrategy

        return TpeStrategy(spaces, seed=seed, max_trials=max_trials, greater_is_better=greater_is_better, **options)
    if name == "asha":
        from services.planner.strategies.asha import AshaStrategy

        return AshaStrategy(spaces, seed=seed, max_trials=max_trials, greater_is_better=greater_is_better, **options)
    return STRATEGIES[name](spaces, seed=seed, max_trials=max_trials, greater_is_better=greater_is_better, **options)


__all__ = ["BaseStrategy", "TrialResult", "TrialSpec", "make_strategy"]
