"""Asynchronous successive halving (Li et al., 2018) with rungs over CV folds.

Candidates come from an inner sampler (random by default, or TPE). A trial reaching a rung is
pruned unless its score is in the top ``1/eta`` of the scores recorded at that rung so far; the
first ``min_at_rung`` trials at a rung always go on (as Optuna's SuccessiveHalvingPruner).
"""

from __future__ import annotations

import math
from typing import Any

from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from services.planner.strategies.random import RandomStrategy


def default_rungs(folds: int, eta: int, min_resource: int = 1) -> list[int]:
    rungs, r = [], min_resource
    while r < folds:
        rungs.append(r)
        r *= eta
    return rungs


class AshaStrategy(BaseStrategy):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eta = int(self.options.get("eta", 3))
        folds = int(self.options.get("folds", 5))
        self.rungs: list[int] = list(self.options.get("rungs") or default_rungs(folds, self.eta))
        self.min_at_rung = int(self.options.get("min_at_rung", self.eta))
        inner_name = self.options.get("sampler", "random")
        inner_args: dict[str, Any] = dict(seed=self.seed, max_trials=self.max_trials,
                                          greater_is_better=self.greater_is_better)
        if inner_name == "tpe":
            from services.planner.strategies.tpe import TpeStrategy

            self.inner: BaseStrategy = TpeStrategy(self.spaces, **inner_args)
        else:
            self.inner = RandomStrategy(self.spaces, **inner_args)
        self.at_rung: dict[int, dict[int, float]] = {r: {} for r in self.rungs}
        self.pruned: dict[int, float] = {}

    def propose(self, index: int) -> TrialSpec | None:
        specs = self.inner.ask(1)
        return specs[0] if specs else None

    def _signed(self, score: float) -> float:
        return score if self.greater_is_better else -score

    def report(self, index: int, step: int, score: float) -> bool:
        if step not in self.at_rung or index in self.pruned:
            return False
        scores = self.at_rung[step]
        scores[index] = score
        if len(scores) < self.min_at_rung:
            return False
        ranked = sorted((self._signed(s) for s in scores.values()), reverse=True)
        keep = max(1, math.floor(len(ranked) / self.eta))
        if self._signed(score) < ranked[keep - 1]:
            self.pruned[index] = score
            return True
        return False

    def tell(self, index: int, result: TrialResult) -> None:
        super().tell(index, result)
        # A pruned trial teaches the inner sampler its partial score, not a failure.
        partial = self.pruned.get(index)
        self.inner.tell(index, TrialResult(result.score if result.score is not None else partial))

    def rebuild(self, asked: list[TrialSpec], told: dict[int, TrialResult],
                reports: dict[int, list[tuple[int, float]]]) -> None:
        self.inner.rebuild(asked, told, reports)
        for spec in asked:
            self.asked[spec.index] = spec
        self.told.update(told)
        for index, steps in reports.items():
            for step, score in steps:
                if step in self.at_rung:
                    self.at_rung[step][index] = score
