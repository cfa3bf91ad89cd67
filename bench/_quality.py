"""Pure parts of the time-to-quality benchmark: Zygarde spaces as scikit-learn distributions,
best-so-far curves, the time to reach a score, and medians that keep "not reached".

Scores here are the metric's natural values; ``greater`` says which way is better (an rmse is
lower-is-better). A curve is a list of ``(seconds since start, best score so far)``, one point per
improvement, in time order.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from zygarde.ml import space as sp

Curve = list[tuple[float, float]]


class LogUniformInt:
    """An integer drawn like ``IntDim(log=True).sample``: ``round(exp(uniform(log low, log high)))``.

    scipy has no log-uniform integer; anything with ``rvs(random_state=...)`` is a distribution to
    ``RandomizedSearchCV``.
    """

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def rvs(self, size: int | None = None, random_state: Any = None) -> Any:
        rng = np.random.default_rng(random_state) if not isinstance(random_state, np.random.RandomState) \
            else random_state
        draw = np.exp(rng.uniform(math.log(self.low), math.log(self.high), size=size))
        return int(round(float(draw))) if size is None else np.rint(draw).astype(int)

    def __repr__(self) -> str:
        return f"LogUniformInt({self.low}, {self.high})"


def sklearn_distribution(dim: sp.Dimension) -> Any:
    """The distribution ``RandomizedSearchCV`` samples for one dimension (same bounds and scale)."""
    if isinstance(dim, sp.FloatDim):
        return stats.loguniform(dim.low, dim.high) if dim.log else stats.uniform(dim.low, dim.high - dim.low)
    if isinstance(dim, sp.IntDim):
        return LogUniformInt(dim.low, dim.high) if dim.log else stats.randint(dim.low, dim.high + 1)
    return list(dim.choices)


def sklearn_space(spaces: Mapping[str, sp.Space]) -> list[dict[str, Any]]:
    """``param_distributions`` for ``RandomizedSearchCV``: one dict per algorithm (so the algorithm is
    uniform, as in Zygarde's random strategy), its parameters prefixed ``<algorithm>__``.

    Conditional dimensions are sampled always; :func:`active_params` drops them when inactive, which
    leaves the active ones with exactly Zygarde's distribution.
    """
    return [{"algorithm": [name], **{f"{name}__{p}": sklearn_distribution(dim) for p, dim in spaces[name].items()}}
            for name in sorted(spaces)]


def active_params(algorithm: str, space: sp.Space, flat: Mapping[str, Any]) -> dict[str, Any]:
    """The algorithm's parameters from prefixed keys, conditional ones only when active."""
    params: dict[str, Any] = {}
    for name, dim in sp.ordered(space):
        key = f"{algorithm}__{name}"
        if key in flat and sp.active(dim, params):
            params[name] = flat[key]
    return params


def config_key(algorithm: str, params: Mapping[str, Any]) -> str:
    """A stable name for one configuration (to group its folds, and to fit it again: see
    :func:`config_of`); numpy scalars, as scipy's distributions draw them, become plain numbers."""
    return json.dumps([algorithm, {k: params[k] for k in sorted(params)}], default=_plain)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else str(value)


def config_of(key: str) -> tuple[str, dict[str, Any]]:
    """The ``(algorithm, params)`` a :func:`config_key` names."""
    algorithm, params = json.loads(key)
    return str(algorithm), dict(params)


def better(a: float, b: float, greater: bool) -> bool:
    return a > b if greater else a < b


def best_so_far(points: Iterable[tuple[float, float]], greater: bool) -> Curve:
    """``(time, score)`` of finished trials → one point per improvement, in time order (NaNs skipped)."""
    return [(t, score) for t, score, _ in best_configs(((t, s, "") for t, s in points), greater)]


def best_configs(points: Iterable[tuple[float, float, str]], greater: bool) -> list[tuple[float, float, str]]:
    """:func:`best_so_far` of ``(time, score, config key)``: each improvement with the configuration
    that made it (the model a search would hand over at that moment)."""
    best: list[tuple[float, float, str]] = []
    for t, score, key in sorted(points, key=lambda p: p[0]):
        if math.isnan(score):
            continue
        if not best or better(score, best[-1][1], greater):
            best.append((t, score, key))
    return best


def reaches(score: float, target: float, greater: bool, rel_tol: float = 1e-9) -> bool:
    """``score`` is at least as good as ``target`` (a hair of float noise forgiven)."""
    slack = rel_tol * max(1.0, abs(target))
    return score >= target - slack if greater else score <= target + slack


def time_to_reach(curve: Curve, target: float, greater: bool) -> float | None:
    """Seconds until the best-so-far first reaches ``target``; None when it never does."""
    for t, score in curve:
        if reaches(score, target, greater):
            return t
    return None


def completed_candidates(records: Iterable[Mapping[str, Any]], folds: int) -> list[tuple[float, float, str]]:
    """Fold records ``{"t", "key", "n", "score"}`` (one per fold scored, any order; ``n`` = training
    rows of that fit) → ``(time, mean score, key)`` of each configuration with all ``folds`` folds
    scored at the last rung, in time order.

    Successive halving scores a configuration on subsamples growing by a factor ``>= 2``; only its
    last rung uses (about) the whole training set, the only scores comparable with a full CV. Fold
    sizes within a rung differ by a few rows, so "the last rung" is ``n >= 0.9 * max n``.
    """
    rows = [(str(r["key"]), int(r["n"]), float(r["t"]), float(r["score"])) for r in records]
    if not rows:
        return []
    top = max(n for _, n, _, _ in rows)
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for key, n, t, score in rows:
        if n >= 0.9 * top:
            groups[key].append((t, score))
    return sorted((max(t for t, _ in scored), float(np.mean([s for _, s in scored])), key)
                  for key, scored in groups.items() if len(scored) >= folds)


def median_time(values: Sequence[float | None]) -> float | None:
    """Median where None (not reached) counts as infinitely late; None when that median is."""
    if not values:
        return None
    m = statistics.median([math.inf if v is None else v for v in values])
    return None if math.isinf(m) else float(m)


def median_curve(curves: Sequence[Curve], grid: Sequence[float], greater: bool) -> list[float]:
    """The median over runs of the best-so-far at each grid time (NaN while most runs have nothing)."""
    worst = -math.inf if greater else math.inf
    out = []
    for t in grid:
        values = []
        for curve in curves:
            seen = [s for ct, s in curve if ct <= t]
            values.append(seen[-1] if seen else worst)
        m = float(statistics.median(values)) if values else math.nan
        out.append(m if math.isfinite(m) else math.nan)
    return out
