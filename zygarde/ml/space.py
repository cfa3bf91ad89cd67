"""Search-space primitives shared by the algorithm catalog and the planner's strategies.

A space is a mapping ``param name -> Dimension``. Dimensions are plain frozen dataclasses so a
space can be written in JSON inside a job spec (``{"C": {"float": [0.001, 100], "log": true}}``)
and turned into Optuna distributions by the TPE strategy.

A dimension may be *conditional*: ``when={"penalty": ["l1"]}`` means it only exists when the
parameter ``penalty`` took one of those values.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from zygarde.errors import SpecError

Value = int | float | str | bool | None


@dataclass(frozen=True)
class FloatDim:
    low: float
    high: float
    log: bool = False
    when: Mapping[str, tuple[Value, ...]] = field(default_factory=dict)

    def sample(self, rng: random.Random) -> float:
        if self.log:
            return math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return rng.uniform(self.low, self.high)

    def grid(self, points: int) -> list[Value]:
        if points == 1:
            return [self.low if not self.log else math.sqrt(self.low * self.high)]
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return [float(math.exp(lo + (hi - lo) * i / (points - 1))) for i in range(points)]
        return [self.low + (self.high - self.low) * i / (points - 1) for i in range(points)]

    def to_json(self) -> dict[str, Any]:
        return _with_when({"float": [self.low, self.high], "log": self.log}, self.when)


@dataclass(frozen=True)
class IntDim:
    low: int
    high: int
    log: bool = False
    when: Mapping[str, tuple[Value, ...]] = field(default_factory=dict)

    def sample(self, rng: random.Random) -> int:
        if self.log:
            return int(round(math.exp(rng.uniform(math.log(self.low), math.log(self.high)))))
        return rng.randint(self.low, self.high)

    def grid(self, points: int) -> list[Value]:
        raw = FloatDim(float(self.low), float(self.high), self.log).grid(points)
        return list(dict.fromkeys(int(round(v)) for v in raw if isinstance(v, float)))

    def to_json(self) -> dict[str, Any]:
        return _with_when({"int": [self.low, self.high], "log": self.log}, self.when)


@dataclass(frozen=True)
class CategoricalDim:
    choices: tuple[Value, ...]
    when: Mapping[str, tuple[Value, ...]] = field(default_factory=dict)

    def sample(self, rng: random.Random) -> Value:
        return rng.choice(self.choices)

    def grid(self, points: int) -> list[Value]:
        return list(self.choices)

    def to_json(self) -> dict[str, Any]:
        return _with_when({"choice": list(self.choices)}, self.when)


Dimension = FloatDim | IntDim | CategoricalDim
Space = dict[str, Dimension]


def _with_when(doc: dict[str, Any], when: Mapping[str, tuple[Value, ...]]) -> dict[str, Any]:
    if when:
        doc["when"] = {k: list(v) for k, v in when.items()}
    return doc


def active(dim: Dimension, params: Mapping[str, Any]) -> bool:
    """A conditional dimension is active when every parent took one of the listed values."""
    return all(params.get(parent) in allowed for parent, allowed in dim.when.items())


def ordered(space: Space) -> list[tuple[str, Dimension]]:
    """Unconditional dimensions first, so parents are always decided before their children."""
    return sorted(space.items(), key=lambda kv: (len(kv[1].when), kv[0]))


def sample(space: Space, rng: random.Random) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, dim in ordered(space):
        if active(dim, params):
            params[name] = dim.sample(rng)
    return params


def center(dim: Dimension) -> Value:
    """The middle of a dimension (geometric for a log scale), or its first choice."""
    if isinstance(dim, CategoricalDim):
        return dim.choices[0]
    mid = math.sqrt(dim.low * dim.high) if dim.log else (dim.low + dim.high) / 2
    return int(round(mid)) if isinstance(dim, IntDim) else float(mid)


def nearest(dim: Dimension, value: Any) -> Value:
    """The value of ``dim`` closest to ``value``: clamped into a numeric range, kept when it is one of
    the choices; the dimension's :func:`center` when ``value`` does not fit it at all (None, a string
    for a number, a choice it does not offer)."""
    if isinstance(dim, CategoricalDim):
        return value if value in dim.choices else center(dim)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return center(dim)
    clamped = min(max(value, dim.low), dim.high)
    return int(round(clamped)) if isinstance(dim, IntDim) else float(clamped)


def grid(space: Space, points: int = 3) -> Iterator[dict[str, Any]]:
    """Every combination of ``points`` values per numeric dimension, conditionals respected."""
    names = [n for n, _ in ordered(space)]
    axes = [space[n].grid(points) for n in names]
    seen: set[tuple[tuple[str, Any], ...]] = set()
    for combo in itertools.product(*axes):
        params: dict[str, Any] = {}
        for name, value in zip(names, combo, strict=True):
            if active(space[name], params):
                params[name] = value
        key = tuple(sorted(params.items()))
        if key not in seen:
            seen.add(key)
            yield params


def parse_dimension(name: str, doc: Any) -> Dimension:
    """Parse one dimension from its JSON form; raises SpecError with a readable reason."""
    if isinstance(doc, list):
        return CategoricalDim(tuple(doc))
    if not isinstance(doc, Mapping):
        raise SpecError([f"space.{name}: expected an object or a list of choices"])
    when = {k: tuple(v) if isinstance(v, list) else (v,) for k, v in dict(doc.get("when", {})).items()}
    log = bool(doc.get("log", False))
    try:
        if "float" in doc:
            low, high = (float(x) for x in doc["float"])
            _check_range(name, low, high, log)
            return FloatDim(low, high, log, when)
        if "int" in doc:
            ilow, ihigh = (int(x) for x in doc["int"])
            _check_range(name, ilow, ihigh, log)
            return IntDim(ilow, ihigh, log, when)
        if "choice" in doc:
            choices = tuple(doc["choice"])
            if not choices:
                raise SpecError([f"space.{name}: choice needs at least one value"])
            return CategoricalDim(choices, when)
    except (TypeError, ValueError) as exc:
        raise SpecError([f"space.{name}: {exc}"]) from exc
    raise SpecError([f"space.{name}: expected one of 'float', 'int', 'choice'"])


def _check_range(name: str, low: float, high: float, log: bool) -> None:
    if low > high:
        raise SpecError([f"space.{name}: low {low} is above high {high}"])
    if log and low <= 0:
        raise SpecError([f"space.{name}: a log scale needs a positive low bound"])


def parse_space(doc: Mapping[str, Any]) -> Space:
    """Parse a whole space, collecting every reason before raising."""
    reasons: list[str] = []
    space: Space = {}
    for name, dim_doc in doc.items():
        try:
            space[name] = parse_dimension(name, dim_doc)
        except SpecError as exc:
            reasons.extend(exc.reasons)
    if reasons:
        raise SpecError(reasons)
    return space


def space_to_json(space: Space) -> dict[str, Any]:
    return {name: dim.to_json() for name, dim in space.items()}
