"""LightGBM: leaf-wise gradient boosting with column and row sampling and L1/L2 penalties (imported lazily).

Beside ``hist_gradient_boosting`` (the same idea in scikit-learn) because it fits the same trees several
times faster on one thread and its column sampling and penalties reach configurations scikit-learn's
cannot; FLAML's and AutoGluon's first choice on tabular data.
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from zygarde.ml.algorithms._base import ALL, Algorithm, pick
from zygarde.ml.algorithms._inner_split import fit_early_stopped, refit_every_row
from zygarde.ml.space import FloatDim, IntDim


# scikit-learn is untyped: its base classes are Any to mypy
class EarlyStoppedLightGBM(BaseEstimator):  # type: ignore[misc]
    """LightGBM with early stopping on an inner split of the rows it is fitted on (:mod:`._inner_split`):
    ``n_estimators`` is a cap and ``best_iteration_`` says how many trees were kept. Categorical columns
    arrive ordinal-coded and are split on as ordered codes: LightGBM's own category splits scored lower
    in cross-validation on the public datasets' small categorical columns (``bench/results/design_figures.md``).
    ``refit_every_row``: after early stopping, fit again on every row with the trees kept (a final model)."""

    def __init__(self, task: str = "binary", n_estimators: int = 1000, learning_rate: float = 0.1,
                 num_leaves: int = 31, min_child_samples: int = 20, colsample_bytree: float = 1.0,
                 subsample: float = 1.0, reg_alpha: float = 0.0, reg_lambda: float = 0.0,
                 class_weight: str | None = None, random_state: int = 0,
                 patience: int = 50, refit_every_row: bool = False) -> None:
        self.task = task
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.subsample = subsample
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.class_weight = class_weight
        self.random_state = random_state
        self.patience = patience
        self.refit_every_row = refit_every_row

    def _model(self, n_estimators: int | None = None) -> Any:
        try:
            import lightgbm
        except ImportError as exc:  # pragma: no cover - lightgbm is a dependency; this is the clear error
            raise RuntimeError("the lightgbm algorithm needs the lightgbm package: pip install lightgbm") from exc
        # one thread per fit, as every trial; bagging needs a frequency to take effect
        trees = int(self.n_estimators if n_estimators is None else n_estimators)
        kw: dict[str, Any] = {"n_estimators": trees, "learning_rate": float(self.learning_rate),
                              "num_leaves": int(self.num_leaves), "min_child_samples": int(self.min_child_samples),
                              "colsample_bytree": float(self.colsample_bytree), "subsample": float(self.subsample),
                              "subsample_freq": 1 if self.subsample < 1.0 else 0, "reg_alpha": float(self.reg_alpha),
                              "reg_lambda": float(self.reg_lambda), "random_state": self.random_state, "n_jobs": 1,
                              "verbose": -1}
        if self.task == "regression":
            return lightgbm.LGBMRegressor(**kw)
        return lightgbm.LGBMClassifier(**kw, class_weight=self.class_weight)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> EarlyStoppedLightGBM:
        import lightgbm

        model = self._model()
        held_out = fit_early_stopped(model, X, y, sample_weight, self.task, self.random_state,
                                     lambda X_stop, y_stop: {"eval_set": [(X_stop, y_stop)], "callbacks": [
                                         lightgbm.early_stopping(int(self.patience), verbose=False)]})
        self.best_iteration_ = int(model.best_iteration_ or model.n_estimators)
        if held_out and self.refit_every_row:
            model = refit_every_row(self._model, self.best_iteration_, X, y, sample_weight)
        self.model_ = model
        if self.task != "regression":
            self.classes_ = model.classes_
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: Any) -> Any:
        return self.model_.predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self.model_.predict_proba(X)

    @property
    def feature_importances_(self) -> Any:
        return self.model_.feature_importances_


def _lightgbm(p: dict[str, Any], task: str, seed: int) -> Any:
    kw = pick(p, n_estimators=1000, learning_rate=0.1, num_leaves=31, min_child_samples=20, colsample_bytree=1.0,
              subsample=1.0, reg_alpha=0.0, reg_lambda=0.0)
    return EarlyStoppedLightGBM(task=task, **kw, class_weight=p.get("class_weight"), random_state=seed)


ALGORITHMS = [
    Algorithm("lightgbm", ALL, {
        "n_estimators": IntDim(100, 2000, log=True),  # a cap: early stopping ends most fits sooner
        "learning_rate": FloatDim(0.01, 0.3, log=True),
        "num_leaves": IntDim(4, 256, log=True),
        "min_child_samples": IntDim(2, 128, log=True),
        "colsample_bytree": FloatDim(0.3, 1.0),
        "subsample": FloatDim(0.5, 1.0),
        "reg_alpha": FloatDim(1e-4, 10.0, log=True),
        "reg_lambda": FloatDim(1e-4, 10.0, log=True),
    }, _lightgbm, supports_class_weight=True, ordinal_categoricals=True, seed_varies=True,
        description="LightGBM leaf-wise boosting, column/row sampling, L1/L2 (one thread, early stopping)"),
]
