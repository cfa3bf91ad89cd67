"""Metrics with a known direction. Scores are natural values (an rmse is a positive error).

``Metric.fn(y_true, y_pred_or_score)`` is the plain function; :func:`score` applies a metric to a
fitted estimator: label metrics use ``predict``; probability metrics use ``predict_proba`` (the
positive-class column for binary tasks, every column for multiclass, where ``roc_auc`` is
one-vs-rest macro). For binary tasks ``y_true`` may hold raw labels or the 0/1 encoding.
"""

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
    """``fn(y_true, y_pred_or_score, labels=None)``; ``labels`` names the proba columns (multiclass)."""

    name: str
    tasks: frozenset[str]
    greater_is_better: bool
    needs_proba: bool
    fn: Callable[..., float]
    description: str = ""


def _ks(y: Any, score: Any, labels: Any = None) -> float:
    from scipy.stats import ks_2samp

    y, score = np.asarray(y), np.asarray(score)
    return float(ks_2samp(score[y == 1], score[y != 1]).statistic)


def _roc_auc(y: Any, proba: Any, labels: Any = None) -> float:
    proba = np.asarray(proba)
    if proba.ndim == 2:
        return float(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=labels))
    return float(skm.roc_auc_score(y, proba))


def _f1(y: Any, pred: Any, labels: Any = None) -> float:
    if labels is not None and len(labels) > 2:
        return float(skm.f1_score(y, pred, average="macro", labels=labels))
    seen = set(np.unique(np.asarray(y)).tolist()) | set(np.unique(np.asarray(pred)).tolist())
    return float(skm.f1_score(y, pred, average="binary" if seen <= {0, 1} else "macro"))


def _labels_metric(f: Callable[[Any, Any], Any]) -> Callable[..., float]:
    return lambda y, p, labels=None: float(f(y, p))


_ALL = [
    Metric("roc_auc", CLS, True, True, _roc_auc, "area under the ROC curve (multiclass: one-vs-rest macro)"),
    Metric("pr_auc", BIN, True, True, lambda y, p, labels=None: float(skm.average_precision_score(y, p)),
           "average precision: area under the precision-recall curve"),
    Metric("logloss", CLS, False, True, lambda y, p, labels=None: float(skm.log_loss(y, p, labels=labels)),
           "cross-entropy of the predicted probabilities"),
    Metric("brier", BIN, False, True, lambda y, p, labels=None: float(skm.brier_score_loss(y, p)),
           "mean squared error of the positive-class probability"),
    Metric("ks", BIN, True, True, _ks, "Kolmogorov-Smirnov distance between the classes' scores"),
    Metric("f1", CLS, True, False, _f1, "F1 of the positive class (multiclass: macro average)"),
    Metric("balanced_accuracy", CLS, True, False, _labels_metric(skm.balanced_accuracy_score),
           "mean recall over the classes"),
    Metric("mcc", CLS, True, False, _labels_metric(skm.matthews_corrcoef),
           "Matthews correlation coefficient"),
    Metric("accuracy", CLS, True, False, _labels_metric(skm.accuracy_score), "share of correct labels"),
    Metric("rmse", REG, False, False, _labels_metric(skm.root_mean_squared_error), "root mean squared error"),
    Metric("mae", REG, False, False, _labels_metric(skm.mean_absolute_error), "mean absolute error"),
    Metric("r2", REG, True, False, _labels_metric(skm.r2_score), "coefficient of determination"),
    Metric("mape", REG, False, False, _labels_metric(skm.mean_absolute_percentage_error),
           "mean absolute percentage error (a fraction: 0.1 is 10%)"),
]
METRICS: dict[str, Metric] = {m.name: m for m in _ALL}
# metrics that weigh every class alike whatever its size: an imbalance strategy of auto trains with balanced
# class weights for them (see validation)
CLASS_BALANCED = frozenset({"balanced_accuracy"})


# the score a job is ranked by when its spec names none: the usual choice for each task
DEFAULTS: dict[str, str] = {"binary": "roc_auc", "multiclass": "logloss", "regression": "rmse"}


def default_for(task: str) -> str:
    """The metric a job of ``task`` is ranked by when its spec names none."""
    return DEFAULTS[task]


def get(name: str) -> Metric:
    """The metric called ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


def names_for(task: str) -> list[str]:
    """Metrics that fit ``task``."""
    return [m.name for m in _ALL if task in m.tasks]


def _is_binary(estimator: Any) -> bool:
    classes = getattr(estimator, "classes_", None)
    return classes is not None and len(classes) == 2


def _encode(y: Any, estimator: Any) -> Any:
    """Binary ``y`` as 0/1 with the estimator's positive class (``classes_[1]``) as 1."""
    y = np.asarray(y)
    positive = estimator.classes_[1]
    if positive in set(y.tolist()) or not set(y.tolist()) <= {0, 1}:
        return (y == positive).astype(int)
    return y.astype(int)  # already encoded


def predictions(metric: Metric, estimator: Any, X: Any, output: Any = None) -> Any:
    """What the metric scores: positive-class probability (binary), class probabilities, or labels.
    ``output``: what the estimator's ``predict_proba`` (probability metrics) or ``predict`` (the
    others) already gave on ``X``, so a caller that kept it does not predict twice."""
    if not metric.needs_proba:
        pred = np.asarray(estimator.predict(X) if output is None else output)
        return (pred == estimator.classes_[1]).astype(int) if _is_binary(estimator) else pred
    if output is None and not hasattr(estimator, "predict_proba"):
        return estimator.decision_function(X)  # margin models: rank metrics still work
    proba = np.asarray(estimator.predict_proba(X) if output is None else output)
    return proba[:, 1] if proba.shape[1] == 2 else proba


def score(metric: Metric, estimator: Any, X: Any, y: Any, output: Any = None) -> float:
    """The metric's natural value for a fitted estimator on (X, y); ``output`` as in :func:`predictions`."""
    if _is_binary(estimator):
        return metric.fn(_encode(y, estimator), predictions(metric, estimator, X, output))
    labels = getattr(estimator, "classes_", None)
    return metric.fn(np.asarray(y), predictions(metric, estimator, X, output), labels=labels)
