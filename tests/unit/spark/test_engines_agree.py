"""The same small dataset, cross-validated by both engines with the same algorithm family, gives
close CV scores. Tolerance (docs/spark.md): |mean ROC AUC difference| <= 0.02. The engines' folds
differ (sklearn's StratifiedKFold vs the spark engine's hash-ranked folds) and so do the solvers
(L-BFGS on sklearn's C vs MLlib's regParam = 1/(C n); different tree-growing rules), so exact
equality is not expected; on 4,000 rows the fold-to-fold noise alone is about 0.005."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.spark.conftest import make_frame, write
from zygarde.events import JobSpec
from zygarde.ml import cv as local_cv
from zygarde.ml import datasets
from zygarde.ml.spark import cv as spark_cv

TOLERANCE = 0.02
PAIRS = [
    pytest.param("logistic_regression", {"C": 10.0}, "spark_logistic_regression", {"regParam": 1 / (10.0 * 3200)},
                 id="logistic_regression"),
    pytest.param("random_forest", {"n_estimators": 50, "max_depth": 8}, "spark_random_forest",
                 {"numTrees": 50, "maxDepth": 8, "featureSubsetStrategy": "sqrt"}, id="random_forest"),
]


@pytest.mark.parametrize(("local", "local_params", "spark_name", "spark_params"), PAIRS)
def test_local_and_spark_cv_scores_agree(spark: Any, data_root: Path, local: str, local_params: dict[str, Any],
                                         spark_name: str, spark_params: dict[str, Any]) -> None:
    uri = write(data_root, "agree.parquet", make_frame(4000, "binary", seed=11))
    raw = {"dataset": {"uri": uri, "target": "y", "drop": ["row"]}, "metric": "roc_auc", "cv": {"folds": 3}}
    spec = JobSpec.model_validate(raw)
    frame = datasets.load_frame(uri, [data_root], data_root / "cache")
    train, _ = local_cv.split_holdout(frame, spec.dataset, "binary", 0)
    here = local_cv.run_cv(spec, "binary", local, local_params, train, seed=0)
    there = spark_cv.run_cv(spark, spark_cv.Source(uri, (data_root,)), spec.model_copy(update={"engine": "spark"}),
                            "binary", spark_name, spark_params, seed=0)
    assert abs(here.mean - there.mean) <= TOLERANCE, (here.fold_scores, there.fold_scores)
