"""The algorithm catalog: one module per family, one registry."""

from __future__ import annotations

from typing import Any

from zygarde.ml import space as sp
from zygarde.ml.algorithms import boosting, linear, others, probes, trees
from zygarde.ml.algorithms._base import Algorithm

FAMILIES = (linear, trees, boosting, others, probes)
REGISTRY: dict[str, Algorithm] = {a.name: a for mod in FAMILIES for a in mod.ALGORITHMS}

_DEFAULTS = {
    "binary": ["logistic_regression", "random_forest", "hist_gradient_boosting", "catboost"],
    "multiclass": ["logistic_regression", "random_forest", "hist_gradient_boosting", "catboost"],
    "regression": ["ridge", "random_forest", "hist_gradient_boosting", "catboost"],
}


def get(name: str) -> Algorithm:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown algorithm {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def names(task: str | None = None) -> list[str]:
    return sorted(n for n, a in REGISTRY.items() if task is None or task in a.tasks)


def default_algorithms(task: str) -> list[str]:
    return list(_DEFAULTS[task])


def space_for(name: str, override: dict[str, Any] | None = None) -> sp.Space:
    """The algorithm's default space, or the user's override parsed (raises SpecError)."""
    if override is not None:
        return sp.parse_space(override)
    return dict(get(name).space)


__all__ = ["REGISTRY", "Algorithm", "default_algorithms", "get", "names", "space_for"]
