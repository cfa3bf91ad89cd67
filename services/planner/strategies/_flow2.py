"""FLOW2's local search (FLAML's CFO): the next point around an algorithm's incumbent.

The incumbent moves by ``step * u`` in the unit cube of its space (log dimensions on a log scale), ``u``
a random unit direction that is a function of (seed, index) only, then by ``-u``; the step halves after
``2 d`` proposals without a better incumbent, and below :data:`STEP_MIN` the search has settled.
"""

from __future__ import annotations

import math
import random
from typing import Any

from zygarde.ml import space as sp

STEP_MIN = 0.02  # a local search with a smaller step has converged


def step(dims: int, proposals: int) -> float:
    """The step after ``proposals`` proposals without a better incumbent: halved every ``2 d``."""
    dims = max(1, dims)
    return 0.1 * math.sqrt(dims) * 0.5 ** (proposals // (2 * dims))


def propose(space: sp.Space, incumbent: dict[str, Any], own: list[int], seed: int, index: int,
            rng: random.Random) -> dict[str, Any]:
    """The point to try as proposal ``index``; ``own`` are the proposals since the incumbent was found
    (a random point once the step is below :data:`STEP_MIN`)."""
    k = len(own)
    size = step(len(space), k)
    if size < STEP_MIN:
        return sp.sample(space, rng)
    if k % 2 == 1:  # the mirror of the previous proposal's direction
        direction = {name: -v for name, v in _direction(seed, own[-1], space).items()}
    else:
        direction = _direction(seed, index, space)
    point: dict[str, Any] = {}
    for name, dim in sp.ordered(space):
        if not sp.active(dim, point):
            continue
        current = incumbent.get(name)
        if isinstance(dim, sp.CategoricalDim):
            moved = rng.random() < size and k % 2 == 0 and len(dim.choices) > 1
            others = [c for c in dim.choices if c != current]
            point[name] = rng.choice(others) if moved else sp.nearest(dim, current)
        else:
            unit = _to_unit(dim, sp.nearest(dim, current)) + size * direction[name]
            point[name] = _from_unit(dim, min(1.0, max(0.0, unit)))
    return point


def _direction(seed: int, index: int, space: sp.Space) -> dict[str, float]:
    """A random unit direction over the numeric dimensions, a function of (seed, index) only."""
    rng = random.Random(f"{seed}:direction:{index}")
    raw = {name: rng.gauss(0.0, 1.0) for name, dim in sorted(space.items()) if not isinstance(dim, sp.CategoricalDim)}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {name: v / norm for name, v in raw.items()}


def _to_unit(dim: sp.FloatDim | sp.IntDim, value: Any) -> float:
    low, high, v = float(dim.low), float(dim.high), float(value)
    if high <= low:
        return 0.5
    if dim.log:
        return (math.log(v) - math.log(low)) / (math.log(high) - math.log(low))
    return (v - low) / (high - low)


def _from_unit(dim: sp.FloatDim | sp.IntDim, u: float) -> Any:
    low, high = float(dim.low), float(dim.high)
    value = math.exp(math.log(low) + u * (math.log(high) - math.log(low))) if dim.log else low + u * (high - low)
    return sp.nearest(dim, value)
