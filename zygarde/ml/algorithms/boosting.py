"""Boosting: gradient boosting, histogram gradient boosting, CatBoost (imported lazily)."""

from __future__ import annotations

from typing import Any

from sklearn import ensemble

from zygarde.ml.algorithms._base import ALL, Algorithm
from zygarde.ml.space import FloatDim, IntDim


def _gb(p: dict[str, Any], task: str, seed: int) -> Any:
    common = dict(n_estimators=p.get("n_estimators", 100), learning_rate=p.get("learning_rate", 0.1),
                  max_depth=p.get("max_depth", 3), subsample=p.get("subsample", 1.0), random_state=seed)
    if task == "regression":
        return ensemble.GradientBoostingRegressor(**common)
    return ensemble.GradientBoostingClassifier(**common)


def _hgb(p: dict[str, Any], task: str, seed: int) -> Any:
    common = dict(learning_rate=p.get("learning_rate", 0.1), max_leaf_nodes=p.get("max_leaf_nodes", 31),
                  min_samples_leaf=p.get("min_samples_leaf", 20), l2_regularization=p.get("l2_regularization", 0.0),
                  max_iter=p.get("max_iter", 200), random_state=seed)
    if task == "regression":
        return ensemble.HistGradientBoostingRegressor(**common)
    return ensemble.HistGradientBoostingClassifier(class_weight=p.get("class_weight"), **common)


def _catboost(p: dict[str, Any], task: str, seed: int) -> Any:
    try:
        import catboost
    except ImportError as exc:  # pragma: no cover - catboost is a dependency; this is the clear error
        raise RuntimeError("catboost is not installed: pip install catboost") from exc
    common = dict(iterations=p.get("iterations", 200), depth=p.get("depth", 6),
                  learning_rate=p.get("learning_rate", 0.1), l2_leaf_reg=p.get("l2_leaf_reg", 3.0),
                  random_seed=seed, thread_count=1, verbose=False, allow_writing_files=False)
    if task == "regression":
        return catboost.CatBoostRegressor(**common)
    weights = "Balanced" if p.get("class_weight") == "balanced" else None
    return catboost.CatBoostClassifier(auto_class_weights=weights, **common)


ALGORITHMS = [
    Algorithm("gradient_boosting", ALL, {
        "n_estimators": IntDim(50, 300, log=True), "learning_rate": FloatDim(0.01, 0.3, log=True),
        "max_depth": IntDim(2, 6), "subsample": FloatDim(0.5, 1.0),
    }, _gb, description="sklearn gradient boosting (exact splits)"),
    Algorithm("hist_gradient_boosting", ALL, {
        "learning_rate": FloatDim(0.01, 0.3, log=True), "max_leaf_nodes": IntDim(8, 128, log=True),
        "min_samples_leaf": IntDim(5, 100, log=True), "l2_regularization": FloatDim(1e-6, 10.0, log=True),
        "max_iter": IntDim(50, 400, log=True),
    }, _hgb, supports_class_weight=True, description="histogram gradient boosting (LightGBM-style)"),
    Algorithm("catboost", ALL, {
        "iterations": IntDim(100, 400, log=True), "depth": IntDim(3, 8),
        "learning_rate": FloatDim(0.02, 0.3, log=True), "l2_leaf_reg": FloatDim(1.0, 10.0, log=True),
    }, _catboost, native_categoricals=True, supports_class_weight=True,
        description="CatBoost ordered boosting with native categoricals (thread_count=1)"),
]
