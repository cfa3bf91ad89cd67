"""Linear models: logistic regression and SGD for classes; ridge, lasso and elastic net for values."""

from __future__ import annotations

from typing import Any

from sklearn import linear_model

from zygarde.ml.algorithms._base import CLS, REG, Algorithm, pick
from zygarde.ml.space import CategoricalDim, FloatDim


def _logistic(p: dict[str, Any], task: str, seed: int) -> Any:
    l1_ratio = float(p.get("l1_ratio", 0.0))
    C = float(p.get("C", 1.0))
    # lbfgs is the fast path for pure L2. An L1 part needs liblinear or saga: liblinear solves a binary
    # L1 problem in a fraction of saga's time while C is small (and ever slower as C grows), saga with a
    # loose tolerance does the rest (bench/results/portfolio.md has the timings).
    if l1_ratio == 0.0:
        solver, tol, max_iter = "lbfgs", 1e-4, 500
    elif l1_ratio == 1.0 and task == "binary" and C <= 1.0:
        solver, tol, max_iter = "liblinear", 1e-3, 300
    else:
        solver, tol, max_iter = "saga", 1e-3, 200
    return linear_model.LogisticRegression(C=C, l1_ratio=l1_ratio, solver=solver, tol=tol, max_iter=max_iter,
                                           class_weight=p.get("class_weight"), random_state=seed)


def _sgd(p: dict[str, Any], task: str, seed: int) -> Any:
    kw = pick(p, alpha=1e-4, penalty="l2", l1_ratio=0.15)
    if task == "regression":
        return linear_model.SGDRegressor(**kw, random_state=seed)
    # both losses offer predict_proba, so probability metrics work
    return linear_model.SGDClassifier(**kw, loss=p.get("loss", "log_loss"),
                                      class_weight=p.get("class_weight"), random_state=seed)


ALGORITHMS = [
    Algorithm("logistic_regression", CLS, {
        "C": FloatDim(1e-3, 1e2, log=True),
        "l1_ratio": CategoricalDim((0.0, 0.5, 1.0)),
    }, _logistic, needs_scaling=True, supports_class_weight=True,
        description="logistic regression, L2 / elastic-net / L1 (l1_ratio); C on a log scale"),
    Algorithm("sgd", CLS | REG, {
        "alpha": FloatDim(1e-6, 1e-1, log=True),
        "penalty": CategoricalDim(("l2", "l1", "elasticnet")),
        "l1_ratio": FloatDim(0.05, 0.95, when={"penalty": ("elasticnet",)}),
    }, _sgd, needs_scaling=True, supports_class_weight=True, scale_target=True,
        description="linear model by stochastic gradient descent (log loss for classes)"),
    Algorithm("ridge", REG, {"alpha": FloatDim(1e-3, 1e3, log=True)},
              lambda p, t, s: linear_model.Ridge(alpha=p.get("alpha", 1.0)), needs_scaling=True,
              description="L2-regularised least squares"),
    Algorithm("lasso", REG, {"alpha": FloatDim(1e-4, 1e1, log=True)},
              lambda p, t, s: linear_model.Lasso(alpha=p.get("alpha", 1.0), max_iter=5000, random_state=s),
              needs_scaling=True, description="L1-regularised least squares"),
    Algorithm("elastic_net", REG, {"alpha": FloatDim(1e-4, 1e1, log=True), "l1_ratio": FloatDim(0.05, 0.95)},
              lambda p, t, s: linear_model.ElasticNet(**pick(p, alpha=1.0, l1_ratio=0.5), max_iter=5000,
                                                      random_state=s),
              needs_scaling=True, description="L1+L2-regularised least squares"),
]
