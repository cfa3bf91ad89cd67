"""k-nearest neighbours, for classes and values."""

from __future__ import annotations

from typing import Any

from sklearn import neighbors

from zygarde.ml.algorithms._base import ALL, Algorithm
from zygarde.ml.space import CategoricalDim, IntDim


def _knn(p: dict[str, Any], task: str, seed: int) -> Any:
    kw = {"n_neighbors": p.get("n_neighbors", 5), "weights": p.get("weights", "uniform"), "p": p.get("p", 2)}
    if task == "regression":
        return neighbors.KNeighborsRegressor(**kw, n_jobs=1)
    return neighbors.KNeighborsClassifier(**kw, n_jobs=1)


ALGORITHMS = [
    Algorithm("knn", ALL, {
        "n_neighbors": IntDim(1, 50, log=True),
        "weights": CategoricalDim(("uniform", "distance")),
        "p": CategoricalDim((1, 2)),
    }, _knn, needs_scaling=True, description="k-nearest neighbours (Manhattan or Euclidean distance)"),
]
