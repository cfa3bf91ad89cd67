"""Tree models: decision tree, random forest, extra trees."""

from __future__ import annotations

from typing import Any

from sklearn import ensemble, tree

from zygarde.ml.algorithms._base import ALL, Algorithm
from zygarde.ml.space import CategoricalDim, FloatDim, IntDim, Space

FOREST_SPACE: Space = {
    "n_estimators": IntDim(50, 400, log=True),
    "max_depth": CategoricalDim((None, 4, 8, 16)),
    "min_samples_leaf": IntDim(1, 20, log=True),
    "max_features": CategoricalDim(("sqrt", 0.5, 1.0)),
}


def _tree(p: dict[str, Any], task: str, seed: int) -> Any:
    if task == "regression":
        return tree.DecisionTreeRegressor(max_depth=p.get("max_depth"), min_samples_leaf=p.get("min_samples_leaf", 1),
                                          random_state=seed)
    return tree.DecisionTreeClassifier(max_depth=p.get("max_depth"), min_samples_leaf=p.get("min_samples_leaf", 1),
                                       class_weight=p.get("class_weight"), random_state=seed)


def _forest(kind: str) -> Any:
    def build(p: dict[str, Any], task: str, seed: int) -> Any:
        common = dict(n_estimators=p.get("n_estimators", 100), max_depth=p.get("max_depth"),
                      min_samples_leaf=p.get("min_samples_leaf", 1), max_features=p.get("max_features", "sqrt"),
                      n_jobs=1, random_state=seed)
        if task == "regression":
            cls = ensemble.RandomForestRegressor if kind == "rf" else ensemble.ExtraTreesRegressor
            return cls(**common)
        ccls = ensemble.RandomForestClassifier if kind == "rf" else ensemble.ExtraTreesClassifier
        return ccls(class_weight=p.get("class_weight"), **common)

    return build


ALGORITHMS = [
    Algorithm("decision_tree", ALL, {"max_depth": IntDim(2, 20), "min_samples_leaf": IntDim(1, 50, log=True)},
              _tree, supports_class_weight=True, description="one CART tree"),
    Algorithm("random_forest", ALL, dict(FOREST_SPACE), _forest("rf"), supports_class_weight=True,
              description="bagged CART trees with feature subsampling"),
    Algorithm("extra_trees", ALL, dict(FOREST_SPACE), _forest("et"), supports_class_weight=True,
              description="extremely randomised trees"),
]
_ = FloatDim  # re-exported for spaces that need it
