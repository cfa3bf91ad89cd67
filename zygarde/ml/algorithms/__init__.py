"""The algorithm catalog: one module per family, one registry.

``get(name)`` gives an :class:`Algorithm`; ``names(task)`` the catalog for a task;
``default_algorithms(task)`` a quick, sensible set; ``space_for(name, override)`` the space a
strategy searches (the user's JSON override replaces the default space entirely).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zygarde.ml import space as sp
from zygarde.ml.algorithms import boosting, linear, naive_bayes, neighbors, neural, probes, svm, trees
from zygarde.ml.algorithms._base import Algorithm

FAMILIES = (linear, svm, neighbors, naive_bayes, trees, boosting, neural, probes)
REGISTRY: dict[str, Algorithm] = {a.name: a for mod in FAMILIES for a in mod.ALGORITHMS}

_DEFAULTS = {
    "binary": ["logistic_regression", "random_forest", "hist_gradient_boosting", "catboost"],
    "multiclass": ["logistic_regression", "random_forest", "hist_gradient_boosting", "catboost"],
    "regression": ["ridge", "random_forest", "hist_gradient_boosting", "catboost"],
}


def get(name: str) -> Algorithm:
    """The algorithm called ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown algorithm {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def names(task: str | None = None) -> list[str]:
    """Sorted names of the algorithms serving ``task`` (every one when ``task`` is None)."""
    return sorted(n for n, a in REGISTRY.items() if task is None or task in a.tasks)


def default_algorithms(task: str) -> list[str]:
    """A quick, sensible default set for ``task`` (a linear model, a forest, two boosters)."""
    return list(_DEFAULTS[task])


def space_for(name: str, override: Mapping[str, Any] | None = None) -> sp.Space:
    """The algorithm's default space, or the user's override parsed (raises SpecError)."""
    algorithm = get(name)
    if override is not None:
        return sp.parse_space(override)
    return dict(algorithm.space)


__all__ = ["REGISTRY", "Algorithm", "default_algorithms", "get", "names", "space_for"]
