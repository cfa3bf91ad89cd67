"""Asynchronous successive halving (Li et al., 2018) with rungs over CV folds.

Candidates come from an inner strategy (option ``sampler``: ``tpe``, the default, as in BOHB and
Optuna's TPE-with-Hyperband, or ``random``); a pruned trial teaches it the score it was pruned with.
A trial reaching a rung goes on only if its score is in the top ``1/eta`` of the scores recorded at
that rung so far; the first ``min_at_rung`` trials at a rung always go on (like the bootstrap count
of Optuna's SuccessiveHalvingPruner), so the first arrivals are not judged against nothing.
"""

from __future__ import annotations

from typing import Any

from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from zygarde.ml.space import Space


def default_rungs(folds: int, eta: int, min_resource: int = 1) -> list[int]:
    """Fold counts ``min_resource * eta**k`` below ``folds`` (a rung at the last fold would save nothing)."""
    rungs, r = [], min_resource
    while r < folds:
        rungs.append(r)
        r *= eta
    return rungs


class AshaStrategy(BaseStrategy):
    """Options: ``rungs`` (fold counts) or ``folds`` (default 5) with ``eta`` (default 3),
    ``min_at_rung`` (default eta), ``sampler``; any other option goes to the inner strategy."""

    def __init__(self, spaces: dict[str, Space], **kwargs: Any) -> None:
        super().__init__(spaces, **kwargs)
        self.eta = int(self.options.pop("eta", 3))
        folds = int(self.options.pop("folds", 5))
        self.rungs = sorted(int(r) for r in self.options.pop("rungs", None) or default_rungs(folds, self.eta))
        self.judged_folds = tuple(self.rungs)
        self.min_at_rung = int(self.options.pop("min_at_rung", self.eta))
        sampler = str(self.options.pop("sampler", "tpe"))
        from services.planner.strategies import make_strategy  # the registry imports this module

        self.inner = make_strategy(sampler, spaces, seed=self.seed, max_trials=self.max_trials,
                                   greater_is_better=self.greater_is_better, **self.options)
        self.asked = self.inner.asked  # one history, kept by the inner strategy
        self.at_rung: dict[int, dict[int, float]] = {r: {} for r in self.rungs}
        self.pruned: dict[int, float] = {}  # index -> the score it was pruned with

    def ask(self, n: int) -> list[TrialSpec]:
        return self.inner.ask(n)

    def tell(self, index: int, result: TrialResult) -> None:
        if index in self.told:
            return
        self.told[index] = result
        # A pruned trial teaches the inner sampler its partial score rather than a failure.
        partial = self.pruned.get(index) if result.score is None else result.score
        self.inner.tell(index, TrialResult(partial))

    def report(self, index: int, step: int, score: float) -> bool:
        """Judge a trial when ``step`` (folds done) is a rung; True = prune it now."""
        if index in self.pruned:
            return True
        if step not in self.at_rung or index in self.told:
            return False
        scores = self.at_rung[step]
        scores[index] = score
        if len(scores) < self.min_at_rung:
            return False
        sign = 1.0 if self.greater_is_better else -1.0
        ranked = sorted((sign * s for s in scores.values()), reverse=True)
        keep = max(1, len(ranked) // self.eta)
        if sign * score < ranked[keep - 1]:
            self.pruned[index] = score
            return True
        return False

    def rebuild(self, asked: list[TrialSpec], told: dict[int, TrialResult],
                reports: dict[int, list[tuple[int, float]]]) -> None:
        """Replay the stored reports rung by rung (trials in index order), then the results."""
        self.inner.rebuild(asked, {}, {})
        for rung in self.rungs:
            for index in sorted(reports):
                for step, score in reports[index]:
                    if step != rung:
                        continue
                    if index in told and told[index].score is not None:
                        self.at_rung[rung][index] = score  # it finished, so it was not pruned
                    else:
                        self.report(index, step, score)  # re-derive the decision
        for index in sorted(told):
            self.tell(index, told[index])

    @property
    def exhausted(self) -> bool:
        return self.inner.exhausted
