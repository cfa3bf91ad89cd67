"""Every MLlib algorithm of the catalog fits on small data (numbers with gaps, text with gaps, a
boolean) through Spark's preprocessing, and scores clearly better than chance on held-out rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.spark.conftest import make_frame, write
from zygarde.events import JobSpec
from zygarde.ml import algorithms
from zygarde.ml.spark import cv, data, metrics

# cheap settings so the whole catalog fits in seconds; the defaults are tested by the e2e/bench runs
CHEAP = {"maxIter": 10, "numTrees": 10, "maxDepth": 4, "hidden": 8}
METRIC = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}
FLOOR = {"binary": 0.75, "multiclass": 0.5, "regression": 0.5}  # chance: 0.5, ~0.33, 0.0
CASES = [pytest.param(name, task, id=f"{name}-{task}")
         for name in algorithms.names(engine="spark") for task in sorted(algorithms.get(name).tasks)]


@pytest.fixture(scope="module")
def prepared(spark: Any, data_root: Path) -> dict[str, data.Prepared]:
    out = {}
    for task in METRIC:
        uri = write(data_root, f"catalog-{task}.parquet", make_frame(800, task, seed=5))
        spec = JobSpec.model_validate({"dataset": {"uri": uri, "target": "y", "drop": ["row"]},
                                       "metric": METRIC[task], "cv": {"folds": 2}, "engine": "spark"})
        df = data.read(spark, uri, [data_root])
        prep = data.prepare(df, spec, task, seed=0)
        prep.frame = prep.frame.cache()
        out[task] = prep
    return out


@pytest.mark.parametrize(("name", "task"), CASES)
def test_algorithm_fits_and_scores(prepared: dict[str, data.Prepared], name: str, task: str) -> None:
    prep = prepared[task]
    params = {k: v for k, v in CHEAP.items() if k in algorithms.space_for(name) or k == "maxIter"}
    model, notes = cv.fit(prep.frame.where(~prep.frame[data.HOLDOUT]), prep, name, params, seed=1)
    preds = model.transform(prep.frame.where(prep.frame[data.HOLDOUT]))
    score = metrics.evaluate(METRIC[task], preds, task, max(2, len(prep.labels)))
    assert score > FLOOR[task], (name, task, score, notes)
    assert "prediction" in preds.columns
