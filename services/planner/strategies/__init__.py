"""Search strategies behind one ask-and-tell base; ``make_strategy`` picks one by name."""

from __future__ import annotations

from typing import Any

from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from zygarde.ml.space import Space

# name -> "module:Class", imported on first use so that only TPE pays for importing Optuna.
STRATEGIES: dict[str, str] = {
    "grid": "grid:GridStrategy",
    "random": "random:RandomStrategy",
    "tpe": "tpe:TpeStrategy",
    "asha": "asha:AshaStrategy",
    "auto": "auto:AutoStrategy",
}


def strategy_class(name: str) -> type[BaseStrategy]:
    """The class registered under ``name``; ValueError for an unknown one."""
    import importlib

    if name not in STRATEGIES:
        raise ValueError(f"unknown search strategy {name!r}; expected one of {sorted(STRATEGIES)}")
    module, cls = STRATEGIES[name].split(":")
    found: type[BaseStrategy] = getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    return found


def make_strategy(name: str, spaces: dict[str, Space], *, seed: int, max_trials: int, greater_is_better: bool,
                  **options: Any) -> BaseStrategy:
    """A fresh strategy over ``spaces`` (algorithm -> space); unknown options are ignored."""
    return strategy_class(name)(spaces, seed=seed, max_trials=max_trials, greater_is_better=greater_is_better,
                                **options)


__all__ = ["STRATEGIES", "BaseStrategy", "TrialResult", "TrialSpec", "make_strategy", "strategy_class"]
