"""Probe algorithms for benchmarks and tests: ``noop`` (the prior) and ``burn`` (CPU for a set time)."""

from __future__ import annotations

import time
from typing import Any

from sklearn import dummy
from sklearn.base import BaseEstimator

from zygarde.ml.algorithms._base import ALL, Algorithm
from zygarde.ml.space import FloatDim

MAX_BURN_S = 60.0  # a probe measures the platform; it never holds a trainer longer than this per fit


# scikit-learn is untyped: its base classes are Any to mypy
class BurnEstimator(BaseEstimator):  # type: ignore[misc]
    """Spins the CPU for ``seconds`` in ``fit``, then predicts like the prior: trials of known cost."""

    def __init__(self, seconds: float = 1.0, task: str = "binary") -> None:
        self.seconds = seconds
        self.task = task

    def fit(self, X: Any, y: Any) -> BurnEstimator:
        if not 0 <= self.seconds <= MAX_BURN_S:
            raise ValueError(f"burn: seconds must be within 0 and {MAX_BURN_S:g}, not {self.seconds:g}")
        deadline = time.perf_counter() + self.seconds
        x = 0
        while time.perf_counter() < deadline:
            x += 1
        self.model_ = (dummy.DummyRegressor() if self.task == "regression"
                       else dummy.DummyClassifier(strategy="prior")).fit(X, y)
        self.classes_ = getattr(self.model_, "classes_", None)
        return self

    def predict(self, X: Any) -> Any:
        return self.model_.predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self.model_.predict_proba(X)


def _noop(p: dict[str, Any], task: str, seed: int) -> Any:
    return dummy.DummyRegressor() if task == "regression" else dummy.DummyClassifier(strategy="prior")


ALGORITHMS = [
    Algorithm("noop", ALL, {}, _noop, description="predicts the prior: a baseline and a benchmark probe"),
    Algorithm("burn", ALL, {"seconds": FloatDim(0.5, 1.5)},
              lambda p, t, s: BurnEstimator(float(p.get("seconds", 1.0)), t),
              description="spins the CPU for `seconds` per fit: trials of known cost for tests, benchmarks"),
]
