"""Search-space primitives: sampling, grids, conditionals, parsing with every reason."""

from __future__ import annotations

import random

import pytest

from zygarde.errors import SpecError
from zygarde.ml import space as sp

SPACE: sp.Space = {
    "penalty": sp.CategoricalDim(("l1", "l2")),
    "C": sp.FloatDim(1e-3, 1e3, log=True),
    "l1_ratio": sp.FloatDim(0.0, 1.0, when={"penalty": ("l1",)}),
    "n": sp.IntDim(1, 100, log=True),
}


def test_samples_stay_in_bounds_and_respect_conditions() -> None:
    rng = random.Random(0)
    for _ in range(500):
        p = sp.sample(SPACE, rng)
        assert 1e-3 <= p["C"] <= 1e3 and 1 <= p["n"] <= 100 and isinstance(p["n"], int)
        assert ("l1_ratio" in p) == (p["penalty"] == "l1")


def test_log_scale_spreads_over_decades() -> None:
    rng = random.Random(1)
    values = [sp.FloatDim(1e-3, 1e3, log=True).sample(rng) for _ in range(2000)]
    below_one = sum(v < 1 for v in values) / len(values)
    assert 0.4 < below_one < 0.6  # uniform in log space: half the mass below the geometric middle


def test_grid_is_complete_and_unique() -> None:
    combos = list(sp.grid(SPACE, points=3))
    keys = {tuple(sorted(c.items())) for c in combos}
    assert len(keys) == len(combos)
    # l2: 3 C x 3 n; l1: 3 C x 3 l1_ratio x 3 n
    assert len(combos) == 9 + 27


@pytest.mark.parametrize("doc, reason", [
    pytest.param({"x": {"float": [2, 1]}}, "above high", id="low-above-high"),
    pytest.param({"x": {"float": [0, 1], "log": True}}, "positive low", id="log-needs-positive"),
    pytest.param({"x": {"choice": []}}, "at least one", id="empty-choice"),
    pytest.param({"x": {"what": 1}}, "expected one of", id="unknown-kind"),
    pytest.param({"x": 5}, "expected an object", id="not-an-object"),
])
def test_bad_dimensions_are_refused_with_a_reason(doc: dict, reason: str) -> None:
    with pytest.raises(SpecError, match=reason):
        sp.parse_space(doc)


def test_every_bad_dimension_is_reported_at_once() -> None:
    with pytest.raises(SpecError) as info:
        sp.parse_space({"a": {"float": [2, 1]}, "b": {"choice": []}, "c": [1, 2]})
    assert len(info.value.reasons) == 2


def test_json_round_trip() -> None:
    assert sp.parse_space(sp.space_to_json(SPACE)) == SPACE


@pytest.mark.parametrize(("dim", "value", "expected"), [
    pytest.param(sp.FloatDim(1e-6, 10.0, log=True), 0.0, 1e-6, id="below-a-log-range"),
    pytest.param(sp.FloatDim(0.0, 1.0), 0.25, 0.25, id="inside"),
    pytest.param(sp.IntDim(50, 300), 1000, 300, id="above"),
    pytest.param(sp.IntDim(1, 100, log=True), None, 10, id="missing-takes-the-geometric-centre"),
    pytest.param(sp.FloatDim(0.0, 1.0), "scale", 0.5, id="a-string-for-a-number"),
    pytest.param(sp.CategoricalDim(("sqrt", None)), None, None, id="a-choice"),
    pytest.param(sp.CategoricalDim(("l1", "l2")), "none", "l1", id="not-a-choice-takes-the-first"),
])
def test_nearest_moves_a_value_into_the_dimension(dim: sp.Dimension, value: object, expected: object) -> None:
    assert sp.nearest(dim, value) == expected
