"""Estimated cost for improvement (FLAML's ECI) per algorithm, from its first-rung trials so far.

Per algorithm: ``max(cost spent since its last improvement, cost of that improvement step)``, raised to
``2 * gap / speed`` when its best trails the overall best by ``gap``. A trial in flight counts as spent at
the algorithm's expected cost (its median measured seconds), and divides its speed. An algorithm not tried
yet is estimated at its prior relative cost (:data:`COST`) in the seconds the tried ones took. Every trial
costs at least ``floor`` (see ``AutoStrategy._trial_floor``), and only :func:`better` scores improve.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

IMPROVE = 1e-3  # a better score is an improvement when it gains more than this share (see better)

# Relative cost of one trial per algorithm (a prior, before any measured second; roughly FLAML's
# ``cost_relative2lgbm`` with our own catalog's early stopping and tree bounds). Unknown names: 5.
COST: dict[str, float] = {
    "ridge": 0.5, "lasso": 0.7, "elastic_net": 0.7, "naive_bayes": 0.5, "logistic_regression": 1.0, "sgd": 1.0,
    "decision_tree": 1.0, "lightgbm": 1.5, "knn": 2.0, "hist_gradient_boosting": 3.0, "xgboost": 3.0,
    "extra_trees": 6.0, "random_forest": 8.0, "gradient_boosting": 10.0, "svm": 10.0, "mlp": 10.0, "catboost": 15.0,
}


@dataclass
class Algo:
    """One algorithm's first-rung trials, in index order."""

    done: list[tuple[int, float | None, float]] = field(default_factory=list)  # (index, signed score, seconds)
    flight: int = 0

    def best(self) -> tuple[int, float] | None:
        """The incumbent: the first trial no later one beat by more than :func:`better`'s margin."""
        out: tuple[int, float] | None = None
        for i, s, _ in self.done:
            if s is not None and (out is None or better(s, out[1])):
                out = (i, s)
        return out


def better(score: float, than: float) -> bool:
    """An improvement worth the name: by more than ``IMPROVE`` of the score (of 0.1 near zero). A CV mean
    that moves in the fourth digit is noise; counted as progress it keeps the fastest family's search
    "improving" trial after trial, and ECI gives it every trial."""
    return score > than + IMPROVE * max(abs(than), 0.1)


def estimate(algos: dict[str, Algo], floor: float) -> dict[str, float]:
    """Every algorithm's ECI in seconds (smaller: the better next choice)."""
    seconds = [sec / COST.get(a, 5.0) for a, al in algos.items() for _, _, sec in al.done if sec > 0]
    unit = statistics.median(seconds) if seconds else 1.0  # seconds per unit of prior cost

    def expected(a: str) -> float:
        measured = [sec for _, _, sec in algos[a].done if sec > 0]
        return max(floor, statistics.median(measured) if measured else COST.get(a, 5.0) * unit)

    overall = max((b[1] for al in algos.values() if (b := al.best()) is not None), default=None)
    total = sum(max(sec, floor) for al in algos.values() for _, _, sec in al.done) + 1e-9
    eci: dict[str, float] = {}
    for a, al in algos.items():
        cost = expected(a)
        if not al.done:
            eci[a] = cost * (1 + al.flight)
            continue
        spent, t_best, t_old, best, gain = 0.0, 0.0, 0.0, None, 0.0
        for _, score, sec in al.done:
            spent += max(sec, floor)
            if score is not None and (best is None or better(score, best)):
                gain = math.inf if best is None else score - best  # a first score: speed unknown (FLAML)
                best, t_old, t_best = score, t_best, spent
        spent += al.flight * cost
        value = max(spent - t_best, t_best - t_old, cost)
        if overall is not None and (best is None or best < overall):
            gap = overall - best if best is not None else abs(overall) + 1.0
            speed = gain / max(t_best - t_old, 1e-9) / (1 + al.flight)
            if math.isfinite(speed):
                value = max(value, min(2 * gap / speed, 10 * total) if speed > 0 else 10 * total)
        eci[a] = value
    return eci
