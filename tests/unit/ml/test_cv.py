"""Cross-validation: equal to sklearn's cross_val_score, every strategy, fold-by-fold stopping, holdout."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import cross_val_score

from tests.unit.ml.conftest import frame, spec
from zygarde.errors import TrialStopped
from zygarde.ml import cv, metrics


@pytest.mark.parametrize("task, algorithm, metric, scoring, sign, labels", [
    pytest.param("binary", "random_forest", "roc_auc", "roc_auc", 1, None, id="binary-rf-roc_auc"),
    pytest.param("binary", "logistic_regression", "logloss", "neg_log_loss", -1, ("No", "Yes"),
                 id="binary-text"),
    pytest.param("binary", "hist_gradient_boosting", "pr_auc", "average_precision", 1, None, id="binary-hgb"),
    pytest.param("multiclass", "logistic_regression", "roc_auc", "roc_auc_ovr", 1, None, id="multiclass"),
    pytest.param("multiclass", "knn", "accuracy", "accuracy", 1, None, id="multiclass-knn"),
    pytest.param("regression", "ridge", "rmse", "neg_root_mean_squared_error", -1, None, id="rmse"),
    pytest.param("regression", "svr", "mae", "neg_mean_absolute_error", -1, None, id="regression-svr"),
])
def test_cv_matches_sklearn_cross_val_score(task: str, algorithm: str, metric: str, scoring: str, sign: int,
                                            labels: Any) -> None:
    df = frame(task, labels=labels)
    s = spec(metric, cv={"folds": 4})
    params = {"n_estimators": 30} if algorithm == "random_forest" else {}
    ours = cv.run_cv(s, task, algorithm, params, df, seed=5)
    X, y = cv.features(df, s.dataset), df["y"]
    pipeline, _ = cv.build_pipeline(algorithm, params, task, X, "none", 5, y=y)
    theirs = sign * cross_val_score(pipeline, X, y, scoring=scoring, cv=cv.make_splitter(s.cv, task, s.search.seed, df))
    assert np.allclose(ours.fold_scores, theirs, atol=1e-9, rtol=0)
    assert ours.mean == pytest.approx(np.mean(theirs), abs=1e-9) and ours.std == pytest.approx(np.std(theirs))


@pytest.mark.parametrize("strategy, extra, task, splitter", [
    pytest.param("auto", {}, "binary", "StratifiedKFold", id="auto-classification"),
    pytest.param("auto", {}, "regression", "KFold", id="auto-regression"),
    pytest.param("stratified", {}, "multiclass", "StratifiedKFold", id="stratified"),
    pytest.param("kfold", {}, "binary", "KFold", id="kfold"),
    pytest.param("repeated_stratified", {"repeats": 2}, "binary", "RepeatedStratifiedKFold", id="rep-strat"),
    pytest.param("repeated_kfold", {"repeats": 2}, "regression", "RepeatedKFold", id="repeated-kfold"),
    pytest.param("timeseries", {"column": "f0"}, "regression", "TimeSeriesSplit", id="timeseries"),
    pytest.param("group", {"column": "color"}, "binary", "GroupKFold", id="group"),
])
def test_cv_strategies(strategy: str, extra: dict[str, Any], task: str, splitter: str) -> None:
    df = frame(task)
    s = spec("r2" if task == "regression" else "roc_auc", cv={"folds": 3, "strategy": strategy, **extra})
    assert type(cv.make_splitter(s.cv, task, 1, df)).__name__ == splitter
    seen: list[int] = []
    result = cv.run_cv(s, task, "ridge" if task == "regression" else "logistic_regression", {}, df, seed=1,
                       on_fold=lambda i, n, mean: seen.append(i))
    assert len(result.fold_scores) == 3 * extra.get("repeats", 1) == len(seen)
    if strategy == "group":  # no group on both sides of a split
        for tr, te in cv.make_splitter(s.cv, task, 1).split(df, df["y"], df["color"]):
            assert not set(df["color"].iloc[tr]) & set(df["color"].iloc[te])
    if strategy == "timeseries":  # always train on the past, validate on the future
        ordered = cv.ordered(df, s.cv)
        for tr, te in cv.make_splitter(s.cv, task, 1).split(ordered):
            assert ordered["f0"].iloc[tr].max() <= ordered["f0"].iloc[te].min()


def test_on_fold_reports_progress_and_can_stop_the_trial() -> None:
    calls: list[tuple[int, int, float]] = []

    def stop_after_two(i: int, n: int, mean: float) -> None:
        calls.append((i, n, mean))
        if i == 2:
            raise TrialStopped("cancelled")

    with pytest.raises(TrialStopped, match="cancelled"):
        cv.run_cv(spec("roc_auc", cv={"folds": 5}), "binary", "logistic_regression", {}, frame("binary"), 0,
                  on_fold=stop_after_two)
    assert [(i, n) for i, n, _ in calls] == [(1, 5), (2, 5)]
    assert all(0 <= m <= 1 for _, _, m in calls)


def test_same_seed_same_scores() -> None:
    df, s = frame("binary"), spec("roc_auc")
    first = cv.run_cv(s, "binary", "random_forest", {"n_estimators": 20}, df, seed=3)
    again = cv.run_cv(s, "binary", "random_forest", {"n_estimators": 20}, df, seed=3)
    assert first.fold_scores == again.fold_scores and first.fit_seconds > 0 and first.wall_seconds > 0


def test_holdout_is_deterministic_and_stratified() -> None:
    df = frame("binary", n=1000)
    df.loc[::50, "y"] = None  # rows without a target never reach either side
    s = spec("roc_auc")
    train, holdout = cv.split_holdout(df, s.dataset, "binary", seed=4)
    again, _ = cv.split_holdout(df, s.dataset, "binary", seed=4)
    assert train.index.equals(again.index) and not set(train.index) & set(holdout.index)
    assert len(holdout) == pytest.approx(0.2 * df["y"].notna().sum(), abs=1)
    assert train["y"].notna().all() and holdout["y"].mean() == pytest.approx(train["y"].mean(), abs=0.01)


def test_final_model_takes_the_raw_feature_frame() -> None:
    when = pd.date_range("2024-01-01", periods=240, freq="h")
    df = frame("binary", labels=("bad", "good")).assign(when=when)
    s = spec("roc_auc")
    model = cv.fit_final(s, "binary", "catboost", {"iterations": 20}, df, 0)
    raw = df.drop(columns="y")
    assert set(model.predict(raw)) <= {"bad", "good"} and model.predict_proba(raw).shape == (240, 2)
    assert len(model.predict(raw.assign(extra=1))) == 240  # unknown extra columns are ignored


def test_library_versions() -> None:
    versions = cv.library_versions()
    assert {"python", "sklearn", "numpy", "pandas", "catboost"} <= set(versions)


@pytest.mark.parametrize("task, algorithm", [
    pytest.param("binary", "catboost", id="binary-catboost"),
    pytest.param("multiclass", "random_forest", id="multiclass-forest"),
    pytest.param("regression", "mlp", id="regression-mlp"),
])
def test_fitted_pipelines_survive_pickling(task: str, algorithm: str) -> None:
    labels = {"binary": ("cat", "dog"), "multiclass": ("cat", "dog", "emu")}.get(task)
    df = frame(task, labels=labels)
    model = cv.fit_final(spec("r2" if task == "regression" else "accuracy"), task, algorithm,
                         {"iterations": 20, "n_estimators": 10}, df, 0)
    again = pickle.loads(pickle.dumps(model))
    raw = df.drop(columns="y")
    assert np.array_equal(again.predict(raw), model.predict(raw))


def test_holdout_score_agrees_on_raw_and_encoded_targets() -> None:
    # the selector scores the holdout with the raw target and draws its report from target_vector
    df = frame("binary", n=400, labels=("No", "Yes"))
    s = spec("pr_auc")
    train, holdout = cv.split_holdout(df, s.dataset, "binary", 0)
    model = cv.fit_final(s, "binary", "logistic_regression", {}, train, 0)
    X = cv.features(holdout, s.dataset)
    raw = metrics.score(metrics.get("pr_auc"), model, X, holdout["y"])
    encoded = cv.target_vector(holdout, s.dataset, "binary")
    scores = metrics.predictions(metrics.get("pr_auc"), model, X)
    assert raw == pytest.approx(metrics.get("pr_auc").fn(encoded, scores))


def test_every_trial_of_a_job_is_scored_on_the_same_folds() -> None:
    """Two trials (different trial seeds) of one job see identical folds: a deterministic model
    scores identically, so differences between trials are the configurations', not the folds'."""
    df = frame("binary")
    s = spec("roc_auc", cv={"folds": 3})
    first = cv.run_cv(s, "binary", "logistic_regression", {}, df, seed=11)
    second = cv.run_cv(s, "binary", "logistic_regression", {}, df, seed=12345)
    assert first.fold_scores == second.fold_scores



def test_a_training_part_is_prepared_once_and_scores_as_before() -> None:
    from sklearn.base import clone

    from zygarde.ml.pipeline import build_pipeline
    from zygarde.ml.preprocessing import plan_columns

    df = frame("binary")
    job = spec("roc_auc")
    first = cv.prepare(df, job)
    assert cv.prepare(df, job) is first  # the same frame object: nothing read again
    assert cv.prepare(df.copy(), job) is not first  # another frame object: prepared anew
    assert first.plan == plan_columns(cv.features(df, job.dataset))
    # run_cv with the remembered plan scores exactly as a pipeline that plans its columns itself
    result = cv.run_cv(job, "binary", "logistic_regression", {"C": 0.3}, df, 7)
    pipeline, _ = build_pipeline("logistic_regression", {"C": 0.3}, "binary", first.X, "none", 7, y=first.y)
    scores = []
    for tr, te in cv.make_splitter(job.cv, "binary", job.search.seed, first.frame).split(first.X, first.y):
        fitted = clone(pipeline).fit(first.X.iloc[tr], first.y.iloc[tr])
        scores.append(metrics.score(metrics.get("roc_auc"), fitted, first.X.iloc[te], first.y.iloc[te]))
    assert result.fold_scores == pytest.approx(scores)
