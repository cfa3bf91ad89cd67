"""``LabelledClassifier``: the last step of every classification pipeline.

It lets the fitted artifact take the raw target and give back raw labels (``predict`` returns
``"Yes"``/``"No"`` when that is what the dataset holds), while the model underneath always sees
one fixed positive class (``1``) for binary tasks, the same in every fold. It also turns
``balance=True`` into balanced sample weights for models that have no ``class_weight``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import has_fit_parameter

_POSITIVE_WORDS = ("1", "yes", "y", "true", "t", "positive", "pos")


def positive_label(y: Any) -> Any:
    """The class a binary task calls positive: ``1``/``True``, a yes-like word, else the rarer class.

    Deterministic for a given column, so every fold, the refit and the metrics agree.
    """
    counts = pd.Series(y).dropna().value_counts()
    values = list(counts.index)
    if not values:
        raise ValueError("the target has no values")
    if set(values) <= {0, 1} or set(values) <= {-1, 1}:  # also covers True/False
        return max(values)
    words = {str(v).strip().lower(): v for v in values}
    for word in _POSITIVE_WORDS:
        if word in words:
            return words[word]
    rarest = counts.min()
    return sorted((v for v in values if counts[v] == rarest), key=str)[-1]


def _inner_has(method: str) -> Any:
    def check(self: LabelledClassifier) -> bool:
        return hasattr(self.estimator_ if hasattr(self, "estimator_") else self.estimator, method)

    return check


# scikit-learn is untyped: its base classes are Any to mypy
class LabelledClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Wraps a classifier: raw labels in and out; ``classes_ = [negative, positive]`` for binary."""

    def __init__(self, estimator: Any, binary: bool = True, positive: Any = None,
                 balance: bool = False) -> None:
        self.estimator = estimator
        self.binary = binary
        self.positive = positive
        self.balance = balance

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LabelledClassifier:
        y = np.asarray(y)
        model = clone(self.estimator)
        if self.binary:
            pos = self.positive if self.positive is not None else positive_label(y)
            others = sorted({v for v in y.tolist() if v != pos}, key=str)
            neg = others[0] if others else pos
            self.classes_ = np.array([neg, pos], dtype=y.dtype if y.dtype != object else object)
            target = (y == pos).astype(int)
        else:
            target = y
        if self.balance:
            weights = compute_sample_weight("balanced", target)
            sample_weight = weights if sample_weight is None else np.asarray(sample_weight) * weights
        if sample_weight is not None and has_fit_parameter(model, "sample_weight"):
            model.fit(X, target, sample_weight=sample_weight)
        else:
            model.fit(X, target)
        self.estimator_ = model
        if not self.binary:
            self.classes_ = np.asarray(model.classes_)
        return self

    def predict(self, X: Any) -> Any:
        raw = np.asarray(self.estimator_.predict(X))
        if self.binary:
            return self.classes_[raw.astype(int)]
        return raw

    # scikit-learn is untyped: so is its available_if decorator
    @available_if(_inner_has("predict_proba"))  # type: ignore[untyped-decorator]
    def predict_proba(self, X: Any) -> Any:
        return self.estimator_.predict_proba(X)

    # scikit-learn is untyped: so is its available_if decorator
    @available_if(_inner_has("decision_function"))  # type: ignore[untyped-decorator]
    def decision_function(self, X: Any) -> Any:
        return self.estimator_.decision_function(X)

    @property
    def n_features_in_(self) -> int:
        return int(self.estimator_.n_features_in_)
