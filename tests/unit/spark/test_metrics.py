"""Spark's metrics equal zygarde's (sklearn's) on the very same predictions, to 1e-9.

Predictions are built directly as a Spark DataFrame (label, prediction, probability vector) from
numpy arrays, with ties in the scores; each metric runs on Spark and on the same arrays in
sklearn. The one documented difference: Spark's own areaUnderPR interpolates the PR curve, so
zygarde's pr_auc (average precision) is computed with a Spark SQL aggregate instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm

from zygarde.ml import metrics
from zygarde.ml.spark import metrics as spark_metrics

TOL = 1e-9


def _frame(spark: Any, y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None) -> Any:
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import DoubleType, StructField, StructType

    schema = StructType([StructField("label", DoubleType()), StructField("prediction", DoubleType()),
                         StructField("probability", VectorUDT())])
    rows = [(float(y[i]), float(pred[i]), Vectors.dense(proba[i].tolist()) if proba is not None else None)
            for i in range(len(y))]
    return spark.createDataFrame(rows, schema)


def _binary(n: int = 3000, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    p1 = np.clip(0.3 * y + rng.random(n) * 0.7, 0.001, 0.999).round(2)  # rounding makes ties
    proba = np.column_stack([1 - p1, p1])
    return y, (p1 >= 0.5).astype(int), proba


@pytest.mark.parametrize("name", ["roc_auc", "pr_auc", "logloss", "brier", "f1", "accuracy", "balanced_accuracy"])
def test_binary_metrics_equal_sklearn(spark: Any, name: str) -> None:
    y, pred, proba = _binary()
    got = spark_metrics.evaluate(name, _frame(spark, y, pred, proba), "binary")
    metric = metrics.get(name)
    want = metric.fn(y, proba[:, 1] if metric.needs_proba and name != "logloss" else
                     (proba if name == "logloss" else pred))
    assert got == pytest.approx(want, abs=TOL, rel=TOL)


@pytest.mark.parametrize("name", ["roc_auc", "logloss", "f1", "accuracy", "balanced_accuracy"])
def test_multiclass_metrics_equal_sklearn(spark: Any, name: str) -> None:
    rng = np.random.default_rng(2)
    n, k = 2000, 3
    y = rng.integers(0, k, n)
    raw = rng.random((n, k)) + np.eye(k)[y] * 0.8
    proba = raw / raw.sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    got = spark_metrics.evaluate(name, _frame(spark, y, pred, proba), "multiclass", k)
    metric = metrics.get(name)
    want = metric.fn(y, proba if metric.needs_proba else pred, labels=np.arange(k))
    assert got == pytest.approx(want, abs=TOL, rel=TOL)


@pytest.mark.parametrize("name", ["rmse", "mae", "r2", "mape"])
def test_regression_metrics_equal_sklearn(spark: Any, name: str) -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(10, 3, 2000)
    pred = y + rng.normal(0, 1, 2000)
    got = spark_metrics.evaluate(name, _frame(spark, y, pred, None), "regression")
    assert got == pytest.approx(metrics.get(name).fn(y, pred), abs=TOL, rel=TOL)


def test_sparks_area_under_pr_is_not_average_precision(spark: Any) -> None:
    """Why pr_auc does not use BinaryClassificationEvaluator(areaUnderPR): it is another number."""
    from pyspark.ml.evaluation import BinaryClassificationEvaluator

    y, pred, proba = _binary()
    frame = spark_metrics.with_score(_frame(spark, y, pred, proba))
    interpolated = BinaryClassificationEvaluator(rawPredictionCol=spark_metrics.SCORE, metricName="areaUnderPR",
                                                 numBins=0).evaluate(frame)
    assert abs(interpolated - skm.average_precision_score(y, proba[:, 1])) > 1e-4
    assert spark_metrics.average_precision(frame) == pytest.approx(skm.average_precision_score(y, proba[:, 1]),
                                                                   abs=TOL)
