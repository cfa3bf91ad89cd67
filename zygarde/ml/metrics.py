"""Metrics with a known direction. Scores are natural values (an rmse is a positive error)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics as skm

CLS = frozenset({"binary", "multiclass"})
BIN = frozenset({"binary"})
REG = frozenset({"regression"})


@dataclass(frozen=True)
class Metric:
    name: str
    tasks: frozenset[str]
    greater_is_better: bool
    needs_proba: bool
    fn: Callable[[Any, Any], float]


def _ks(y: Any, score: Any) -> float:
    from scipy.stats import ks_2samp

    y = np.asarray(y)
    score = np.asarray(score)
    return float(ks_2samp(score[y == 1], score[y != 1]).statistic)


def _roc_auc(y: Any, proba: Any) -> float:
    proba = np.asarray(proba)
    if proba.ndim == 2:
        return float(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"))
    return float(skm.roc_auc_score(y, proba))


def _logloss(y: Any, proba: Any) -> float:
    return float(skm.log_loss(y, proba))


def _brier(y: Any, proba: Any) -> float:
    return float(skm.brier_score_loss(y, proba))


_ALL = [
    Metric("roc_auc", CLS, True, True, _roc_auc),
    Metric("pr_auc", BIN, True, True, lambda y, p: float(skm.average_precision_score(y, p))),
    Metric("logloss", CLS, False, True, _logloss),
    Metric("brier", BIN, False, True, _brier),
    Metric("ks", BIN, True, True, _ks),
    Metric("f1", CLS, True, False, lambda y, p: float(skm.f1_score(y, p, average="binary" if len(set(y)) <= 2
                                                                           else "macro"))),
    Metric("balanced_accuracy", CLS, True, False, lambda y, p: float(skm.balanced_accuracy_score(y, p))),
    Metric("mcc", CLS, True, False, lambda y, p: float(skm.matthews_corrcoef(y, p))),
    Metric("accuracy", CLS, True, False, lambda y, p: float(skm.accuracy_score(y, p))),
    Metric("rmse", REG, False, False, lambda y, p: float(np.sqrt(skm.mean_squared_error(y, p)))),
    Metric("mae", REG, False, False, lambda y, p: float(skm.mean_absolute_error(y, p))),
    Metric("r2", REG, True, False, lambda y, p: float(skm.r2_score(y, p))),
    Metric("mape", REG, False, False, lambda y, p: float(skm.mean_absolute_percentage_error(y, p))),
]
METRICS: dict[str, Metric] = {m.name: m for m in _ALL}


def get(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


def names_for(task: str) -> list[str]:
    return [m.name for m in _ALL if task in m.tasks]


def predictions(metric: Metric, estimator: Any, X: Any) -> Any:
    """What the metric scores: positive-class probability (binary), class probabilities, or labels."""
    if not metric.needs_proba:
        return estimator.predict(X)
    if not hasattr(estimator, "predict_proba"):
        # margin models (linear SVM): rank metrics work on the decision function
        return estimator.decision_function(X)
    proba = estimator.predict_proba(X)
    return proba[:, 1] if proba.shape[1] == 2 else proba


def score(metric: Metric, estimator: Any, X: Any, y: Any) -> float:
    return metric.fn(y, predictions(metric, estimator, X))
