"""zygarde's metrics computed by Spark on a predictions DataFrame, never collected.

Spark's evaluators where they compute the same quantity as zygarde's (sklearn's) function:
areaUnderROC (``numBins=0``: exact, no down-sampling), logLoss, accuracy, F1 of a label, rmse, mae,
r2. SQL aggregates where no evaluator does: ``pr_auc`` is average precision (Spark's areaUnderPR
interpolates the PR curve linearly, a different and optimistic number), brier, mape, and macro
F1 / balanced accuracy from the confusion counts. tests/unit/spark/test_metrics.py checks each
against zygarde.ml.metrics on the same predictions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zygarde.ml.spark.data import LABEL

SCORE = "__score"  # binary: positive-class probability, or the margin of a model without one


def with_score(preds: Any) -> Any:
    """Add the binary score column: P(label = 1), else rawPrediction[1] (a margin, like decision_function)."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    source = "probability" if "probability" in preds.columns else "rawPrediction"
    return preds.withColumn(SCORE, vector_to_array(F.col(source))[1])


def _binary_auc(df: Any, label: str, score: str) -> float:
    from pyspark.ml.evaluation import BinaryClassificationEvaluator

    ev = BinaryClassificationEvaluator(rawPredictionCol=score, labelCol=label, metricName="areaUnderROC", numBins=0)
    return float(ev.evaluate(df))


def average_precision(df: Any, label: str = LABEL, score: str = SCORE) -> float:
    """sklearn's average_precision_score: sum over distinct scores (descending) of precision x recall gain."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_score = df.groupBy(score).agg(F.sum(label).alias("tp"), F.count(F.lit(1)).alias("n"))
    w = Window.orderBy(F.col(score).desc()).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    curve = by_score.select("tp", (F.sum("tp").over(w) / F.sum("n").over(w)).alias("precision"))
    row = curve.agg(F.sum(F.col("tp") * F.col("precision")).alias("s"), F.sum("tp").alias("p")).first()
    return float(row["s"] / row["p"]) if row["p"] else 0.0


def _confusion(preds: Any, n_classes: int) -> np.ndarray:
    matrix = np.zeros((n_classes, n_classes))
    for r in preds.groupBy(LABEL, "prediction").count().collect():  # n_classes^2 rows at most
        matrix[int(r[0]), int(r[1])] = r[2]
    return matrix


def evaluate(metric: str, preds: Any, task: str, n_classes: int = 2) -> float:
    """The metric's natural value on ``preds`` (``label``, ``prediction``, ``probability``/``rawPrediction``)."""
    from pyspark.ml.evaluation import MulticlassClassificationEvaluator, RegressionEvaluator
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    if task == "regression":
        if metric == "mape":
            eps = float(np.finfo(np.float64).eps)
            err = F.abs(F.col(LABEL) - F.col("prediction")) / F.greatest(F.abs(F.col(LABEL)), F.lit(eps))
            return float(preds.agg(F.avg(err)).first()[0])
        reg: Any = RegressionEvaluator(labelCol=LABEL, predictionCol="prediction")
        return float(reg.setMetricName(metric).evaluate(preds))
    mc: Any = MulticlassClassificationEvaluator(labelCol=LABEL, predictionCol="prediction")
    if metric == "accuracy":
        return float(mc.setMetricName("accuracy").evaluate(preds))
    if metric == "logloss":
        return float(mc.setMetricName("logLoss").setProbabilityCol("probability").evaluate(preds))
    if metric == "f1" and task == "binary":
        return float(mc.setMetricName("fMeasureByLabel").setMetricLabel(1.0).evaluate(preds))
    if metric in ("f1", "balanced_accuracy"):
        m = _confusion(preds, n_classes)
        tp, true, pred = np.diag(m), m.sum(axis=1), m.sum(axis=0)
        if metric == "balanced_accuracy":
            return float(np.mean(tp[true > 0] / true[true > 0]))
        denom = true + pred
        return float(np.mean(np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)))
    if task == "binary":
        scored = with_score(preds)
        if metric == "roc_auc":
            return _binary_auc(scored, LABEL, SCORE)
        if metric == "pr_auc":
            return average_precision(scored)
        if metric == "brier":
            return float(scored.agg(F.avg((F.col(SCORE) - F.col(LABEL)) ** 2)).first()[0])
    if metric == "roc_auc":  # multiclass: one-vs-rest, macro average, like sklearn's multi_class="ovr"
        arr = preds.select(LABEL, vector_to_array(F.col("probability")).alias("p"))
        aucs = [_binary_auc(arr.select((F.col(LABEL) == k).cast("double").alias("y"), F.col("p")[k].alias("s")),
                            "y", "s") for k in range(n_classes)]
        return float(np.mean(aucs))
    raise ValueError(f"metric {metric} is not available on the spark engine for a {task} task")
