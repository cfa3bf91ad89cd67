"""XGBoost with depth-limited trees: level-wise histogram boosting with row/column sampling and L1/L2 (imported lazily).

Beside ``lightgbm`` because its trees grow level by level to a fixed depth with a hessian-weighted leaf
size (``min_child_weight``) and an L2 penalty on by default, a shape LightGBM's leaf-wise trees do not
reach from their space; FLAML's ``xgb_limitdepth``. Not in the default set (see
``bench/results/design_figures.md``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from zygarde.ml.algorithms._base import ALL, Algorithm, pick
from zygarde.ml.algorithms._inner_split import MIN_EARLY_STOP_ROWS, fit_early_stopped, refit_every_row
from zygarde.ml.space import FloatDim, IntDim


# scikit-learn is untyped: its base classes are Any to mypy
class EarlyStoppedXGBoost(BaseEstimator):  # type: ignore[misc]
    """XGBoost with early stopping on an inner split of the rows it is fitted on (:mod:`._inner_split`):
    ``n_estimators`` is a cap and ``best_iteration_`` says how many trees were kept. Class labels of any
    kind are coded 0..k-1 for XGBoost and decoded back; categoricals arrive ordinal-coded (missing: NaN).
    ``refit_every_row``: after early stopping, fit again on every row with the trees kept (a final model)."""

    def __init__(self, task: str = "binary", n_estimators: int = 1000, learning_rate: float = 0.1,
                 max_depth: int = 6, min_child_weight: float = 1.0, colsample_bytree: float = 1.0,
                 subsample: float = 1.0, reg_alpha: float = 0.0, reg_lambda: float = 1.0,
                 random_state: int = 0, patience: int = 50, refit_every_row: bool = False) -> None:
        self.task = task
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.colsample_bytree = colsample_bytree
        self.subsample = subsample
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.random_state = random_state
        self.patience = patience
        self.refit_every_row = refit_every_row

    def _model(self, early_stopping: bool, n_estimators: int | None = None) -> Any:
        try:
            import xgboost
        except ImportError as exc:  # pragma: no cover - xgboost is a dependency; this is the clear error
            raise RuntimeError("the xgboost algorithm needs the xgboost package: pip install xgboost-cpu") from exc
        # one thread per fit, as every trial
        trees = int(self.n_estimators if n_estimators is None else n_estimators)
        kw: dict[str, Any] = {"n_estimators": trees, "learning_rate": float(self.learning_rate),
                              "max_depth": int(self.max_depth), "min_child_weight": float(self.min_child_weight),
                              "colsample_bytree": float(self.colsample_bytree), "subsample": float(self.subsample),
                              "reg_alpha": float(self.reg_alpha), "reg_lambda": float(self.reg_lambda),
                              "tree_method": "hist", "random_state": self.random_state, "n_jobs": 1, "verbosity": 0}
        if early_stopping:
            kw["early_stopping_rounds"] = int(self.patience)
        if self.task == "regression":
            return xgboost.XGBRegressor(**kw)
        return xgboost.XGBClassifier(**kw)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> EarlyStoppedXGBoost:
        target = np.asarray(y)
        if self.task != "regression":
            self.classes_, target = np.unique(target, return_inverse=True)
        model = self._model(early_stopping=len(X) >= MIN_EARLY_STOP_ROWS)
        held_out = fit_early_stopped(model, X, target, sample_weight, self.task, self.random_state,
                                     lambda X_stop, y_stop: {"eval_set": [(X_stop, y_stop)], "verbose": False})
        best = getattr(model, "best_iteration", None) if held_out else None
        self.best_iteration_ = int(best) + 1 if best is not None else int(self.n_estimators)
        if held_out and self.refit_every_row:
            model = refit_every_row(lambda trees: self._model(False, trees), self.best_iteration_, X, target,
                                    sample_weight)
        self.model_ = model
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: Any) -> Any:
        out = np.asarray(self.model_.predict(X))  # with early stopping: the best iteration's trees only
        return out if self.task == "regression" else self.classes_[out.astype(int)]

    def predict_proba(self, X: Any) -> Any:
        return self.model_.predict_proba(X)

    @property
    def feature_importances_(self) -> Any:
        return self.model_.feature_importances_


def _xgboost(p: dict[str, Any], task: str, seed: int) -> Any:
    kw = pick(p, n_estimators=1000, learning_rate=0.1, max_depth=6, min_child_weight=1.0, colsample_bytree=1.0,
              subsample=1.0, reg_alpha=0.0, reg_lambda=1.0)
    return EarlyStoppedXGBoost(task=task, **kw, random_state=seed)


ALGORITHMS = [
    Algorithm("xgboost", ALL, {
        "n_estimators": IntDim(100, 2000, log=True),  # a cap: early stopping ends most fits sooner
        "learning_rate": FloatDim(0.01, 0.3, log=True),
        "max_depth": IntDim(2, 10),
        "min_child_weight": FloatDim(0.01, 64.0, log=True),
        "colsample_bytree": FloatDim(0.3, 1.0),
        "subsample": FloatDim(0.5, 1.0),
        "reg_alpha": FloatDim(1e-4, 10.0, log=True),
        "reg_lambda": FloatDim(1e-3, 10.0, log=True),
    }, _xgboost, ordinal_categoricals=True, seed_varies=True,
        description="XGBoost depth-limited level-wise boosting, row/column sampling, L1/L2 (one thread, early stop)"),
]
