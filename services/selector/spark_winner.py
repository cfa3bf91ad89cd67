"""The winner of a spark job: refitted by Spark, scored on the holdout by Spark, stored as an MLlib
PipelineModel directory with its sha256, with the same model card and diagnostics as a local winner.

The artifact is ``<root>/<job_id>/spark_model/``: the PipelineModel as Spark writes it plus
``zygarde.json`` (task, class labels, feature columns). Its hash is sha256 over the sorted relative
paths and bytes of every file (a renamed, added or removed file changes it too), and ``load``
checks it before Spark reads a byte. Diagnostics use a seeded sample of at most 100,000 holdout
predictions, the only rows that ever reach the driver.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pymongo.errors import DuplicateKeyError

from zygarde import __version__ as zygarde_version
from zygarde import events as ev
from zygarde.errors import ArtifactIntegrityError
from zygarde.ml import cv, datasets
from zygarde.registry import artifacts, diagnostics
from zygarde.settings import Settings

log = logging.getLogger(__name__)

REPORT_ROWS = 100_000
META = "zygarde.json"


def tree_sha256(folder: Path) -> str:
    """sha256 over every file under ``folder``: sorted relative path, a NUL, the bytes, for each."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def store(root_uri: str, job_id: str, model: Any, meta: dict[str, Any]) -> tuple[str, str]:
    """Write the PipelineModel and its metadata as ``<root>/<job_id>/spark_model/``; (uri, sha256)."""
    final = artifacts.folder(root_uri, job_id) / "spark_model"
    tmp = final.with_name(f".spark_model.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.write().overwrite().save(str(tmp))
    (tmp / META).write_text(json.dumps(meta, sort_keys=True, default=str))
    sha = tree_sha256(tmp)
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return final.as_uri(), sha


class SparkArtifact:
    """A loaded spark winner: ``transform`` for Spark DataFrames; ``predict``/``predict_proba`` take
    pandas (or Spark) frames of the raw feature columns, like a local artifact."""

    def __init__(self, model: Any, meta: dict[str, Any], spark: Any) -> None:
        self.model, self.meta, self.spark = model, meta, spark
        self.classes_ = np.asarray(meta.get("labels") or [])

    def transform(self, frame: Any) -> Any:
        if isinstance(frame, pd.DataFrame):
            frame = self.spark.createDataFrame(frame)
        return self.model.transform(frame)

    def predict(self, frame: Any) -> np.ndarray:
        pred: np.ndarray = self.transform(frame).select("prediction").toPandas()["prediction"].to_numpy()
        if self.meta["task"] == "regression":
            return pred
        labels: np.ndarray = self.classes_[pred.astype(int)] if self.meta["task"] == "multiclass" else np.where(
            pred == 1.0, self.meta["positive"], [c for c in self.classes_ if c != self.meta["positive"]][0])
        return labels

    def predict_proba(self, frame: Any) -> np.ndarray:
        from pyspark.ml.functions import vector_to_array
        from pyspark.sql import functions as F

        out = self.transform(frame).select(vector_to_array(F.col("probability")).alias("p")).toPandas()
        return np.vstack(out["p"].to_numpy()) if len(out) else np.empty((0, len(self.classes_)))


def load(root_uri: str, uri: str, sha256: str, spark: Any) -> SparkArtifact:
    """Load a spark winner of our store after checking its hash; refuse anything else."""
    from pyspark.ml import PipelineModel

    root = artifacts.folder(root_uri, "x").parent
    path = Path(uri.removeprefix("file://")).resolve()
    if root not in path.parents:
        raise ArtifactIntegrityError(f"{uri} is not inside the artifact store {root}")
    if not path.is_dir() or tree_sha256(path) != sha256:
        raise ArtifactIntegrityError(f"{uri}: sha256 mismatch, refusing to load")
    meta = json.loads((path / META).read_text())
    return SparkArtifact(PipelineModel.load(str(path)), meta, spark)


def build_model(settings: Settings, db: Any, job: dict[str, Any], best: dict[str, Any]) -> dict[str, Any]:
    """Refit the best trial on Spark, score the holdout, store the artifact and the report, insert the
    model document (the same fields as a local winner's) once; return the stored document."""
    from zygarde.ml.spark import cv as spark_cv
    from zygarde.ml.spark import data, metrics, session

    spark = session.get(session.SparkConfig.from_settings(settings, "zygarde-selector"))
    spec = ev.JobSpec.model_validate(job["spec"])
    task = job["task"]
    source = spark_cv.Source(spec.dataset.uri, tuple(settings.data_root_paths), settings.spark_s3a_roots,
                             settings.spark_max_bytes)
    started = time.monotonic()
    model, prep = spark_cv.fit_final(spark, source, spec, task, best["algorithm"], best["params"], spec.search.seed)
    refit_seconds = time.monotonic() - started
    holdout = prep.frame.where(prep.frame[data.HOLDOUT])
    preds = model.transform(holdout)
    holdout_score = metrics.evaluate(spec.metric, preds, task, max(2, len(prep.labels)))
    rows_holdout = holdout.count()
    rows_train = prep.frame.count() - rows_holdout
    meta = {**prep.meta(), "algorithm": best["algorithm"], "params": best["params"], "engine": "spark"}
    uri, sha = store(settings.artifact_root, job["_id"], model, meta)
    uri_hash = datasets.content_hash(spec.dataset.uri, settings.data_root_paths, settings.spark_max_bytes) \
        if not spec.dataset.uri.startswith("s3a://") else None
    card = {
        "name": spec.name, "job_id": job["_id"], "trial_id": best["_id"], "algorithm": best["algorithm"],
        "params": best["params"], "metric": spec.metric, "cv_mean": best["cv_mean"], "cv_std": best.get("cv_std"),
        "holdout_score": float(holdout_score), "dataset_uri": spec.dataset.uri, "dataset_sha256": uri_hash,
        "rows_train": rows_train, "rows_holdout": rows_holdout, "task": task, "engine": "spark",
        "training_seconds": refit_seconds, "versions": cv.library_versions(), "code_version": zygarde_version,
        "artifact_sha256": sha, "artifact_format": "spark PipelineModel directory",
        "spec": spec.model_dump(mode="json"),
    }
    report_paths = _report(settings, job["_id"], spec, task, preds, rows_holdout, prep.labels, card)
    doc = {
        "_id": job["_id"], "trial_id": best["_id"], "algorithm": best["algorithm"], "params": best["params"],
        "metric": spec.metric, "cv_mean": best["cv_mean"], "cv_std": best.get("cv_std"),
        "holdout_score": float(holdout_score), "artifact_uri": uri, "sha256": sha, "name": spec.name,
        "refit_seconds": refit_seconds, "created_at": ev.now(), "published": False,
        "versions": cv.library_versions(), "dataset_uri": spec.dataset.uri, "engine": "spark",
        "model_card": card, "report": report_paths,
    }
    try:
        db.models.insert_one(doc)
    except DuplicateKeyError:
        existing: dict[str, Any] = db.models.find_one({"_id": job["_id"]})
        return existing
    return doc


def _report(settings: Settings, job_id: str, spec: ev.JobSpec, task: str, preds: Any, rows: int,
            labels: list[Any], card: dict[str, Any]) -> dict[str, str]:
    """Diagnostics on a seeded sample of the holdout predictions; a failure never blocks the winner."""
    from zygarde.ml.spark import data, metrics

    try:
        if rows > REPORT_ROWS:
            preds = preds.sample(fraction=min(1.0, 1.1 * REPORT_ROWS / rows), seed=spec.search.seed)
        if task == "binary":
            sample = metrics.with_score(preds).select(data.LABEL, metrics.SCORE).limit(REPORT_ROWS).toPandas()
            report = diagnostics.classification(sample[data.LABEL].to_numpy().astype(int),
                                                sample[metrics.SCORE].to_numpy(dtype=float))
        else:
            sample = preds.select(data.LABEL, "prediction").limit(REPORT_ROWS).toPandas()
            y, pred = sample[data.LABEL].to_numpy(dtype=float), sample["prediction"].to_numpy(dtype=float)
            if task == "regression":
                report = diagnostics.regression(y, pred)
            else:
                names = np.asarray([str(v) for v in labels])
                report = diagnostics.multiclass(names[y.astype(int)], names[pred.astype(int)])
        report["sampled_rows"] = int(len(sample))
        folder = artifacts.folder(settings.artifact_root, job_id) / "report"
        return diagnostics.write(folder, f"{spec.name}: {card['algorithm']}", card, report)
    except Exception:
        log.exception("diagnostics report failed", extra={"job_id": job_id})
        return {}
