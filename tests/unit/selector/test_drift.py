"""PSI on known distributions: identical ≈ 0, a shift of one standard deviation well over 0.2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zygarde.registry import drift


def test_identical_distributions_have_psi_near_zero() -> None:
    rng = np.random.default_rng(0)
    train, new = rng.normal(0, 1, 20_000), rng.normal(0, 1, 20_000)
    assert drift.numeric_psi(train, new) < 0.01
    assert drift.numeric_psi(train, train) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("shift, lower, upper", [
    pytest.param(0.1, 0.0, 0.05, id="tiny-shift-stable"),
    pytest.param(0.5, 0.2, 0.5, id="half-sd-drifted"),
    pytest.param(1.0, 0.8, 2.0, id="one-sd-drifted"),
])
def test_shifted_normal(shift: float, lower: float, upper: float) -> None:
    rng = np.random.default_rng(1)
    psi = drift.numeric_psi(rng.normal(0, 1, 50_000), rng.normal(shift, 1, 50_000))
    assert lower < psi < upper


def test_psi_by_hand() -> None:
    # ten equal-frequency bins of 0..99, new data all in the first half: five bins at 20 %, five at 0
    train = np.arange(100.0)
    new = np.repeat(np.arange(0.0, 50.0), 2)
    expected = 5 * (0.2 - 0.1) * np.log(0.2 / 0.1) + 5 * (drift.EPSILON - 0.1) * np.log(drift.EPSILON / 0.1)
    assert drift.numeric_psi(train, new, bins=10) == pytest.approx(expected)


def test_categorical_and_missing() -> None:
    train = pd.Series(["a"] * 50 + ["b"] * 50)
    assert drift.categorical_psi(train, train.sample(frac=1, random_state=0)) == pytest.approx(0.0)
    assert drift.categorical_psi(train, pd.Series(["a"] * 90 + ["b"] * 10)) > 0.2
    assert drift.categorical_psi(train, pd.Series(["a"] * 50 + ["c"] * 50)) > 0.2  # an unseen category
    with_nan = pd.Series([1.0, 2.0, 3.0, 4.0] * 25)
    assert drift.numeric_psi(with_nan, pd.Series([np.nan] * 100)) > 0.2


def test_feature_psi_per_column() -> None:
    rng = np.random.default_rng(2)
    train = pd.DataFrame({"x": rng.normal(0, 1, 5000), "y": rng.normal(0, 1, 5000),
                          "colour": rng.choice(["red", "blue"], 5000)})
    new = train.assign(y=train["y"] + 2.0)
    psi = drift.feature_psi(train, new)
    assert set(psi) == {"x", "y", "colour"}
    assert psi["x"] == pytest.approx(0.0) and psi["colour"] == pytest.approx(0.0)
    assert psi["y"] > 0.2
