"""Multi-layer perceptrons (sklearn), with a bounded number of epochs so a trial stays cheap."""

from __future__ import annotations

from typing import Any

from sklearn import neural_network

from zygarde.ml.algorithms._base import ALL, Algorithm
from zygarde.ml.space import CategoricalDim, FloatDim, IntDim


def _mlp(p: dict[str, Any], task: str, seed: int) -> Any:
    width = int(p.get("hidden", 64))
    layers = (width,) if int(p.get("layers", 1)) == 1 else (width, int(p.get("hidden2", max(8, width // 2))))
    kw = dict(hidden_layer_sizes=layers, alpha=p.get("alpha", 1e-4),
              learning_rate_init=p.get("learning_rate_init", 1e-3), max_iter=150, n_iter_no_change=10,
              random_state=seed)
    if task == "regression":
        return neural_network.MLPRegressor(**kw, early_stopping=True)
    # no early stopping for classes: its validation accuracy is flat on rare positives, so it would
    # stop after a few epochs; the training-loss tolerance stops it instead
    return neural_network.MLPClassifier(**kw, early_stopping=False)


ALGORITHMS = [
    Algorithm("mlp", ALL, {
        "hidden": IntDim(16, 128, log=True),
        "layers": CategoricalDim((1, 2)),
        "hidden2": IntDim(8, 64, log=True, when={"layers": (2,)}),
        "alpha": FloatDim(1e-6, 1e-1, log=True),
        "learning_rate_init": FloatDim(1e-4, 1e-2, log=True),
    }, _mlp, needs_scaling=True, scale_target=True, seed_varies=True,
        description="one- or two-hidden-layer perceptron (early stopping for regression)"),
]
