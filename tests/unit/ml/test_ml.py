"""The trainer's ML layer: catalog, metrics vs sklearn, CV strategies, imbalance, leakage, datasets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from zygarde.errors import DatasetError, SpecError
from zygarde.events import JobSpec
from zygarde.ml import algorithms, cv, datasets, metrics
from zygarde.ml.validation import check_job


def frame(task: str, n: int = 240, seed: int = 0) -> pd.DataFrame:
    if task == "regression":
        X, y = make_regression(n_samples=n, n_features=5, noise=5.0, random_state=seed)
    else:
        X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                                   n_classes=2 if task == "binary" else 3, random_state=seed)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    df["color"] = np.random.default_rng(seed).choice(["red", "green", "blue"], size=n)
    df["y"] = y
    return df


def spec(metric: str, **extra: Any) -> JobSpec:
    return JobSpec.model_validate({"dataset": {"uri": "builtin:x", "target": "y"}, "metric": metric,
                                   "cv": {"folds": 3}, **extra})


CASES = [(name, task) for name in algorithms.names() for task in sorted(algorithms.get(name).tasks)
         if name != "burn" and task != "multiclass"]


@pytest.mark.parametrize("name, task", CASES, ids=[f"{n}-{t}" for n, t in CASES])
def test_every_algorithm_fits_and_scores(name: str, task: str) -> None:
    df = frame(task)
    metric = "r2" if task == "regression" else "roc_auc"
    params = {k: d.grid(1)[0] for k, d in algorithms.get(name).space.items() if not d.when}
    if name == "catboost":
        params["iterations"] = 30
    result = cv.run_cv(spec(metric), task, name, params, df, seed=1)
    assert len(result.fold_scores) == 3
    assert all(np.isfinite(result.fold_scores))
    if name != "noop":
        assert result.mean > (0.0 if task == "regression" else 0.6), result  # better than the prior


def test_multiclass_roc_auc_is_one_vs_rest() -> None:
    result = cv.run_cv(spec("roc_auc"), "multiclass", "logistic_regression", {}, frame("multiclass"), seed=1)
    assert result.mean > 0.6


RNG = np.random.default_rng(3)
Y_BIN = RNG.integers(0, 2, 200)
P_BIN = np.clip(Y_BIN * 0.3 + RNG.random(200) * 0.7, 0, 1)
Y_REG = RNG.normal(10, 2, 200)
P_REG = Y_REG + RNG.normal(0, 1, 200)


@pytest.mark.parametrize("name, ours_input, expected", [
    pytest.param("roc_auc", (Y_BIN, P_BIN), skm.roc_auc_score(Y_BIN, P_BIN), id="roc_auc"),
    pytest.param("pr_auc", (Y_BIN, P_BIN), skm.average_precision_score(Y_BIN, P_BIN), id="pr_auc"),
    pytest.param("logloss", (Y_BIN, P_BIN), skm.log_loss(Y_BIN, P_BIN), id="logloss"),
    pytest.param("brier", (Y_BIN, P_BIN), skm.brier_score_loss(Y_BIN, P_BIN), id="brier"),
    pytest.param("f1", (Y_BIN, P_BIN > 0.5), skm.f1_score(Y_BIN, P_BIN > 0.5), id="f1"),
    pytest.param("accuracy", (Y_BIN, P_BIN > 0.5), skm.accuracy_score(Y_BIN, P_BIN > 0.5), id="accuracy"),
    pytest.param("balanced_accuracy", (Y_BIN, P_BIN > 0.5), skm.balanced_accuracy_score(Y_BIN, P_BIN > 0.5),
                 id="balanced_accuracy"),
    pytest.param("mcc", (Y_BIN, P_BIN > 0.5), skm.matthews_corrcoef(Y_BIN, P_BIN > 0.5), id="mcc"),
    pytest.param("rmse", (Y_REG, P_REG), np.sqrt(skm.mean_squared_error(Y_REG, P_REG)), id="rmse"),
    pytest.param("mae", (Y_REG, P_REG), skm.mean_absolute_error(Y_REG, P_REG), id="mae"),
    pytest.param("r2", (Y_REG, P_REG), skm.r2_score(Y_REG, P_REG), id="r2"),
    pytest.param("mape", (Y_REG, P_REG), skm.mean_absolute_percentage_error(Y_REG, P_REG), id="mape"),
])
def test_metric_matches_sklearn(name: str, ours_input: tuple[Any, Any], expected: float) -> None:
    assert metrics.get(name).fn(*ours_input) == pytest.approx(expected, abs=1e-12)


def test_ks_statistic() -> None:
    from scipy.stats import ks_2samp

    assert metrics.get("ks").fn(Y_BIN, P_BIN) == pytest.approx(ks_2samp(P_BIN[Y_BIN == 1], P_BIN[Y_BIN == 0]).statistic)


def test_metric_directions() -> None:
    assert metrics.get("rmse").greater_is_better is False and metrics.get("roc_auc").greater_is_better is True
    assert "rmse" not in metrics.names_for("binary") and "roc_auc" not in metrics.names_for("regression")


def test_cv_matches_sklearn_cross_val_score_exactly() -> None:
    df = frame("binary")
    s = spec("roc_auc", cv={"folds": 4, "strategy": "stratified"})
    ours = cv.run_cv(s, "binary", "random_forest", {"n_estimators": 30}, df, seed=5)
    pipeline, _ = cv.build_pipeline(s, "binary", "random_forest", {"n_estimators": 30}, cv.features(df, s.dataset), 5)
    theirs = cross_val_score(pipeline, cv.features(df, s.dataset), df["y"], scoring="roc_auc",
                             cv=StratifiedKFold(4, shuffle=True, random_state=5))
    assert np.allclose(ours.fold_scores, theirs, atol=1e-9, rtol=0)


@pytest.mark.parametrize("strategy, extra, task", [
    pytest.param("stratified", {}, "binary", id="stratified"),
    pytest.param("kfold", {}, "regression", id="kfold"),
    pytest.param("repeated_stratified", {"repeats": 2}, "binary", id="repeated-stratified"),
    pytest.param("repeated_kfold", {"repeats": 2}, "regression", id="repeated-kfold"),
    pytest.param("timeseries", {"column": "f0"}, "regression", id="timeseries"),
    pytest.param("group", {"column": "color"}, "binary", id="group"),
])
def test_cv_strategies(strategy: str, extra: dict[str, Any], task: str) -> None:
    df = frame(task)
    s = spec("r2" if task == "regression" else "roc_auc", cv={"folds": 3, "strategy": strategy, **extra})
    result = cv.run_cv(s, task, "ridge" if task == "regression" else "logistic_regression", {}, df, seed=1)
    assert len(result.fold_scores) == 3 * extra.get("repeats", 1)
    splitter = cv.make_splitter(s, task, 1)
    if strategy == "group":
        for tr, te in splitter.split(df, df["y"], df["color"]):
            assert not set(df["color"].iloc[tr]) & set(df["color"].iloc[te])
    if strategy == "timeseries":
        ordered = df.sort_values("f0")
        for tr, te in splitter.split(ordered):
            assert ordered["f0"].iloc[tr].max() <= ordered["f0"].iloc[te].min()


@pytest.mark.parametrize("imbalance", ["none", "class_weight", "undersample", "oversample", "smote"])
def test_imbalance_strategies_run_inside_the_folds(imbalance: str) -> None:
    X, y = make_classification(n_samples=600, n_features=5, weights=[0.95], random_state=1)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)]).assign(y=y)
    s = spec("pr_auc", imbalance={"strategy": imbalance})
    result = cv.run_cv(s, "binary", "logistic_regression", {}, df, seed=1)
    assert 0 < result.mean <= 1
    pipeline, _ = cv.build_pipeline(s, "binary", "logistic_regression", {}, cv.features(df, s.dataset), 1)
    if imbalance in ("undersample", "oversample", "smote"):
        assert "resample" in pipeline.named_steps
    if imbalance == "class_weight":
        assert pipeline.named_steps["model"].class_weight == "balanced"


def test_preprocessing_is_fitted_on_training_folds_only() -> None:
    # A high-cardinality id-like category perfectly predicts the target in-sample only: target
    # encoding fitted on all rows leaks the label into validation folds; ours does not.
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({"noise": rng.normal(size=n), "code": [f"c{i // 2}" for i in range(n)]})
    df["y"] = rng.integers(0, 2, n)
    s = spec("roc_auc", cv={"folds": 4, "strategy": "stratified"})
    ours = cv.run_cv(s, "binary", "logistic_regression", {}, df, seed=0)

    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import TargetEncoder

    leaky_codes = df.groupby("code")["y"].transform("mean")  # encoded with every row's label
    leaky_scores, by_hand = [], []
    for tr, te in StratifiedKFold(4, shuffle=True, random_state=0).split(df, df["y"]):
        Xl = pd.DataFrame({"noise": df["noise"], "code": leaky_codes})
        model = LogisticRegression().fit(Xl.iloc[tr], df["y"].iloc[tr])
        leaky_scores.append(skm.roc_auc_score(df["y"].iloc[te], model.predict_proba(Xl.iloc[te])[:, 1]))
        pipeline, _ = cv.build_pipeline(s, "binary", "logistic_regression", {}, df[["noise", "code"]], 0)
        pipeline.fit(df[["noise", "code"]].iloc[tr], df["y"].iloc[tr])
        proba = pipeline.predict_proba(df[["noise", "code"]].iloc[te])[:, 1]
        by_hand.append(skm.roc_auc_score(df["y"].iloc[te], proba))
    assert np.mean(leaky_scores) > 0.75, "the crafted leak must be visible"
    assert ours.mean < 0.65, "ours must not see the leak"
    assert np.allclose(ours.fold_scores, by_hand, atol=1e-12)
    assert isinstance(TargetEncoder(), TargetEncoder)


def test_identifier_and_constant_columns_are_dropped_with_a_note() -> None:
    df = frame("binary").assign(row_id=range(240), constant=1)
    result = cv.run_cv(spec("roc_auc"), "binary", "logistic_regression", {}, df, seed=1)
    assert any("row_id" in n for n in result.notes) and any("constant" in n for n in result.notes)


@pytest.mark.parametrize("make_uri, reason", [
    pytest.param(lambda root, out: f"file://{root}/../outside.csv", "outside the data roots", id="dotdot"),
    pytest.param(lambda root, out: f"file://{root}/link.csv", "outside the data roots", id="symlink"),
    pytest.param(lambda root, out: "file:///etc/passwd", "outside the data roots", id="etc-passwd"),
    pytest.param(lambda root, out: "http://example.com/x.csv", "scheme 'http'", id="http"),
    pytest.param(lambda root, out: f"file://{root}/missing.csv", "does not exist", id="missing"),
    pytest.param(lambda root, out: f"file://{root}/data.txt", "not .csv or .parquet", id="extension"),
])
def test_dataset_paths_are_confined_to_the_roots(tmp_path: Path, make_uri: Any, reason: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside.csv"
    outside.write_text("a,b\n1,2\n")
    (root / "data.txt").write_text("a\n")
    os.symlink(outside, root / "link.csv")
    with pytest.raises(DatasetError, match=reason):
        datasets.load_frame(make_uri(root, outside), [root.resolve()], tmp_path / "cache")


def test_huge_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(200_000)) + "\n")
    with pytest.raises(DatasetError, match="header|columns"):
        datasets.load_frame(path.as_uri(), [tmp_path.resolve()], tmp_path / "cache")


def test_second_load_comes_from_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    frame("binary").to_csv(path, index=False)
    first = datasets.load_frame(path.as_uri(), [tmp_path.resolve()], tmp_path / "cache")
    assert list((tmp_path / "cache").glob("*.parquet"))
    assert datasets.load_frame(path.as_uri(), [tmp_path.resolve()], tmp_path / "cache") is first


@pytest.mark.parametrize("series, task", [
    pytest.param(pd.Series([0, 1, 0, 1]), "binary", id="binary-ints"),
    pytest.param(pd.Series(["Yes", "No", "No"]), "binary", id="binary-strings"),
    pytest.param(pd.Series(["a", "b", "c", "a"]), "multiclass", id="multiclass"),
    pytest.param(pd.Series(np.linspace(0, 1, 50)), "regression", id="regression"),
])
def test_task_detection(series: pd.Series, task: str) -> None:
    assert datasets.detect_task(series) == task


def test_validation_reports_every_problem_at_once(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        check_job({"dataset": {"uri": "builtin:breast_cancer", "target": "target", "drop": ["nope"]},
                   "metric": "rmse", "algorithms": ["ridge", "unknown"], "search": {"max_trials": -1}},
                  [tmp_path], tmp_path / "cache")
    text = " | ".join(info.value.reasons)
    for fragment in ("max_trials", "unknown algorithm", "rmse does not fit a binary task", "ridge does not support",
                     "dataset.drop"):
        assert fragment in text, text


def test_builtin_event_detection_dataset_has_rare_positives(tmp_path: Path) -> None:
    df = datasets.load_frame("builtin:default", [tmp_path], tmp_path / "cache")
    y = cv.target_vector(df, JobSpec.model_validate({"dataset": {"uri": "builtin:default", "target": "default"},
                                                     "metric": "roc_auc"}).dataset, "binary")
    assert len(df) == 10_000 and 0.02 < y.mean() < 0.05
