"""The inner split that boosting wrappers early-stop on: held out of the rows a model is fitted on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# At most a tenth of the rows and at most 1,000 (FLAML's rule), none below MIN_EARLY_STOP_ROWS rows,
# where a tenth is too few to judge and the cap on trees rules alone.
EARLY_STOP_FRACTION = 0.1
EARLY_STOP_MAX_ROWS = 1000
MIN_EARLY_STOP_ROWS = 300


def rows(data: Any, at: np.ndarray) -> Any:
    """The rows at positions ``at`` of a frame or an array."""
    return data.iloc[at] if hasattr(data, "iloc") else data[at]


def inner_split(n: int, y: Any, task: str, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(fit_at, stop_at)`` positions, stratified for classes where every class has two rows; ``None``
    below :data:`MIN_EARLY_STOP_ROWS` rows (fit every tree)."""
    from sklearn.model_selection import train_test_split

    if n < MIN_EARLY_STOP_ROWS:
        return None
    size = min(EARLY_STOP_MAX_ROWS, max(1, int(n * EARLY_STOP_FRACTION)))
    y_arr = np.asarray(y)
    stratify = y_arr if task != "regression" and np.unique(y_arr, return_counts=True)[1].min() >= 2 else None
    fit_at, stop_at = train_test_split(np.arange(n), test_size=size, random_state=seed, stratify=stratify)
    return fit_at, stop_at


def fit_early_stopped(model: Any, X: Any, y: Any, sample_weight: Any, task: str, seed: int,
                      stop_on: Callable[[Any, Any], dict[str, Any]]) -> bool:
    """Fit ``model`` on all rows below :data:`MIN_EARLY_STOP_ROWS`, else on the inner split's fit part with
    the keyword arguments ``stop_on(X_stop, y_stop)`` gives (each library names its evaluation set and
    patience in its own way). True when rows were held out."""
    split = inner_split(len(X), y, task, seed)
    if split is None:
        model.fit(X, y, sample_weight=sample_weight)
        return False
    fit_at, stop_at = split
    y_arr = np.asarray(y)
    weights = None if sample_weight is None else np.asarray(sample_weight)[fit_at]
    model.fit(rows(X, fit_at), y_arr[fit_at], sample_weight=weights, **stop_on(rows(X, stop_at), y_arr[stop_at]))
    return True


def refit_every_row(make: Callable[[int], Any], trees: int, X: Any, y: Any, sample_weight: Any) -> Any:
    """A model of ``trees`` trees (``make(trees)``, unfitted, no early stopping) fitted on every row: the
    final model gets back the rows early stopping held out, at the tree count the inner split chose."""
    model = make(max(1, int(trees)))
    model.fit(X, y, sample_weight=sample_weight)
    return model
