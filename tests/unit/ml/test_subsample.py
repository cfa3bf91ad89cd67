"""Rows as a fidelity: the nested, stratified subsample a trial may cross-validate instead of every row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zygarde.events import JobSpec
from zygarde.ml import cv


def test_a_subsample_keeps_class_shares_and_a_smaller_one_is_inside_a_larger_one() -> None:
    y = pd.Series(np.r_[np.zeros(9_400), np.ones(500), np.full(100, 2)].astype(int))
    small, large = cv.subsample(y, 1_000, "multiclass", 7), cv.subsample(y, 4_000, "multiclass", 7)
    assert len(small) == 1_000 and len(set(small)) == 1_000 and set(small) <= set(large)
    assert np.all(np.diff(small) > 0)  # in the training part's own order
    assert y.iloc[small].value_counts().to_dict() == {0: 940, 1: 50, 2: 10}
    assert set(cv.subsample(y, 1_000, "multiclass", 8)) != set(small)  # another seed, other rows
    assert list(cv.subsample(y, 3, "binary", 0, latest=True)) == [9_997, 9_998, 9_999]
    values = pd.Series(np.arange(500.0))
    assert set(cv.subsample(values, 100, "regression", 1)) <= set(cv.subsample(values, 300, "regression", 1))


def test_run_cv_on_a_subsample_scores_those_rows_only() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=3_000), "z": rng.normal(size=3_000)})
    frame["y"] = (frame["x"] + 0.3 * rng.normal(size=3_000) > 0).astype(int)
    spec = JobSpec.model_validate({"dataset": {"uri": "builtin:x", "target": "y"}, "metric": "accuracy",
                                   "cv": {"folds": 3}})
    full = cv.run_cv(spec, "binary", "logistic_regression", {}, frame, seed=0)
    sub = cv.run_cv(spec, "binary", "logistic_regression", {}, frame, seed=0, rows=600)
    again = cv.run_cv(spec, "binary", "logistic_regression", {}, frame, seed=0, rows=600)
    assert sub.fold_scores == again.fold_scores  # the same rows every time
    assert sub.fold_scores != full.fold_scores
    # each fold of 600 rows scores 200 of them: accuracy is a multiple of 1/200
    assert all(abs(s * 200 - round(s * 200)) < 1e-9 for s in sub.fold_scores), sub.fold_scores
    assert cv.run_cv(spec, "binary", "logistic_regression", {}, frame, seed=0, rows=5_000).fold_scores == \
        full.fold_scores  # more rows than there are: every row
    assert cv.training_rows(frame, spec.dataset) == 2_400
