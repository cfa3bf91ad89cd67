"""Small synthetic frames and specs shared by the ML unit tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression

from zygarde.events import JobSpec


def frame(task: str, n: int = 240, seed: int = 0, labels: tuple[Any, ...] | None = None) -> pd.DataFrame:
    """Five informative numeric columns, one categorical, and a target ``y``."""
    if task == "regression":
        X, y = make_regression(n_samples=n, n_features=5, noise=5.0, random_state=seed)
    else:
        X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                                   n_classes=2 if task == "binary" else 3, random_state=seed)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    df["color"] = np.random.default_rng(seed).choice(["red", "green", "blue"], size=n)
    df["y"] = y if labels is None else np.asarray(labels, dtype=object)[y]
    return df


def spec(metric: str, **extra: Any) -> JobSpec:
    doc: dict[str, Any] = {"dataset": {"uri": "builtin:x", "target": "y"}, "metric": metric,
                           "cv": {"folds": 3}}
    return JobSpec.model_validate({**doc, **extra})
