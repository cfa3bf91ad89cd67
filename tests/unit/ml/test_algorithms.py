"""The catalog: every algorithm fits and scores for each task it serves; spaces build; lookups."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from tests.unit.ml.conftest import frame, spec
from zygarde.errors import SpecError
from zygarde.ml import algorithms, cv
from zygarde.ml import space as sp

CASES = [pytest.param(name, task, id=f"{name}-{task}") for name in algorithms.names()
         for task in sorted(algorithms.get(name).tasks) if name != "burn"]
METRIC = {"binary": "roc_auc", "multiclass": "roc_auc", "regression": "r2"}


@pytest.mark.parametrize("name, task", CASES)
def test_every_algorithm_fits_and_scores(name: str, task: str) -> None:
    params = {"iterations": 30} if name == "catboost" else {}
    result = cv.run_cv(spec(METRIC[task]), task, name, params, frame(task), seed=1)
    assert len(result.fold_scores) == 3 and all(np.isfinite(result.fold_scores))
    if name != "noop":  # better than the prior
        assert result.mean > (0.3 if task == "regression" else 0.6), result


@pytest.mark.parametrize("name, task", CASES)
def test_sampled_parameters_build_and_fit(name: str, task: str) -> None:
    # every region of the default space, conditionals included, gives a model that fits
    algo = algorithms.get(name)
    rng = random.Random(7)
    df = frame(task, n=120)
    s = spec(METRIC[task])
    for _ in range(2):
        params = sp.sample(algo.space, rng)
        if name == "catboost":
            params["iterations"] = 20
        model = cv.fit_final(s, task, name, params, df, seed=3)
        assert len(model.predict(df.drop(columns="y"))) == len(df)
        if task != "regression":
            assert model.predict_proba(df.drop(columns="y")).shape == (len(df), df["y"].nunique())


def test_classifiers_offer_probabilities() -> None:
    for name in algorithms.names("binary"):
        model = cv.fit_final(spec("roc_auc"), "binary", name, {"iterations": 20}, frame("binary"), 0)
        assert hasattr(model, "predict_proba"), name


def test_lookups() -> None:
    assert algorithms.get("ridge").tasks == frozenset({"regression"})
    with pytest.raises(KeyError, match="known: .*random_forest"):
        algorithms.get("nope")
    assert "ridge" not in algorithms.names("binary") and "logistic_regression" in algorithms.names("binary")
    assert "knn" in algorithms.names("binary") and "knn" in algorithms.names("regression")
    for task in ("binary", "multiclass", "regression"):
        defaults = algorithms.default_algorithms(task)
        assert "catboost" in defaults and all(task in algorithms.get(n).tasks for n in defaults)
    assert algorithms.get("noop").space == {}


def test_spaces_use_log_scales_and_conditionals() -> None:
    assert algorithms.get("logistic_regression").space["C"].log
    assert algorithms.get("random_forest").space["max_samples"].when == {"bootstrap": (True,)}
    catboost = algorithms.get("catboost").space["iterations"]  # a cap that early stopping cuts short
    assert isinstance(catboost, sp.IntDim) and catboost.log and catboost.high <= 2000


def test_space_override_replaces_the_default() -> None:
    space = algorithms.space_for("random_forest", {"n_estimators": {"int": [10, 20]}})
    assert list(space) == ["n_estimators"]
    assert algorithms.space_for("random_forest", None) == algorithms.get("random_forest").space
    with pytest.raises(SpecError, match="n_estimators"):
        algorithms.space_for("random_forest", {"n_estimators": {"int": [20, 10]}})


@pytest.mark.parametrize("name, task", CASES)
def test_default_params_are_a_point_of_the_space_and_build(name: str, task: str) -> None:
    space = algorithms.space_for(name)
    params = algorithms.default_params(name, space, task)
    assert params is not None
    assert set(params) == {n for n, dim in sp.ordered(space) if sp.active(dim, params)}
    for pname, value in params.items():
        dim = space[pname]
        if isinstance(dim, sp.CategoricalDim):
            assert value in dim.choices
        else:
            assert dim.low <= value <= dim.high, (pname, value)
    algorithms.get(name).build(params, task, 0)


def test_default_params_are_the_builders_defaults_where_the_space_allows() -> None:
    hgb = algorithms.default_params("hist_gradient_boosting", algorithms.space_for("hist_gradient_boosting"),
                                    "binary")
    assert hgb is not None
    # sklearn's own defaults, except l2_regularization 0, which a log range starts above
    assert (hgb["learning_rate"], hgb["max_leaf_nodes"], hgb["min_samples_leaf"]) == (0.1, 31, 20)
    assert hgb["l2_regularization"] == 1e-6
    narrow = {"C": sp.FloatDim(1e-3, 1e-1, log=True)}
    assert algorithms.default_params("logistic_regression", narrow, "binary") == {"C": 0.1}
    assert algorithms.default_params("ridge", algorithms.space_for("ridge"), "binary") is None


def test_catboost_stops_early_on_an_inner_split() -> None:
    df = frame("binary", n=600)
    fitted = cv.fit_final(spec("roc_auc"), "binary", "catboost", {"iterations": 2000, "learning_rate": 0.3}, df, 0)
    model = fitted.named_steps["model"].estimator_
    assert 0 < model.best_iteration_ < 1999 and model.model_.tree_count_ == model.best_iteration_ + 1


def test_l1_logistic_regression_uses_a_fast_solver() -> None:
    build = algorithms.get("logistic_regression").build
    assert build({"C": 0.1, "l1_ratio": 1.0}, "binary", 0).solver == "liblinear"
    assert build({"C": 10.0, "l1_ratio": 1.0}, "binary", 0).solver == "saga"  # liblinear slows as C grows
    assert build({"C": 1.0, "l1_ratio": 0.0}, "multiclass", 0).solver == "lbfgs"


def _inner(pipeline: Any) -> Any:
    step = pipeline.named_steps["model"]
    return getattr(step, "estimator_", None) or getattr(step, "regressor_", step)


TREES = {"lightgbm": lambda m: m.booster_.num_trees(), "xgboost": lambda m: m.get_booster().num_boosted_rounds()}


@pytest.mark.parametrize("algorithm", sorted(TREES))
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_a_booster_stops_early_on_an_inner_split(algorithm: str, task: str) -> None:
    df = frame(task, n=600)
    metric = "roc_auc" if task == "binary" else "rmse"
    fitted = cv.fit_final(spec(metric), task, algorithm, {"n_estimators": 2000, "learning_rate": 0.3}, df, 0)
    model = _inner(fitted)
    assert 0 < model.best_iteration_ < 2000 and TREES[algorithm](model.model_) >= model.best_iteration_
    small = cv.fit_final(spec(metric), task, algorithm, {"n_estimators": 150}, frame(task, n=200), 0)
    assert _inner(small).best_iteration_ == 150  # too few rows to hold out


def test_lightgbm_takes_class_weights_and_splits_categories_as_codes() -> None:
    df = frame("binary", n=400)
    model = cv.fit_final(spec("roc_auc"), "binary", "lightgbm", {"class_weight": "balanced"}, df, 0)
    inner = model.named_steps["model"].estimator_
    assert inner.model_.class_weight == "balanced"
    assert "categorical_features" not in inner.get_params()  # codes, not LightGBM's category splits


def test_xgboost_gives_the_labels_it_was_given_and_depth_limited_trees() -> None:
    # XGBoost wants classes coded 0..k-1: text labels go in and come back out, in predict_proba's order
    df = frame("multiclass", n=400, labels=("no", "perhaps", "yes"))
    fitted = cv.fit_final(spec("balanced_accuracy", imbalance={"strategy": "class_weight"}), "multiclass",
                          "xgboost", {"max_depth": 3}, df, 0)
    X = df.drop(columns="y")
    labels = fitted.predict(X)
    assert set(labels) <= {"no", "perhaps", "yes"} and len(set(labels)) == 3
    proba = fitted.predict_proba(X)
    assert list(np.asarray(fitted.classes_)[proba.argmax(axis=1)]) == list(labels)
    assert (labels == df["y"].to_numpy()).mean() > 0.7
    inner = _inner(fitted)
    assert inner.model_.get_params()["max_depth"] == 3
    assert max(int(line.count("\t")) for tree in inner.model_.get_booster().get_dump()
               for line in tree.splitlines()) <= 3  # leaves at depth 3 at most


@pytest.mark.parametrize("name", ["lightgbm", "xgboost"])
def test_a_final_booster_fits_every_row_with_the_trees_early_stopping_kept(name: str) -> None:
    from zygarde.ml.pipeline import build_pipeline

    df = frame("binary", n=600)
    X, y = df.drop(columns="y"), df["y"]
    params = {"n_estimators": 2000, "learning_rate": 0.3}
    trial = build_pipeline(name, params, "binary", X, y=y)[0].fit(X, y)
    final = build_pipeline(name, params, "binary", X, y=y, final=True)[0].fit(X, y)
    kept = _inner(trial).best_iteration_
    assert _inner(final).best_iteration_ == kept < 2000  # the same inner split chose the tree count
    inner = _inner(final)
    assert inner.model_.get_params()["n_estimators"] == kept  # the refit: every tree, no early stopping
    # the same booster fitted by hand on every row (the pipeline's features, the binary target as 0/1)
    features = final.named_steps["prep"].transform(X)
    target = (y == final.named_steps["model"].classes_[1]).astype(int).to_numpy()
    by_hand = (inner._model(kept) if name == "lightgbm" else inner._model(False, kept)).fit(features, target)
    np.testing.assert_allclose(inner.model_.predict_proba(features), by_hand.predict_proba(features))
    # a trial's booster saw only the inner split's fit part
    assert _inner(trial).model_.get_params()["n_estimators"] == 2000
