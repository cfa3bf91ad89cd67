"""Spark-engine splits (exact, stratified, independent of partitioning), dataset confinement,
engine validation (every reason at once, auto by size), and the hash-checked PipelineModel artifact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.selector import spark_winner
from tests.unit.spark.conftest import make_frame, write
from zygarde.errors import ArtifactIntegrityError, DatasetError, SpecError
from zygarde.events import JobSpec
from zygarde.ml import validation
from zygarde.ml.spark import cv, data
from zygarde.settings import Settings


def _spec(uri: str, **extra: Any) -> JobSpec:
    return JobSpec.model_validate({"dataset": {"uri": uri, "target": "y", "drop": ["row"]}, "metric": "roc_auc",
                                   "cv": {"folds": 3}, "engine": "spark", **extra})


def test_holdout_and_folds_are_stratified_and_independent_of_partitioning(spark: Any, data_root: Path) -> None:
    from pyspark.sql import functions as F

    frame = make_frame(3000, "binary", seed=3)
    uri = write(data_root, "splits.parquet", frame)
    spec = _spec(uri)
    df = data.read(spark, uri, [data_root])
    one = data.prepare(df, spec, "binary", seed=7).frame
    other = data.prepare(df.repartition(5), spec, "binary", seed=7).frame
    a = one.select("row", data.HOLDOUT, data.FOLD).toPandas().sort_values("row").reset_index(drop=True)
    b = other.select("row", data.HOLDOUT, data.FOLD).toPandas().sort_values("row").reset_index(drop=True)
    assert a.equals(b)
    counts = one.groupBy(data.LABEL, data.HOLDOUT, data.FOLD).count().toPandas()
    for _, per_class in counts.groupby(data.LABEL):
        total = per_class["count"].sum()
        held = per_class[per_class[data.HOLDOUT]]["count"].sum()
        assert abs(held - 0.2 * total) <= data.BUCKETS
        folds = per_class[~per_class[data.HOLDOUT]]["count"]
        assert len(folds) == 3 and folds.max() - folds.min() <= data.BUCKETS
    assert one.where(F.col(data.HOLDOUT) & F.col(data.FOLD).isNull()).count() == 0


def test_dataset_paths_stay_inside_the_roots(tmp_path: Path, data_root: Path) -> None:
    outside = write(tmp_path, "outside.parquet", make_frame(10, "binary"))
    with pytest.raises(DatasetError, match="outside the data roots"):
        data.resolve(outside, [data_root])
    with pytest.raises(DatasetError, match="S3A_ROOTS"):
        data.resolve("s3a://bucket/data/x.parquet", [data_root])
    with pytest.raises(DatasetError, match="outside the s3a roots"):
        data.resolve("s3a://bucket/data/../secret/x.parquet", [data_root], "s3a://bucket/data/")
    assert data.resolve("s3a://bucket/data/x.parquet", [data_root], "s3a://bucket/data") == "s3a://bucket/data/x.parquet"


def test_validation_gives_every_spark_reason_at_once(data_root: Path) -> None:
    uri = write(data_root, "valid.parquet", make_frame(200, "binary"))
    raw = {"dataset": {"uri": uri, "target": "y"}, "metric": "ks", "engine": "spark",
           "algorithms": ["catboost", "spark_gbt", "knn"], "cv": {"strategy": "timeseries", "column": "row"},
           "imbalance": {"strategy": "smote"}}
    with pytest.raises(SpecError) as err:
        validation.check_job(raw, [data_root], data_root / "cache")
    text = "\n".join(err.value.reasons)
    for part in ("algorithms.0: catboost is not in the spark engine's catalog", "algorithms.2: knn",
                 "metric: ks is not available on the spark engine", "cv.strategy: timeseries",
                 "imbalance.strategy: smote"):
        assert part in text, text
    local = {**raw, "engine": "local", "algorithms": ["spark_gbt"], "metric": "roc_auc", "cv": {}, "imbalance": {}}
    with pytest.raises(SpecError, match="spark_gbt is not in the local engine's catalog"):
        validation.check_job(local, [data_root], data_root / "cache")


def test_auto_picks_spark_above_the_size_threshold(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = write(data_root, "auto.parquet", make_frame(300, "binary"))
    raw = {"dataset": {"uri": uri, "target": "y", "drop": ["row"]}, "metric": "roc_auc"}
    spec, _ = validation.check_job(raw, [data_root], data_root / "cache")
    assert spec.engine == "local" and spec.algorithm_names() == ["logistic_regression", "random_forest",
                                                                 "lightgbm", "catboost"]
    size = Path(uri.removeprefix("file://")).stat().st_size
    monkeypatch.setattr(validation, "_spark_settings", lambda: Settings(spark_min_bytes=size))
    spec, _ = validation.check_job(raw, [data_root], data_root / "cache")
    assert spec.engine == "spark" and all(n.startswith("spark_") for n in spec.algorithm_names())
    spec, _ = validation.check_job({**raw, "algorithms": ["random_forest"]}, [data_root], data_root / "cache")
    assert spec.engine == "local"  # named algorithms decide


def test_artifact_loads_only_with_its_hash(spark: Any, data_root: Path, tmp_path: Path) -> None:
    uri = write(data_root, "artifact.parquet", make_frame(400, "binary", seed=9))
    spec = _spec(uri, cv={"folds": 2})
    model, prep = cv.fit_final(spark, cv.Source(uri, (data_root,)), spec, "binary", "spark_decision_tree",
                               {"maxDepth": 3}, 1)
    root = str(tmp_path / "artifacts")
    art_uri, sha = spark_winner.store(root, "job1", model, prep.meta())
    loaded = spark_winner.load(root, art_uri, sha, spark)
    sample = make_frame(50, "binary", seed=10).drop(columns=["y"])
    assert set(loaded.predict(sample)) <= {"yes", "no"}
    assert loaded.predict_proba(sample).shape == (50, 2)
    folder = Path(art_uri.removeprefix("file://"))
    (folder / "zygarde.json").write_text('{"task": "binary", "labels": [], "positive": null, "features": []}')
    with pytest.raises(ArtifactIntegrityError, match="sha256 mismatch"):
        spark_winner.load(root, art_uri, sha, spark)
    with pytest.raises(ArtifactIntegrityError, match="not inside"):
        spark_winner.load(str(tmp_path / "elsewhere"), art_uri, sha, spark)
