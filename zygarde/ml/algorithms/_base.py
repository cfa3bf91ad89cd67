"""What an algorithm of the catalog is: a name, the tasks it serves, a default space and a builder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zygarde.ml.space import Space

Builder = Callable[[dict[str, Any], str, int], Any]  # (params, task, seed) -> unfitted estimator


@dataclass(frozen=True)
class Algorithm:
    name: str
    tasks: frozenset[str]
    space: Space
    build: Builder
    needs_scaling: bool = False
    native_categoricals: bool = False
    supports_class_weight: bool = False
    description: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)


CLS = frozenset({"binary", "multiclass"})
REG = frozenset({"regression"})
ALL = CLS | REG
