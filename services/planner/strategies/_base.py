"""One ask-and-tell base for every search strategy (like ``optuna/samplers/_base.py``).

A strategy never loops or blocks: the planner asks for at most ``n`` trials, tells each result by
its index, and after a restart rebuilds the strategy from the stored history.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from zygarde.ml.space import Space


@dataclass(frozen=True)
class TrialSpec:
    index: int  # 0-based, unique within a job, in the order the strategy proposed them
    algorithm: str
    params: dict[str, Any]
    # rows of the training part the trial cross-validates: a fixed, nested, stratified subsample
    # (a lower fidelity, never ranked with full-data scores); None = every row
    rows: int | None = None


@dataclass(frozen=True)
class TrialResult:
    score: float | None  # the metric's natural value; None = failed (or pruned)
    seconds: float | None = None  # how long the trial occupied its trainer, when known


class BaseStrategy(ABC):
    """Proposes trials over one conditional distribution of (algorithm, params).

    ``spaces`` maps each of the job's algorithms to its search space. Options a strategy does not
    know (the planner passes ``folds`` to all of them) are kept in ``options`` and ignored.
    """

    def __init__(self, spaces: dict[str, Space], *, seed: int, max_trials: int, greater_is_better: bool,
                 **options: Any) -> None:
        if not spaces:
            raise ValueError("a strategy needs at least one algorithm")
        self.spaces = spaces
        self.seed = seed
        self.max_trials = max_trials
        self.greater_is_better = greater_is_better
        self.options = options
        # option ``initial``: (algorithm, params) points to ask first, in order, where the strategy
        # honours it (random, tpe); the planner passes each algorithm's defaults. Unknown algorithms drop.
        self.initial = [(a, dict(p)) for a, p in options.get("initial") or () if a in spaces]
        self.asked: dict[int, TrialSpec] = {}
        self.told: dict[int, TrialResult] = {}

    @abstractmethod
    def ask(self, n: int) -> list[TrialSpec]:
        """At most ``n`` new trials, ``[]`` when exhausted; never beyond ``max_trials`` in total."""

    @abstractmethod
    def tell(self, index: int, result: TrialResult) -> None:
        """Record the final result of trial ``index``; telling the same index twice is a no-op."""

    # the folds after which ``report`` may answer True (None: any); the trainer waits for a verdict only there
    judged_folds: tuple[int, ...] | None = None

    def report(self, index: int, step: int, score: float) -> bool:
        """An intermediate score after ``step`` folds; True = prune the trial now. Default: never."""
        return False

    def rebuild(self, asked: list[TrialSpec], told: dict[int, TrialResult],
                reports: dict[int, list[tuple[int, float]]]) -> None:
        """Restore state after a restart so the next ``ask`` continues the same sequence."""
        for spec in sorted(asked, key=lambda s: s.index):
            self.asked[spec.index] = spec
        for index in sorted(told):
            self.tell(index, told[index])

    @property
    def next_index(self) -> int:
        return max(self.asked, default=-1) + 1

    @property
    def room(self) -> int:
        """How many trials the budget still allows."""
        return max(0, self.max_trials - len(self.asked))

    @property
    def exhausted(self) -> bool:
        """True when no further ``ask`` can return a trial."""
        return self.room == 0


class IndexedStrategy(BaseStrategy):
    """A strategy whose proposal ``i`` is a pure function of ``i``: restarting it is free."""

    @abstractmethod
    def propose(self, index: int) -> TrialSpec | None:
        """The trial at ``index``, or None when the space has no more."""

    def ask(self, n: int) -> list[TrialSpec]:
        out: list[TrialSpec] = []
        while len(out) < n and self.room > 0:
            spec = self.propose(self.next_index)
            if spec is None:
                break
            self.asked[spec.index] = spec
            out.append(spec)
        return out

    def tell(self, index: int, result: TrialResult) -> None:
        self.told.setdefault(index, result)

    @property
    def exhausted(self) -> bool:
        return self.room == 0 or self.propose(self.next_index) is None
