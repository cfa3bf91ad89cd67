"""Greedy ensemble selection over out-of-fold predictions (Caruana et al., 2004), and the weighted
ensemble the selector stores like any single pipeline.

:func:`select` starts from nothing and, for ``rounds`` rounds, adds (with replacement) the candidate
whose inclusion in the running average scores best; a tie goes to a candidate already in the ensemble,
then to the better-ranked one. The round with the best score is kept (the earliest, so the smallest,
when several tie): the result is never worse on the out-of-fold rows than the best single candidate,
which the first round picks. Weights are the number of times a candidate was added over the size.

Predictions are what :mod:`zygarde.ml.oof` keeps: the positive-class probability (binary), every
class's probability in ``classes`` order (multiclass), or the predicted value (regression).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from zygarde.ml import metrics

ROUNDS = 25  # AutoGluon's WeightedEnsemble default; auto-sklearn uses 50
PATIENCE = 8  # rounds without a better score after which the selection stops (the best prefix is kept anyway)
TOP_K = 20  # best trials (by CV) offered to the selection
_TIE = 1e-12  # scores this close count as equal (float noise of a re-ordered sum)


@dataclass(frozen=True)
class Selection:
    """The kept ensemble: ``members`` are candidate positions in the order first chosen, ``weights``
    parallel to them (summing to 1); ``scores`` and ``picks`` are the score after, and the candidate
    added in, every round that was run (the kept ones are the first ``size``)."""

    members: list[int]
    weights: list[float]
    score: float
    size: int
    scores: list[float]
    picks: list[int]


def oof_predictions(task: str, metric: metrics.Metric, proba_or_values: np.ndarray, classes: Any = None) -> Any:
    """What ``metric`` scores, from kept predictions: probabilities for probability metrics, labels
    otherwise (binary: 1 when the positive probability passes 0.5, as ``predict`` decides; multiclass:
    the most probable class), values for regression."""
    if task == "regression" or metric.needs_proba:
        return proba_or_values
    if task == "binary":
        return (proba_or_values > 0.5).astype(int)
    return np.asarray(classes)[np.argmax(proba_or_values, axis=1)]


def oof_score(task: str, metric: metrics.Metric, y: Any, pred: np.ndarray, classes: Any = None) -> float:
    """``metric`` of kept predictions against ``y`` (binary: 0/1 with 1 the positive class)."""
    scored = oof_predictions(task, metric, pred, classes)
    if task == "multiclass":
        return float(metric.fn(np.asarray(y), scored, labels=classes))
    return float(metric.fn(np.asarray(y), scored))


def scorer(task: str, metric: metrics.Metric, y: Any, classes: Any = None) -> Callable[[np.ndarray], float]:
    """``pred -> score`` for :func:`select`. Binary ``roc_auc``, the usual metric, is computed from ranks
    (the Mann-Whitney statistic, equal to scikit-learn's value with ties): selection scores every
    candidate every round, and ``roc_auc_score``'s checks cost several times the computation."""
    y = np.asarray(y)
    if task == "binary" and metric.name == "roc_auc" and 0 < int(y.sum()) < len(y):
        return functools.partial(_rank_auc, y.astype(bool))
    if task == "multiclass" and metric.name in ("accuracy", "balanced_accuracy") and classes is not None:
        # the same from class codes (scikit-learn's label checks on text labels cost some 20 ms a call)
        ordered = np.asarray(classes)
        codes = np.searchsorted(ordered, y)  # meaningful once the classes are sorted and hold every label
        if np.all(ordered[:-1] <= ordered[1:]) and np.all(codes < len(ordered)) and np.array_equal(ordered[codes], y):
            return functools.partial(_code_accuracy, codes, len(ordered), metric.name == "balanced_accuracy")
    return lambda pred: oof_score(task, metric, y, pred, classes)


def _code_accuracy(codes: np.ndarray, n_classes: int, balanced: bool, pred: np.ndarray) -> float:
    """Accuracy of the most probable class against class ``codes``; balanced: the mean recall of the
    classes present (scikit-learn's ``balanced_accuracy_score``)."""
    hit = (np.argmax(pred, axis=1) == codes).astype(np.float64)
    if not balanced:
        return float(hit.mean())
    count = np.bincount(codes, minlength=n_classes)
    present = count > 0
    return float(np.mean(np.bincount(codes, weights=hit, minlength=n_classes)[present] / count[present]))


def _rank_auc(positive: np.ndarray, pred: np.ndarray) -> float:
    from scipy.stats import rankdata

    ranks = rankdata(pred)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def blend(preds: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """The weighted average of predictions (float64)."""
    out = np.zeros(np.shape(preds[0]), dtype=np.float64)
    for pred, weight in zip(preds, weights, strict=True):
        out += weight * np.asarray(pred, dtype=np.float64)
    return out


def select(preds: Sequence[np.ndarray], score: Callable[[np.ndarray], float], greater_is_better: bool,
           rounds: int = ROUNDS, patience: int | None = PATIENCE) -> Selection:
    """Greedy selection with replacement over ``preds`` (best-ranked first), best prefix kept; stops
    early after ``patience`` rounds in a row without a better score (None: every round)."""
    if not preds:
        raise ValueError("no candidate predictions to select from")
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    sign = 1.0 if greater_is_better else -1.0
    stack = [np.asarray(p, dtype=np.float64) for p in preds]
    total = np.zeros_like(stack[0])
    counts = [0] * len(stack)
    order: list[int] = []  # first-chosen order of the members
    picks: list[int] = []
    history: list[tuple[float, list[int]]] = []
    for size in range(1, rounds + 1):
        best: tuple[float, bool, int] | None = None  # (signed score, already a member, candidate)
        for j, pred in enumerate(stack):
            signed = sign * score((total + pred) / size)
            if not np.isfinite(signed):
                continue
            member = counts[j] > 0
            if best is None or signed > best[0] + _TIE or (abs(signed - best[0]) <= _TIE and member and not best[1]):
                best = (signed, member, j)
        if best is None:
            break  # every candidate scores NaN: nothing can be chosen
        j = best[2]
        picks.append(j)
        total += stack[j]
        counts[j] += 1
        if j not in order:
            order.append(j)
        history.append((sign * best[0], list(counts)))
        best_round = max(range(len(history)), key=lambda i: (sign * history[i][0], -i))
        if patience is not None and len(history) - 1 - best_round >= patience:
            break
    if not history:
        raise ValueError("no candidate has a finite score")
    kept = 0
    for i, (value, _) in enumerate(history):
        if sign * value > sign * history[kept][0] + _TIE:
            kept = i
    value, kept_counts = history[kept]
    size = kept + 1
    members = [j for j in order if kept_counts[j] > 0]
    return Selection(members, [kept_counts[j] / size for j in members], float(value), size,
                     [h[0] for h in history], picks)


# scikit-learn is untyped: its base classes are Any to mypy
class WeightedEnsemble(BaseEstimator):  # type: ignore[misc]
    """Fitted pipelines averaged with weights: class probabilities (soft voting) for classification,
    values for regression. Takes the raw feature frame and gives raw labels back, as each member does;
    stored and loaded like a single pipeline (``metrics.score`` and the reports use it unchanged)."""

    def __init__(self, members: list[Any], weights: list[float], task: str) -> None:
        self.members = members
        self.weights = weights
        self.task = task

    @property
    def classes_(self) -> np.ndarray:
        if self.task == "regression":
            raise AttributeError("a regression ensemble has no classes")
        return np.asarray(self.members[0].classes_)

    def _weights(self) -> np.ndarray:
        w = np.asarray(self.weights, dtype=np.float64)
        normalised: np.ndarray = w / w.sum()
        return normalised

    def predict_proba(self, X: Any) -> np.ndarray:
        if self.task == "regression":
            raise AttributeError("a regression ensemble has no probabilities")
        classes = list(self.classes_)
        out: np.ndarray | None = None
        for member, weight in zip(self.members, self._weights(), strict=True):
            proba = np.asarray(member.predict_proba(X), dtype=np.float64)
            own = list(member.classes_)
            if own != classes:  # the same training rows give the same classes; aligned all the same
                aligned = np.zeros((proba.shape[0], len(classes)))
                for k, label in enumerate(own):
                    aligned[:, classes.index(label)] = proba[:, k]
                proba = aligned
            out = weight * proba if out is None else out + weight * proba
        assert out is not None
        return out

    def predict(self, X: Any) -> np.ndarray:
        if self.task == "regression":
            return blend([np.asarray(m.predict(X), dtype=np.float64) for m in self.members], list(self._weights()))
        labels: np.ndarray = self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return labels
