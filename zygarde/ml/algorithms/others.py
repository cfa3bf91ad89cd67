"""k-nearest neighbours, naive Bayes, MLP."""

from __future__ import annotations

from typing import Any

from sklearn import naive_bayes, neighbors, neural_network

from zygarde.ml.algorithms._base import ALL, CLS, Algorithm
from zygarde.ml.space import CategoricalDim, FloatDim, IntDim


def _knn(p: dict[str, Any], task: str, seed: int) -> Any:
    common = dict(n_neighbors=p.get("n_neighbors", 5), weights=p.get("weights", "uniform"), n_jobs=1)
    return neighbors.KNeighborsRegressor(**common) if task == "regression" else neighbors.KNeighborsClassifier(**common)


def _mlp(p: dict[str, Any], task: str, seed: int) -> Any:
    common = dict(hidden_layer_sizes=(p.get("hidden", 64),), alpha=p.get("alpha", 1e-4),
                  learning_rate_init=p.get("learning_rate_init", 1e-3), max_iter=300, early_stopping=True,
                  random_state=seed)
    if task == "regression":
        return neural_network.MLPRegressor(**common)
    return neural_network.MLPClassifier(**common)


ALGORITHMS = [
    Algorithm("knn", ALL, {"n_neighbors": IntDim(1, 50, log=True), "weights": CategoricalDim(("uniform", "distance"))},
              _knn, needs_scaling=True, description="k-nearest neighbours"),
    Algorithm("naive_bayes", CLS, {"var_smoothing": FloatDim(1e-12, 1e-3, log=True)},
              lambda p, t, s: naive_bayes.GaussianNB(var_smoothing=p.get("var_smoothing", 1e-9)),
              description="Gaussian naive Bayes"),
    Algorithm("mlp", ALL, {"hidden": IntDim(16, 256, log=True), "alpha": FloatDim(1e-6, 1e-1, log=True),
                           "learning_rate_init": FloatDim(1e-4, 1e-2, log=True)},
              _mlp, needs_scaling=True, description="one-hidden-layer perceptron with early stopping"),
]
