"""Support-vector machines: a calibrated linear SVM for classes, SVR (RBF or linear kernel) for values."""

from __future__ import annotations

from typing import Any

from sklearn import svm
from sklearn.calibration import CalibratedClassifierCV

from zygarde.ml.algorithms._base import CLS, REG, Algorithm
from zygarde.ml.space import CategoricalDim, FloatDim


def _linear_svm(p: dict[str, Any], task: str, seed: int) -> Any:
    # primal liblinear: converges in ~200 iterations on tabular data where the dual needs thousands
    base = svm.LinearSVC(C=p.get("C", 1.0), class_weight=p.get("class_weight"), dual=False, max_iter=2000,
                         random_state=seed)
    # Platt scaling on internal folds: the artifact must offer predict_proba (CONTRACT), and
    # logloss/brier need probabilities, which a bare margin model has not.
    return CalibratedClassifierCV(base, method="sigmoid", cv=3, ensemble=False)


def _svr(p: dict[str, Any], task: str, seed: int) -> Any:
    kernel = p.get("kernel", "rbf")
    gamma = p.get("gamma", "scale") if kernel == "rbf" else "scale"
    return svm.SVR(C=p.get("C", 1.0), epsilon=p.get("epsilon", 0.1), kernel=kernel, gamma=gamma,
                   cache_size=200)


ALGORITHMS = [
    Algorithm("linear_svm", CLS, {"C": FloatDim(1e-4, 1.0, log=True)}, _linear_svm, needs_scaling=True,
              supports_class_weight=True,
              description="linear support-vector machine with sigmoid-calibrated probabilities"),
    Algorithm("svr", REG, {
        "C": FloatDim(1e-2, 1e2, log=True),
        "epsilon": FloatDim(1e-3, 1.0, log=True),
        "kernel": CategoricalDim(("rbf", "linear")),
        "gamma": FloatDim(1e-4, 1.0, log=True, when={"kernel": ("rbf",)}),
    }, _svr, needs_scaling=True, scale_target=True,
        description="support-vector regression (RBF or linear kernel); quadratic in rows, best under ~20k"),
]
