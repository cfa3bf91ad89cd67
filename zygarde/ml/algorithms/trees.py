"""Tree models: one decision tree, random forest, extra trees (n_jobs=1: parallelism is many trainers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn import ensemble, tree

from zygarde.ml.algorithms._base import ALL, Algorithm, pick
from zygarde.ml.space import CategoricalDim, FloatDim, IntDim, Space

FOREST_SPACE: Space = {
    "n_estimators": IntDim(50, 200, log=True),
    "max_depth": CategoricalDim((None, 4, 8, 16)),
    "min_samples_leaf": IntDim(1, 20, log=True),
    "max_features": CategoricalDim(("sqrt", 0.3, 0.6)),
    "bootstrap": CategoricalDim((True, False)),
    "max_samples": FloatDim(0.3, 1.0, when={"bootstrap": (True,)}),
}


def _tree(p: dict[str, Any], task: str, seed: int) -> Any:
    kw = pick(p, max_depth=None, min_samples_leaf=1)
    if task == "regression":
        return tree.DecisionTreeRegressor(**kw, random_state=seed)
    return tree.DecisionTreeClassifier(**kw, class_weight=p.get("class_weight"), random_state=seed)


def _forest(regressor: type, classifier: type, default_bootstrap: bool) -> Callable[..., Any]:
    def build(p: dict[str, Any], task: str, seed: int) -> Any:
        kw = pick(p, n_estimators=100, max_depth=None, min_samples_leaf=1, max_features="sqrt",
                  bootstrap=default_bootstrap)
        kw["max_samples"] = p.get("max_samples") if kw["bootstrap"] else None
        if task == "regression":
            return regressor(**kw, n_jobs=1, random_state=seed)
        return classifier(**kw, class_weight=p.get("class_weight"), n_jobs=1, random_state=seed)

    return build


ALGORITHMS = [
    Algorithm("decision_tree", ALL, {
        "max_depth": IntDim(2, 20),
        "min_samples_leaf": IntDim(1, 50, log=True),
    }, _tree, supports_class_weight=True, description="one CART tree"),
    Algorithm("random_forest", ALL, dict(FOREST_SPACE),
              _forest(ensemble.RandomForestRegressor, ensemble.RandomForestClassifier, True),
              supports_class_weight=True, seed_varies=True, description="bagged CART trees with feature subsampling"),
    Algorithm("extra_trees", ALL, dict(FOREST_SPACE),
              _forest(ensemble.ExtraTreesRegressor, ensemble.ExtraTreesClassifier, False),
              supports_class_weight=True, seed_varies=True, description="extremely randomised trees"),
]
