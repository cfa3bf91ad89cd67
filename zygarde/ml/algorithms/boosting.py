"""Boosting: sklearn gradient boosting, histogram gradient boosting, CatBoost (imported lazily)."""

from __future__ import annotations

from typing import Any

from sklearn import ensemble

from zygarde.ml.algorithms._base import ALL, Algorithm, pick
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


def _catboost(p: dict[str, Any], task: str, seed: int) -> Any:
    try:
        import catboost
    except ImportError as exc:  # pragma: no cover - catboost is a dependency; this is the clear error
        raise RuntimeError("the catboost algorithm needs the catboost package: pip install catboost") from exc
    kw = pick(p, iterations=200, depth=6, learning_rate=0.1, l2_leaf_reg=3.0, cat_features=None)
    kw.update(random_seed=seed, thread_count=1, verbose=False, allow_writing_files=False)
    if task == "regression":
        return catboost.CatBoostRegressor(**kw)
    weights = "Balanced" if p.get("class_weight") == "balanced" else None
    return catboost.CatBoostClassifier(**kw, auto_class_weights=weights)


ALGORITHMS = [
    Algorithm("gradient_boosting", ALL, {
        "n_estimators": IntDim(50, 300, log=True),
        "learning_rate": FloatDim(0.01, 0.3, log=True),
        "max_depth": IntDim(2, 6),
        "subsample": FloatDim(0.5, 1.0),
        "max_features": CategoricalDim(("sqrt", None)),
    }, _gb, description="sklearn gradient boosting (exact splits; slow on many rows)"),
    Algorithm("hist_gradient_boosting", ALL, {
        "learning_rate": FloatDim(0.01, 0.3, log=True),
        "max_leaf_nodes": IntDim(8, 128, log=True),
        "min_samples_leaf": IntDim(5, 100, log=True),
        "l2_regularization": FloatDim(1e-6, 10.0, log=True),
        "max_iter": IntDim(50, 300, log=True),
        "max_features": FloatDim(0.5, 1.0),
    }, _hgb, supports_class_weight=True, description="histogram gradient boosting (LightGBM-style)"),
    Algorithm("catboost", ALL, {
        "iterations": IntDim(100, 500, log=True),
        "depth": IntDim(4, 8),
        "learning_rate": FloatDim(0.02, 0.3, log=True),
        "l2_leaf_reg": FloatDim(1.0, 10.0, log=True),
    }, _catboost, native_categoricals=True, supports_class_weight=True,
        description="CatBoost ordered boosting with native categorical features (thread_count=1)"),
]
