"""Every metric against sklearn's own function, and ``score`` on fitted estimators."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression

from tests.unit.ml.conftest import frame, spec
from zygarde.ml import cv, metrics

RNG = np.random.default_rng(3)
Y_BIN = RNG.integers(0, 2, 200)
P_BIN = np.clip(Y_BIN * 0.3 + RNG.random(200) * 0.7, 0.01, 0.99)
L_BIN = (P_BIN > 0.5).astype(int)
Y_REG = RNG.normal(10, 2, 200)
P_REG = Y_REG + RNG.normal(0, 1, 200)


@pytest.mark.parametrize("name, y, pred, expected", [
    pytest.param("roc_auc", Y_BIN, P_BIN, skm.roc_auc_score(Y_BIN, P_BIN), id="roc_auc"),
    pytest.param("pr_auc", Y_BIN, P_BIN, skm.average_precision_score(Y_BIN, P_BIN), id="pr_auc"),
    pytest.param("logloss", Y_BIN, P_BIN, skm.log_loss(Y_BIN, P_BIN), id="logloss"),
    pytest.param("brier", Y_BIN, P_BIN, skm.brier_score_loss(Y_BIN, P_BIN), id="brier"),
    pytest.param("ks", Y_BIN, P_BIN, ks_2samp(P_BIN[Y_BIN == 1], P_BIN[Y_BIN == 0]).statistic, id="ks"),
    pytest.param("f1", Y_BIN, L_BIN, skm.f1_score(Y_BIN, L_BIN), id="f1"),
    pytest.param("accuracy", Y_BIN, L_BIN, skm.accuracy_score(Y_BIN, L_BIN), id="accuracy"),
    pytest.param("balanced_accuracy", Y_BIN, L_BIN, skm.balanced_accuracy_score(Y_BIN, L_BIN), id="bal-acc"),
    pytest.param("mcc", Y_BIN, L_BIN, skm.matthews_corrcoef(Y_BIN, L_BIN), id="mcc"),
    pytest.param("rmse", Y_REG, P_REG, np.sqrt(skm.mean_squared_error(Y_REG, P_REG)), id="rmse"),
    pytest.param("mae", Y_REG, P_REG, skm.mean_absolute_error(Y_REG, P_REG), id="mae"),
    pytest.param("r2", Y_REG, P_REG, skm.r2_score(Y_REG, P_REG), id="r2"),
    pytest.param("mape", Y_REG, P_REG, skm.mean_absolute_percentage_error(Y_REG, P_REG), id="mape"),
])
def test_metric_matches_sklearn(name: str, y: Any, pred: Any, expected: float) -> None:
    assert metrics.get(name).fn(y, pred) == pytest.approx(expected, abs=1e-12)


def test_directions_and_tasks() -> None:
    assert not metrics.get("rmse").greater_is_better and metrics.get("roc_auc").greater_is_better
    assert not metrics.get("logloss").greater_is_better and metrics.get("logloss").needs_proba
    assert "rmse" not in metrics.names_for("binary") and "roc_auc" not in metrics.names_for("regression")
    assert "pr_auc" in metrics.names_for("binary") and "pr_auc" not in metrics.names_for("multiclass")
    with pytest.raises(KeyError, match="known"):
        metrics.get("nope")


def test_rmse_is_a_positive_error() -> None:
    df = frame("regression")
    model = cv.fit_final(spec("rmse"), "regression", "ridge", {}, df, 0)
    value = metrics.score(metrics.get("rmse"), model, df.drop(columns="y"), df["y"])
    assert value > 0
    assert value == pytest.approx(skm.root_mean_squared_error(df["y"], model.predict(df.drop(columns="y"))))


def test_binary_score_uses_the_positive_class_with_raw_or_encoded_labels() -> None:
    df = frame("binary", labels=("No", "Yes"))
    X = df.drop(columns="y")
    model = cv.fit_final(spec("roc_auc"), "binary", "logistic_regression", {}, df, 0)
    assert list(model.classes_) == ["No", "Yes"] and set(model.predict(X)) <= {"No", "Yes"}
    positive = model.predict_proba(X)[:, 1]
    expected = skm.roc_auc_score(df["y"] == "Yes", positive)
    assert metrics.score(metrics.get("roc_auc"), model, X, df["y"]) == pytest.approx(expected)
    encoded = (df["y"] == "Yes").astype(int)
    assert metrics.score(metrics.get("roc_auc"), model, X, encoded) == pytest.approx(expected)
    f1 = skm.f1_score(df["y"], model.predict(X), pos_label="Yes")
    assert metrics.score(metrics.get("f1"), model, X, df["y"]) == pytest.approx(f1)


def test_multiclass_roc_auc_is_one_vs_rest_macro() -> None:
    df = frame("multiclass")
    X, y = df.drop(columns="y"), df["y"]
    model = LogisticRegression(max_iter=500).fit(X.drop(columns="color"), y)
    proba = model.predict_proba(X.drop(columns="color"))
    expected = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
    assert metrics.score(metrics.get("roc_auc"), model, X.drop(columns="color"), y) == pytest.approx(expected)
    assert metrics.score(metrics.get("logloss"), model, X.drop(columns="color"), y) == pytest.approx(
        skm.log_loss(y, proba))
    f1 = skm.f1_score(y, model.predict(X.drop(columns="color")), average="macro")
    assert metrics.score(metrics.get("f1"), model, X.drop(columns="color"), y) == pytest.approx(f1)
