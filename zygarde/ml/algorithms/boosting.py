"""Boosting: sklearn gradient boosting, histogram gradient boosting, CatBoost (imported lazily)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import ensemble
from sklearn.base import BaseEstimator

from zygarde.ml.algorithms._base import ALL, Algorithm, pick
from zygarde.ml.algorithms._inner_split import fit_early_stopped
from zygarde.ml.space import CategoricalDim, FloatDim, IntDim


def _gb(p: dict[str, Any], task: str, seed: int) -> Any:
    kw = pick(p, n_estimators=100, learning_rate=0.1, max_depth=3, subsample=1.0, max_features=None)
    if task == "regression":
        return ensemble.GradientBoostingRegressor(**kw, random_state=seed)
    return ensemble.GradientBoostingClassifier(**kw, random_state=seed)


def _hgb(p: dict[str, Any], task: str, seed: int) -> Any:
    kw = pick(p, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20, l2_regularization=0.0,
              max_iter=200, max_features=1.0)
    # early stopping on an internal split keeps a trial cheap whatever max_iter was drawn
    kw.update(early_stopping=p.get("early_stopping", True), random_state=seed)
    if task == "regression":
        return ensemble.HistGradientBoostingRegressor(**kw)
    return ensemble.HistGradientBoostingClassifier(**kw, class_weight=p.get("class_weight"))


# scikit-learn is untyped: its base classes are Any to mypy
class EarlyStoppedCatBoost(BaseEstimator):  # type: ignore[misc]
    """CatBoost with early stopping on an inner split of the rows it is fitted on (stratified for
    classes): ``iterations`` is a cap, the trees kept are those up to the best inner score, and
    ``best_iteration_`` says how many. Fitted on fewer than ``MIN_EARLY_STOP_ROWS`` rows it trains every
    tree (:mod:`._inner_split`). ``cat_features`` is set by the pipeline for native categoricals."""

    def __init__(self, task: str = "binary", iterations: int = 1000, depth: int = 6, learning_rate: float = 0.1,
                 l2_leaf_reg: float = 3.0, cat_features: Any = None, class_weight: str | None = None,
                 random_seed: int = 0, patience: int = 50) -> None:
        self.task = task
        self.iterations = iterations
        self.depth = depth
        self.learning_rate = learning_rate
        self.l2_leaf_reg = l2_leaf_reg
        self.cat_features = cat_features
        self.class_weight = class_weight
        self.random_seed = random_seed
        self.patience = patience

    def _model(self) -> Any:
        try:
            import catboost
        except ImportError as exc:  # pragma: no cover - catboost is a dependency; this is the clear error
            raise RuntimeError("the catboost algorithm needs the catboost package: pip install catboost") from exc
        kw = {"iterations": int(self.iterations), "depth": int(self.depth), "learning_rate": float(self.learning_rate),
              "l2_leaf_reg": float(self.l2_leaf_reg), "cat_features": self.cat_features,
              "random_seed": self.random_seed, "thread_count": 1, "verbose": False, "allow_writing_files": False}
        if self.task == "regression":
            return catboost.CatBoostRegressor(**kw)
        weights = "Balanced" if self.class_weight == "balanced" else None
        return catboost.CatBoostClassifier(**kw, auto_class_weights=weights)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> EarlyStoppedCatBoost:
        model = self._model()
        fit_early_stopped(model, X, y, sample_weight, self.task, self.random_seed,
                          lambda X_stop, y_stop: {"eval_set": (X_stop, y_stop),
                                                  "early_stopping_rounds": int(self.patience), "use_best_model": True})
        self.model_ = model
        self.best_iteration_ = int(model.get_best_iteration() or model.tree_count_)
        if self.task != "regression":
            self.classes_ = model.classes_
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: Any) -> Any:
        out = self.model_.predict(X)
        return np.asarray(out).ravel() if self.task == "regression" else np.asarray(out).reshape(len(X), -1)[:, 0]

    def predict_proba(self, X: Any) -> Any:
        return self.model_.predict_proba(X)

    @property
    def feature_importances_(self) -> Any:
        return self.model_.get_feature_importance()


def _catboost(p: dict[str, Any], task: str, seed: int) -> Any:
    kw = pick(p, iterations=1000, depth=6, learning_rate=0.1, l2_leaf_reg=3.0, cat_features=None)
    return EarlyStoppedCatBoost(task=task, **kw, class_weight=p.get("class_weight"), random_seed=seed)


ALGORITHMS = [
    Algorithm("gradient_boosting", ALL, {
        "n_estimators": IntDim(50, 300, log=True),
        "learning_rate": FloatDim(0.01, 0.3, log=True),
        "max_depth": IntDim(2, 6),
        "subsample": FloatDim(0.5, 1.0),
        "max_features": CategoricalDim(("sqrt", None)),
    }, _gb, seed_varies=True, description="sklearn gradient boosting (exact splits; slow on many rows)"),
    Algorithm("hist_gradient_boosting", ALL, {
        "learning_rate": FloatDim(0.01, 0.3, log=True),
        "max_leaf_nodes": IntDim(8, 128, log=True),
        "min_samples_leaf": IntDim(5, 100, log=True),
        "l2_regularization": FloatDim(1e-6, 10.0, log=True),
        "max_iter": IntDim(50, 1000, log=True),  # a cap: early stopping ends most fits sooner
        "max_features": FloatDim(0.5, 1.0),
    }, _hgb, supports_class_weight=True, ordinal_categoricals=True, seed_varies=True,
        description="histogram gradient boosting (LightGBM-style), native categorical splits"),
    Algorithm("catboost", ALL, {
        "iterations": IntDim(200, 2000, log=True),  # a cap: early stopping ends most fits sooner
        "depth": IntDim(4, 8),
        "learning_rate": FloatDim(0.02, 0.3, log=True),
        "l2_leaf_reg": FloatDim(1.0, 10.0, log=True),
    }, _catboost, native_categoricals=True, supports_class_weight=True, seed_varies=True,
        description="CatBoost ordered boosting with native categorical features (thread_count=1)"),
]
