"""Folds as a fidelity for ``auto`` (Optuna's median pruner): after :data:`PRUNE_AT` folds an exploring
trial whose running score is below the median of every trial's at that fold (same rung of rows) stops,
once :data:`PRUNE_MIN` have reported; the portfolio's members always finish (they are the ensemble's
diverse base). A stopped trial teaches the search its partial score, not a failure.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from zygarde.ml.space import Space

PRUNE_AT = 2  # folds after which an exploring trial is judged against the others at that fold ...
PRUNE_MIN = 4  # ... once this many have been (a median of fewer says little)


class MedianPruning(BaseStrategy):
    """A strategy's ``tell``, ``report`` and ``rebuild`` with the median stop; subclasses say which rung
    a trial is on (``_rung_of``) and which trials always finish (``_never_stopped``)."""

    judged_folds = (PRUNE_AT,)

    def __init__(self, spaces: dict[str, Space], **kwargs: Any) -> None:
        super().__init__(spaces, **kwargs)
        self.at_fold: dict[int, dict[int, float]] = {}  # rung -> index -> signed score after PRUNE_AT folds
        self.pruned: dict[int, float] = {}  # index -> the score after PRUNE_AT folds it was stopped with

    def _rung_of(self, spec: TrialSpec) -> int:
        return 0

    def _never_stopped(self, spec: TrialSpec) -> bool:
        return False

    def tell(self, index: int, result: TrialResult) -> None:
        if index in self.told:
            return
        partial = self.pruned.get(index)
        if result.score is None and partial is not None:  # a stopped trial teaches its partial score
            result = TrialResult(partial, result.seconds)
        self.told[index] = result

    def report(self, index: int, step: int, score: float) -> bool:
        """Folds as fidelity (Optuna's median pruner): after ``PRUNE_AT`` folds an exploring trial whose
        running score is below the median of every trial's at that fold (same rung) stops; once ``PRUNE_MIN``
        have reported. The portfolio's members always finish: they are the ensemble's diverse base."""
        if index in self.pruned:
            return True
        spec = self.asked.get(index)
        if step != PRUNE_AT or spec is None or index in self.told or math.isnan(score):
            return False
        signed = self._toward_better(score)
        here = self.at_fold.setdefault(self._rung_of(spec), {})
        here[index] = signed
        if len(here) < PRUNE_MIN or self._never_stopped(spec):
            return False
        if signed < statistics.median(here.values()):
            self.pruned[index] = score
            return True
        return False

    def rebuild(self, asked: list[TrialSpec], told: dict[int, TrialResult],
                reports: dict[int, list[tuple[int, float]]]) -> None:
        """The base rebuild, with the stored reports at ``PRUNE_AT`` replayed (index order) between the
        asked trials and their results."""
        super().rebuild(asked, {}, {})
        for index in sorted(reports):
            for step, score in reports[index]:
                if step != PRUNE_AT:
                    continue
                if index in told and told[index].score is not None:  # it finished: it was not stopped
                    finished = self.asked.get(index)
                    if finished is not None:
                        self.at_fold.setdefault(self._rung_of(finished), {})[index] = self._toward_better(score)
                else:
                    self.report(index, step, score)
        super().rebuild([], told, {})

    def _toward_better(self, score: float) -> float:
        """The score signed so that larger is better."""
        return score if self.greater_is_better else -score
