"""Preprocessing and imbalance: column inference, no leakage across folds, resampling inside folds only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from tests.unit.ml.conftest import frame, spec
from zygarde.ml import cv, preprocessing
from zygarde.ml.estimator import positive_label
from zygarde.ml.pipeline import build_pipeline


def test_column_plan() -> None:
    n = 100
    rng = np.random.default_rng(0)
    X = pd.DataFrame({
        "num": rng.normal(size=n), "flag": rng.integers(0, 2, n).astype(bool),
        "low": rng.choice(list("abc"), n), "high": [f"city{i % 40}" for i in range(n)],
        "row_id": np.arange(n), "email": [f"u{i}@x.org" for i in range(n)], "constant": 7,
        "stamp": pd.date_range("2020-01-01", periods=n, freq="D"),
        "day": [f"2021-03-{1 + i % 28:02d}" for i in range(n)],
    })
    plan = preprocessing.plan_columns(X)
    assert plan.numeric == ["num", "flag"] and plan.low_cardinality == ["low"]
    assert plan.high_cardinality == ["high"]
    assert plan.datetime == ["stamp", "day"] and set(plan.dropped) == {"row_id", "email", "constant"}
    notes = " | ".join(plan.notes)
    for fragment in ("row_id: identifier-like", "email: identifier-like", "constant: constant"):
        assert fragment in notes
    pipeline, _ = build_pipeline("logistic_regression", {}, "binary", X, y=pd.Series(rng.integers(0, 2, n)))
    out = pipeline.named_steps["prep"].fit_transform(X, rng.integers(0, 2, n))
    assert np.isfinite(out).all() and out.shape[0] == n


def test_missing_values_and_unseen_levels() -> None:
    df = frame("binary")
    df.loc[::7, "f1"] = np.nan
    df.loc[::5, "color"] = None
    model = cv.fit_final(spec("roc_auc"), "binary", "logistic_regression", {}, df, 0)
    new = df.drop(columns="y").head(5).assign(color="purple")
    assert len(model.predict(new)) == 5


@pytest.mark.parametrize("algorithm, scaled", [
    pytest.param("logistic_regression", True, id="linear-scaled"),
    pytest.param("random_forest", False, id="trees-unscaled"),
])
def test_scaling_only_where_needed(algorithm: str, scaled: bool) -> None:
    df = frame("binary")
    pipeline, _ = build_pipeline(algorithm, {}, "binary", df.drop(columns="y"))
    num = pipeline.named_steps["prep"].transformers[0][1]
    assert ("scale" in num.named_steps) == scaled


def test_catboost_gets_native_categoricals() -> None:
    df = frame("binary")
    pipeline, _ = build_pipeline("catboost", {"iterations": 10}, "binary", df.drop(columns="y"))
    assert pipeline.named_steps["model"].estimator.get_params()["cat_features"] == ("color",)
    fitted = clone(pipeline).fit(df.drop(columns="y"), df["y"])
    assert fitted.named_steps["prep"].transform(df.drop(columns="y"))["color"].dtype == object


def test_preprocessing_is_fitted_on_training_folds_only() -> None:
    # A high-cardinality code whose levels have two rows each and a random label: target encoding
    # fitted on every row before CV sees each validation row's own label; ours must not.
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({"noise": rng.normal(size=n), "code": [f"c{i // 2}" for i in range(n)],
                       "y": rng.integers(0, 2, n)})
    s = spec("roc_auc", cv={"folds": 4, "strategy": "stratified"})
    ours = cv.run_cv(s, "binary", "logistic_regression", {}, df, seed=0)

    X, y = df[["noise", "code"]], df["y"]
    splits = list(StratifiedKFold(4, shuffle=True, random_state=0).split(X, y))
    pipeline, _ = build_pipeline("logistic_regression", {}, "binary", X, "none", 0, y=y)
    leaky_prep = clone(pipeline.named_steps["prep"]).fit(X, y)  # the mistake: fitted on all rows
    Xt = leaky_prep.transform(X)
    leaky, by_hand = [], []
    for tr, te in splits:
        model = LogisticRegression().fit(Xt[tr], y.iloc[tr])
        leaky.append(skm.roc_auc_score(y.iloc[te], model.predict_proba(Xt[te])[:, 1]))
        fold = clone(pipeline).fit(X.iloc[tr], y.iloc[tr])
        by_hand.append(skm.roc_auc_score(y.iloc[te], fold.predict_proba(X.iloc[te])[:, 1]))
    assert np.mean(leaky) > 0.75, "the crafted leak must be visible"
    assert ours.mean < 0.65, "ours must not see the leak"
    assert np.allclose(ours.fold_scores, by_hand, atol=1e-12)


def _imbalanced() -> pd.DataFrame:
    X, y = make_classification(n_samples=600, n_features=5, weights=[0.9], random_state=1)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(5)]).assign(y=y)


@pytest.mark.parametrize("imbalance, algorithm, balanced_prior", [
    pytest.param("none", "noop", False, id="none"),
    pytest.param("class_weight", "noop", True, id="class-weight-by-sample-weights"),
    pytest.param("undersample", "noop", True, id="undersample"),
    pytest.param("oversample", "noop", True, id="oversample"),
    pytest.param("smote", "noop", True, id="smote"),
])
def test_imbalance_strategies_balance_the_training_data(imbalance: str, algorithm: str,
                                                        balanced_prior: bool) -> None:
    # the prior model learns the class shares it is shown: balanced exactly when balancing happened
    df = _imbalanced()
    model = cv.fit_final(spec("pr_auc", imbalance={"strategy": imbalance}), "binary", algorithm, {}, df, 1)
    prior = model.named_steps["model"].estimator_.class_prior_
    assert np.allclose(prior, [0.5, 0.5]) == balanced_prior, prior
    assert len(model.predict(df.drop(columns="y"))) == len(df)  # never resampled at predict time


@pytest.mark.parametrize("imbalance", ["none", "class_weight", "undersample", "oversample", "smote"])
def test_imbalance_strategies_cross_validate(imbalance: str) -> None:
    df = _imbalanced()
    s = spec("pr_auc", imbalance={"strategy": imbalance})
    result = cv.run_cv(s, "binary", "logistic_regression", {}, df, seed=1)
    assert 0.3 < result.mean <= 1
    X = cv.features(df, s.dataset)
    pipeline, _ = build_pipeline("logistic_regression", {}, "binary", X, imbalance, 1)
    assert ("resample" in pipeline.named_steps) == (imbalance in ("undersample", "oversample", "smote"))
    if imbalance == "class_weight":
        assert pipeline.named_steps["model"].estimator.class_weight == "balanced"


def test_resampling_touches_training_folds_only() -> None:
    # the fold scores equal a by-hand loop that resamples the training rows and scores untouched rows
    from imblearn.over_sampling import SMOTE

    df = _imbalanced()
    s = spec("pr_auc", imbalance={"strategy": "smote"}, cv={"folds": 3, "strategy": "stratified"})
    ours = cv.run_cv(s, "binary", "logistic_regression", {"C": 0.5}, df, seed=2)
    X, y = df.drop(columns="y"), df["y"]
    scores = []
    for tr, te in cv.make_splitter(s.cv, "binary", s.search.seed).split(X, y):
        pipeline, _ = build_pipeline("logistic_regression", {"C": 0.5}, "binary", X, "none", 2)
        prep = pipeline.named_steps["prep"].fit(X.iloc[tr], y.iloc[tr])
        Xs, ys = SMOTE(k_neighbors=5, random_state=2).fit_resample(prep.transform(X.iloc[tr]), y.iloc[tr])
        model = pipeline.named_steps["model"].fit(Xs, ys)
        proba = model.predict_proba(prep.transform(X.iloc[te]))[:, 1]
        scores.append(skm.average_precision_score(y.iloc[te], proba))
    assert np.allclose(ours.fold_scores, scores, atol=1e-12)


@pytest.mark.parametrize("values, positive", [
    pytest.param([0, 1, 1, 1], 1, id="ones"),
    pytest.param([True, False, False], True, id="bools"),
    pytest.param(["No", "Yes", "No"], "Yes", id="yes-no"),
    pytest.param(["benign", "malignant", "benign"], "malignant", id="rarer"),
    pytest.param(["a", "b"], "b", id="tie-sorted-last"),
])
def test_positive_label(values: list[object], positive: object) -> None:
    assert positive_label(pd.Series(values)) == positive


@pytest.mark.parametrize("missing", [0.0, 0.07], ids=["complete", "with-missing-values"])
def test_median_imputer_equals_simple_imputer(missing: float) -> None:
    from sklearn.impute import SimpleImputer

    rng = np.random.default_rng(4)
    X = rng.integers(0, 9, size=(301, 12)).astype(float)
    X[rng.random(X.shape) < missing] = np.nan
    X[:, 5] = np.nan  # an empty column: dropped, as SimpleImputer drops it
    test = rng.normal(size=(40, 12))
    test[::3, 2] = np.nan
    for keep in (False, True):
        ours = preprocessing.MedianImputer(add_indicator=True, keep_empty_features=keep).fit(X)
        theirs = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=keep).fit(X)
        np.testing.assert_array_equal(ours.statistics_, theirs.statistics_)
        np.testing.assert_array_equal(ours.transform(test), theirs.transform(test))
        assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert clone(ours).get_params() == {"add_indicator": True, "keep_empty_features": True}


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_histogram_boosting_splits_on_categories_itself(task: str) -> None:
    df = frame(task)
    df.loc[:4, "color"] = None  # missing, and at predict time unseen, levels become NaN codes
    X, y = df.drop(columns="y"), df["y"]
    pipeline, _ = build_pipeline("hist_gradient_boosting", {}, task, X, y=y)
    fitted = pipeline.fit(X, y)
    coded = fitted.named_steps["prep"].transform(X.assign(color=["purple"] * len(X)))
    assert list(coded.columns) == [*(f"f{i}" for i in range(5)), "color"]  # one column, not one per level
    assert coded["color"].isna().all()
    model = fitted.named_steps["model"]
    inner = getattr(model, "estimator_", model)
    assert list(inner.is_categorical_) == [False] * 5 + [True]
    smote, _ = build_pipeline("hist_gradient_boosting", {}, "binary", X, "smote", y=y)  # SMOTE needs numbers
    assert "onehot" in {name for name, *_ in smote.named_steps["prep"].transformers}
