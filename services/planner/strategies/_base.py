"""One ask-and-tell base for every search strategy (like Optuna's samplers)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from zygarde.ml.space import Space


@dataclass(frozen=True)
class TrialSpec:
    index: int
    algorithm: str
    params: dict[str, Any]


@dataclass(frozen=True)
class TrialResult:
    score: float | None  # natural metric value; None = failed


class BaseStrategy(ABC):
    def __init__(self, spaces: dict[str, Space], *, seed: int, max_trials: int, greater_is_better: bool,
                 **options: Any) -> None:
        self.spaces = spaces
        self.seed = seed
        self.max_trials = max_trials
        self.greater_is_better = greater_is_better
        self.options = options
        self.asked: dict[int, TrialSpec] = {}
        self.told: dict[int, TrialResult] = {}

    @property
    def next_index(self) -> int:
        return max(self.asked, default=-1) + 1

    @abstractmethod
    def propose(self, index: int) -> TrialSpec | None:
        """The trial at ``index``, or None when the space is exhausted."""

    def ask(self, n: int) -> list[TrialSpec]:
        """At most ``n`` new trials; never beyond ``max_trials`` in total; never blocks."""
        out: list[TrialSpec] = []
        while len(out) < n and len(self.asked) < self.max_trials:
            spec = self.propose(self.next_index)
            if spec is None:
                self._exhausted = True
                break
            self.asked[spec.index] = spec
            out.append(spec)
        return out

    def tell(self, index: int, result: TrialResult) -> None:
        """Record a finished trial's score (None = failed)."""
        self.told[index] = result

    def report(self, index: int, step: int, score: float) -> bool:
        """An intermediate score after ``step`` folds; True asks the trainer to prune the trial."""
        return False

    def rebuild(self, asked: list[TrialSpec], told: dict[int, TrialResult],
                reports: dict[int, list[tuple[int, float]]]) -> None:
        """Restore state from stored history after a restart."""
        for spec in asked:
            self.asked[spec.index] = spec
        for index, result in told.items():
            self.tell(index, result)

    @property
    def exhausted(self) -> bool:
        return getattr(self, "_exhausted", False) or len(self.asked) >= self.max_trials
