"""What an algorithm of the catalog is: a name, the tasks it serves, a default space and a builder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from zygarde.ml.space import Space

Builder = Callable[[dict[str, Any], str, int], Any]  # (params, task, seed) -> unfitted estimator

CLS = frozenset({"binary", "multiclass"})
REG = frozenset({"regression"})
ALL = CLS | REG


@dataclass(frozen=True)
class Algorithm:
    """One entry of the catalog.

    ``build(params, task, seed)`` returns an unfitted sklearn-compatible estimator: a classifier for
    ``binary``/``multiclass``, a regressor for ``regression``. Parameters missing from ``params`` take
    the builder's defaults, so ``build({}, task, seed)`` always works.
    ``supports_class_weight``: the classifier takes ``class_weight="balanced"`` (CatBoost maps it to
    ``auto_class_weights``); otherwise balancing falls back to sample weights where ``fit`` takes them.
    ``scale_target``: for regression the target is standardised inside the pipeline (gradient-trained
    models, and SVR whose ``epsilon`` is in target units).
    """

    name: str
    tasks: frozenset[str]
    space: Space
    build: Builder
    needs_scaling: bool = False
    native_categoricals: bool = False
    supports_class_weight: bool = False
    description: str = ""
    scale_target: bool = False
    # histogram boosting splits on categories itself: categoricals reach it ordinal-coded (at most 255
    # levels each, rarer ones pooled) instead of one-hot or target coded, named in ``categorical_features``
    # where the model takes that parameter
    ordinal_categoricals: bool = False
    # a fit depends on its seed (rows or columns sampled, the inner split early stopping holds out, random
    # initial weights): the model a job serves averages fits with several seeds (services/selector/seed_bag.py)
    seed_varies: bool = False


def pick(p: Mapping[str, Any], **defaults: Any) -> dict[str, Any]:
    """The builder's keyword arguments: each default, overridden by ``p`` when present."""
    return {k: p.get(k, v) for k, v in defaults.items()}
