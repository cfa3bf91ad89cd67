"""Linear models: logistic regression, linear SVM, SGD; ridge, lasso, elastic net, SVR."""

from __future__ import annotations

from typing import Any

from sklearn import linear_model, svm

from zygarde.ml.algorithms._base import CLS, REG, Algorithm
from zygarde.ml.space import CategoricalDim, FloatDim


def _logistic(p: dict[str, Any], task: str, seed: int) -> Any:
    return linear_model.LogisticRegression(C=p.get("C", 1.0), l1_ratio=p.get("l1_ratio", 0.0),
                                           solver="saga" if p.get("l1_ratio") else "lbfgs", max_iter=2000,
                                           class_weight=p.get("class_weight"), random_state=seed)


def _linear_svm(p: dict[str, Any], task: str, seed: int) -> Any:
    if task == "regression":
        return svm.LinearSVR(C=p.get("C", 1.0), epsilon=p.get("epsilon", 0.0), max_iter=5000, random_state=seed)
    return svm.LinearSVC(C=p.get("C", 1.0), class_weight=p.get("class_weight"), max_iter=5000, random_state=seed)


def _sgd(p: dict[str, Any], task: str, seed: int) -> Any:
    if task == "regression":
        return linear_model.SGDRegressor(alpha=p.get("alpha", 1e-4), penalty=p.get("penalty", "l2"), random_state=seed)
    return linear_model.SGDClassifier(alpha=p.get("alpha", 1e-4), penalty=p.get("penalty", "l2"), loss="log_loss",
                                      class_weight=p.get("class_weight"), random_state=seed)


ALGORITHMS = [
    Algorithm("logistic_regression", CLS, {
        "C": FloatDim(1e-3, 1e3, log=True),
        "l1_ratio": CategoricalDim((0.0, 0.5, 1.0)),
    }, _logistic, needs_scaling=True, supports_class_weight=True,
        description="L2/elastic-net/L1 logistic regression; C on a log scale"),
    Algorithm("linear_svm", CLS | REG, {"C": FloatDim(1e-3, 1e2, log=True)}, _linear_svm, needs_scaling=True,
              supports_class_weight=True, description="linear support-vector machine (no probabilities)"),
    Algorithm("sgd", CLS | REG, {
        "alpha": FloatDim(1e-6, 1e-1, log=True), "penalty": CategoricalDim(("l2", "l1", "elasticnet")),
    }, _sgd, needs_scaling=True, supports_class_weight=True, description="stochastic gradient descent, log loss"),
    Algorithm("ridge", REG, {"alpha": FloatDim(1e-3, 1e3, log=True)},
              lambda p, t, s: linear_model.Ridge(alpha=p.get("alpha", 1.0)), needs_scaling=True,
              description="L2-regularised least squares"),
    Algorithm("lasso", REG, {"alpha": FloatDim(1e-4, 1e1, log=True)},
              lambda p, t, s: linear_model.Lasso(alpha=p.get("alpha", 1.0), max_iter=5000, random_state=s),
              needs_scaling=True, description="L1-regularised least squares"),
    Algorithm("elastic_net", REG, {"alpha": FloatDim(1e-4, 1e1, log=True), "l1_ratio": FloatDim(0.05, 0.95)},
              lambda p, t, s: linear_model.ElasticNet(alpha=p.get("alpha", 1.0), l1_ratio=p.get("l1_ratio", 0.5),
                                                      max_iter=5000, random_state=s),
              needs_scaling=True, description="L1+L2-regularised least squares"),
    Algorithm("svr", REG, {"C": FloatDim(1e-2, 1e2, log=True), "epsilon": FloatDim(1e-3, 1.0, log=True)},
              lambda p, t, s: svm.SVR(C=p.get("C", 1.0), epsilon=p.get("epsilon", 0.1)), needs_scaling=True,
              description="RBF support-vector regression"),
]
