"""A spark trial: cross-validation fold by fold on Spark, and the final refit of the winner.

Folds come from the job seed (``data.prepare``), so every trial of a job sees the same folds and
a trainer keeps the prepared training rows persisted between a job's trials; the model's own seed
is the trial seed. ``on_fold`` runs after each fold and may raise ``TrialStopped``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zygarde.events import JobSpec
from zygarde.ml import algorithms
from zygarde.ml.cv import CvResult, OnFold
from zygarde.ml.spark import catalog, data, metrics, preprocessing


@dataclass(frozen=True)
class Source:
    """Where a job's rows come from: the dataset URI and the confinement settings."""

    uri: str
    roots: tuple[Path, ...]
    s3a_roots: str = ""
    max_bytes: int = 1024**4


_cache_lock = threading.Lock()
_cached: tuple[Any, data.Prepared] | None = None  # (key, prepared with persisted training rows)


def _key(source: Source, spec: JobSpec, task: str, weights: bool) -> Any:
    stamp: Any = source.uri
    if source.uri.startswith("file:"):
        path = Path(data.resolve(source.uri, list(source.roots), source.s3a_roots, source.max_bytes))
        st = path.stat()
        stamp = (str(path), st.st_size, st.st_mtime_ns)
    return (stamp, spec.dataset.model_dump_json(), spec.cv.folds, spec.search.seed, task, weights)


def prepared(spark: Any, source: Source, spec: JobSpec, task: str) -> data.Prepared:
    """The job's prepared rows, persisted once per trainer for the job's dataset and seed."""
    global _cached
    from pyspark import StorageLevel

    weights = spec.imbalance.strategy == "class_weight"
    key = _key(source, spec, task, weights)
    with _cache_lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
        if _cached is not None:
            _cached[1].frame.unpersist()
        df = data.read(spark, source.uri, list(source.roots), source.s3a_roots, source.max_bytes)
        prep = data.prepare(df, spec, task, spec.search.seed, weights)
        prep.frame = prep.frame.persist(StorageLevel.MEMORY_AND_DISK)
        _cached = (key, prep)
        return prep


def fit(train: Any, prep: data.Prepared, algorithm: str, params: dict[str, Any], seed: int) -> tuple[Any, list[str]]:
    """Preprocessing + model fitted on ``train``: one PipelineModel taking the raw columns."""
    from pyspark import StorageLevel
    from pyspark.ml import Pipeline, PipelineModel

    algo = algorithms.get(algorithm)
    plan = preprocessing.plan_columns(train.schema, prep.features)
    prep_model = Pipeline(stages=preprocessing.stages(plan, algo.needs_scaling)).fit(train)
    keep = ["features", data.LABEL, *([data.WEIGHT] if prep.weights else [])]
    # iterative learners scan their input once per iteration: keep the vectors, not the raw rows
    X = prep_model.transform(train).select(*keep).persist(StorageLevel.MEMORY_AND_DISK)
    model = algo.build(dict(params), prep.task, seed)
    if type(model).__name__ == "MultilayerPerceptronClassifier":
        first: Any = X.select("features").first()
        n_features = first[0].size
        catalog.finish(model, params, n_features, len(prep.labels))
    notes = list(plan.notes)
    if prep.weights:
        if model.hasParam("weightCol"):
            model.setWeightCol(data.WEIGHT)
        else:
            notes.append(f"class_weight ignored: {algorithm} takes no weight column")
    try:
        fitted = model.fit(X)
    finally:
        X.unpersist()
    return PipelineModel(stages=[*prep_model.stages, fitted]), notes


def run_cv(spark: Any, source: Source, spec: JobSpec, task: str, algorithm: str, params: dict[str, Any],
           seed: int, on_fold: OnFold | None = None) -> CvResult:
    """Cross-validate one configuration on Spark; scores are the metric's natural values."""
    started_cv = time.perf_counter()
    prep = prepared(spark, source, spec, task)
    train = prep.frame.where(~prep.frame[data.HOLDOUT])
    k = spec.cv.folds
    scores: list[float] = []
    notes: list[str] = []
    fit_seconds = 0.0
    for i in range(k):
        started = time.perf_counter()
        model, fold_notes = fit(train.where(train[data.FOLD] != i), prep, algorithm, params, seed)
        fit_seconds += time.perf_counter() - started
        notes += [n for n in fold_notes if n not in notes]
        preds = model.transform(train.where(train[data.FOLD] == i))
        scores.append(metrics.evaluate(spec.metric, preds, task, max(2, len(prep.labels))))
        if on_fold is not None:
            on_fold(i + 1, k, float(np.mean(scores)))
    return CvResult(scores, float(np.mean(scores)), float(np.std(scores)), fit_seconds, notes,
                    time.perf_counter() - started_cv)


def fit_final(spark: Any, source: Source, spec: JobSpec, task: str, algorithm: str, params: dict[str, Any],
              seed: int) -> tuple[Any, data.Prepared]:
    """The configuration refitted on every training row (holdout excluded); with the prepared rows."""
    prep = prepared(spark, source, spec, task)
    model, _ = fit(prep.frame.where(~prep.frame[data.HOLDOUT]), prep, algorithm, params, seed)
    return model, prep
