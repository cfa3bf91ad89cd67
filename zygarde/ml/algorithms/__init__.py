"""The algorithm catalog: one module per family, one registry.

``get(name)`` gives an :class:`Algorithm`; ``names(task)`` the catalog for a task;
``default_algorithms(task)`` a quick, sensible set; ``space_for(name, override)`` the space a
strategy searches (the user's JSON override replaces the default space entirely).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zygarde.ml import space as sp
from zygarde.ml.algorithms import boosting, lgbm, linear, naive_bayes, neighbors, neural, probes, svm, trees, xgb
from zygarde.ml.algorithms._base import Algorithm
from zygarde.ml.spark import catalog as spark_catalog
from zygarde.settings import probes_enabled

FAMILIES = (linear, svm, neighbors, naive_bayes, trees, boosting, lgbm, xgb, neural)
REGISTRY: dict[str, Algorithm] = {a.name: a for mod in FAMILIES for a in mod.ALGORITHMS}
# ``noop`` and ``burn`` exist to measure the platform, not to model data: out of the catalogue until
# a service's settings enable them (ZYGARDE_PROBE_ALGORITHMS; tests and benchmarks do)
PROBES: dict[str, Algorithm] = {a.name: a for a in probes.ALGORITHMS}
ENGINES = ("local", "spark")
# the spark engine's catalog (names prefixed ``spark_``): same Algorithm entries, MLlib builders
SPARK: dict[str, Algorithm] = dict(spark_catalog.REGISTRY)

_DEFAULTS = {
    "binary": ["logistic_regression", "random_forest", "lightgbm", "catboost"],
    "multiclass": ["logistic_regression", "random_forest", "lightgbm", "catboost"],
    "regression": ["ridge", "random_forest", "lightgbm", "catboost"],
}


def enable_probes(enabled: bool = True) -> None:
    """Put the probe algorithms into the catalogue (or take them out)."""
    for name, algorithm in PROBES.items():
        if enabled:
            REGISTRY[name] = algorithm
        else:
            REGISTRY.pop(name, None)


enable_probes(probes_enabled())


def get(name: str) -> Algorithm:
    """The algorithm called ``name``; ``KeyError`` naming the known ones otherwise."""
    found = REGISTRY.get(name) or SPARK.get(name)
    if found is None:
        raise KeyError(f"unknown algorithm {name!r}; known: {', '.join(sorted([*REGISTRY, *SPARK]))}")
    return found


def engine_of(name: str) -> str:
    """``spark`` for the MLlib catalog's names, else ``local``."""
    return "spark" if name in SPARK else "local"


def names(task: str | None = None, engine: str = "local") -> list[str]:
    """Sorted names of the ``engine``'s algorithms serving ``task`` (every one when ``task`` is None)."""
    catalog = SPARK if engine == "spark" else REGISTRY
    return sorted(n for n, a in catalog.items() if task is None or task in a.tasks)


def default_algorithms(task: str, engine: str = "local") -> list[str]:
    """A quick, sensible default set for ``task`` (a linear model, a forest, two boosters)."""
    return list((spark_catalog.DEFAULTS if engine == "spark" else _DEFAULTS)[task])


def space_for(name: str, override: Mapping[str, Any] | None = None) -> sp.Space:
    """The algorithm's default space, or the user's override parsed (raises SpecError)."""
    algorithm = get(name)
    if override is not None:
        return sp.parse_space(override)
    return dict(algorithm.space)


def default_params(name: str, space: sp.Space, task: str) -> dict[str, Any] | None:
    """The builder's own defaults (what ``build({})`` makes) as a point of ``space``.

    Each active dimension takes the unfitted estimator's value of the parameter with that name,
    moved into the dimension (:func:`zygarde.ml.space.nearest`): a default outside the searched range
    becomes its nearest bound, and a parameter the estimator does not have becomes the dimension's
    centre. None for an algorithm whose estimator cannot be built here (the Spark catalog's).
    """
    algorithm = get(name)
    if name in SPARK or task not in algorithm.tasks:
        return None
    try:
        built = algorithm.build({}, task, 0)
        given = built.get_params(deep=False) if hasattr(built, "get_params") else {}
    except (ImportError, RuntimeError, TypeError, ValueError):
        return None
    params: dict[str, Any] = {}
    for pname, dim in sp.ordered(space):
        if sp.active(dim, params):
            params[pname] = sp.nearest(dim, given.get(pname))
    return params


__all__ = ["PROBES", "REGISTRY", "SPARK", "Algorithm", "default_algorithms", "default_params", "enable_probes",
           "engine_of", "get", "names", "space_for"]
