"""Out-of-fold predictions: each row from the fold model that did not see it, stored safely."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from tests.unit.ml.conftest import frame, spec
from zygarde.errors import ArtifactIntegrityError
from zygarde.events import JobSpec
from zygarde.ml import cv, oof


def _by_hand(s: JobSpec, task: str, algorithm: str, params: dict, df: pd.DataFrame) -> np.ndarray:
    """Each fold's model, fitted on the other folds, predicting its own test rows."""
    prepared = cv.prepare(df, s)
    X, y = prepared.X, prepared.y
    pipeline, _ = cv.build_pipeline(algorithm, params, task, X, "none", 3, y=y, plan=prepared.plan)
    classes = np.unique(y.to_numpy())
    out = np.zeros((len(y), len(classes)) if task == "multiclass" else len(y))
    counts = np.zeros(len(y))
    for tr, te in cv.make_splitter(s.cv, task, s.search.seed, prepared.frame).split(X, y):
        model = clone(pipeline).fit(X.iloc[tr], y.iloc[tr])
        if task == "regression":
            out[te] += model.predict(X.iloc[te])
        elif task == "binary":
            out[te] += model.predict_proba(X.iloc[te])[:, 1]
        else:
            out[te] += model.predict_proba(X.iloc[te])
        counts[te] += 1
    return out / (counts if out.ndim == 1 else counts[:, None])


@pytest.mark.parametrize("task, algorithm, metric, params", [
    pytest.param("binary", "random_forest", "roc_auc", {"n_estimators": 20}, id="binary-proba-metric"),
    pytest.param("binary", "logistic_regression", "f1", {}, id="binary-label-metric"),
    pytest.param("multiclass", "logistic_regression", "logloss", {}, id="multiclass"),
    pytest.param("regression", "ridge", "rmse", {}, id="regression"),
])
def test_each_row_is_predicted_by_the_fold_model_that_did_not_see_it(task: str, algorithm: str, metric: str,
                                                                       params: dict) -> None:
    df = frame(task, n=200)
    s = spec(metric)
    result = cv.run_cv(s, task, algorithm, params, df, seed=3, keep_oof=True)
    assert result.oof is not None and result.oof.dtype == np.float32
    assert np.allclose(result.oof, _by_hand(s, task, algorithm, params, df), atol=1e-6)
    plain = cv.run_cv(s, task, algorithm, params, df, seed=3)
    assert plain.oof is None
    assert result.fold_scores == plain.fold_scores, "keeping predictions changes no score"


def test_a_memorising_model_is_never_scored_on_rows_it_saw() -> None:
    # 1-nearest-neighbour regression repeats the target of any row it was fitted on
    df = frame("regression", n=150)
    s = spec("rmse")
    result = cv.run_cv(s, "regression", "knn", {"n_neighbors": 1}, df, seed=0, keep_oof=True)
    assert result.oof is not None
    y = cv.prepare(df, s).y.to_numpy()
    assert np.mean(np.isclose(result.oof, y)) < 0.05


def test_repeated_cv_keeps_the_mean_and_a_time_split_keeps_nothing() -> None:
    df = frame("binary", n=120)
    repeated = spec("roc_auc", cv={"folds": 3, "strategy": "repeated_stratified", "repeats": 2})
    result = cv.run_cv(repeated, "binary", "logistic_regression", {}, df, seed=0, keep_oof=True)
    assert result.oof is not None and np.allclose(
        result.oof, _by_hand(repeated, "binary", "logistic_regression", {}, df), atol=1e-6)
    timed = spec("roc_auc", cv={"folds": 3, "strategy": "timeseries", "column": "f0"})
    assert cv.run_cv(timed, "binary", "logistic_regression", {}, df, seed=0, keep_oof=True).oof is None


def test_a_margin_model_keeps_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # every classifier of the catalog has probabilities; a bare margin model stands in for one without
    from sklearn.svm import LinearSVC

    from zygarde.ml import algorithms

    algo = algorithms.get("linear_svm")
    monkeypatch.setitem(algorithms.REGISTRY, "linear_svm",
                        dataclasses.replace(algo, build=lambda p, t, s: LinearSVC(random_state=s)))
    df = frame("binary", n=120)
    result = cv.run_cv(spec("roc_auc"), "binary", "linear_svm", {}, df, seed=0, keep_oof=True)
    assert result.oof is None and len(result.fold_scores) == 3


def test_store_and_load_round_trip_inside_the_artifact_store(tmp_path: Path) -> None:
    preds = np.linspace(0, 1, 11)
    uri, sha = oof.store(tmp_path.as_uri(), "job1", "job1-00003", 2, preds)
    assert uri.endswith("/job1/oof/job1-00003.2.npy")
    back = oof.load(tmp_path.as_uri(), uri, sha)
    assert back.dtype == np.float32 and np.allclose(back, preds)

    Path(uri.removeprefix("file://")).write_bytes(Path(uri.removeprefix("file://")).read_bytes() + b"x")
    with pytest.raises(ArtifactIntegrityError, match="sha256 mismatch"):
        oof.load(tmp_path.as_uri(), uri, sha)
    with pytest.raises(ArtifactIntegrityError, match="no sha256"):
        oof.load(tmp_path.as_uri(), uri, None)
    outside = tmp_path.parent / "elsewhere.npy"
    with pytest.raises(ArtifactIntegrityError, match="not inside"):
        oof.load(tmp_path.as_uri(), outside.as_uri(), sha)
    with pytest.raises(ArtifactIntegrityError, match=".npy"):
        oof.load(tmp_path.as_uri(), (tmp_path / "job1" / "model.joblib").as_uri(), sha)
    for job, trial in (("..", "t"), ("j", "../../x"), ("j/k", "t"), ("", "t")):
        with pytest.raises(ArtifactIntegrityError):
            oof.store(tmp_path.as_uri(), job, trial, 1, preds)


def test_a_pickled_array_is_refused(tmp_path: Path) -> None:
    import hashlib
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    path = tmp_path / "job" / "oof" / "t.1.npy"
    path.parent.mkdir(parents=True)
    path.write_bytes(buf.getvalue())
    with pytest.raises(ValueError, match="allow_pickle"):
        oof.load(tmp_path.as_uri(), path.as_uri(), hashlib.sha256(buf.getvalue()).hexdigest())


@pytest.mark.parametrize("imbalance", ["undersample", "smote", "class_weight"])
def test_a_resampling_pipeline_keeps_the_same_scores_and_predictions(imbalance: str) -> None:
    # the fold's rows go through the preprocessing once, skipping the resampler, as predict does
    df = frame("binary", n=200)
    s = spec("f1", imbalance={"strategy": imbalance})
    kept = cv.run_cv(s, "binary", "logistic_regression", {}, df, seed=2, keep_oof=True)
    plain = cv.run_cv(s, "binary", "logistic_regression", {}, df, seed=2)
    assert kept.fold_scores == plain.fold_scores
    prepared = cv.prepare(df, s)
    pipeline, _ = cv.build_pipeline("logistic_regression", {}, "binary", prepared.X, imbalance, 2, y=prepared.y,
                                    plan=prepared.plan)
    expected = np.zeros(len(prepared.y))
    for tr, te in cv.make_splitter(s.cv, "binary", s.search.seed, prepared.frame).split(prepared.X, prepared.y):
        model = clone(pipeline).fit(prepared.X.iloc[tr], prepared.y.iloc[tr])
        expected[te] = model.predict_proba(prepared.X.iloc[te])[:, 1]
    assert kept.oof is not None and np.allclose(kept.oof, expected, atol=1e-6)
