"""Diagnostics of any completed trial, on request: its params refitted on the job's training split and
scored on the holdout, written beside the job's artifact (``<artifacts>/<job>/trials/<trial>/report/``).

The refit runs in the process that asks (the planner's API thread pool for
``POST /jobs/{id}/trials/{trial_id}/report``): a trial of a small job refits in seconds, and the
caller gets the answer in the same request instead of polling the selector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pymongo.database import Database

from zygarde import events as ev
from zygarde.ml import cv, datasets, metrics
from zygarde.registry import artifacts, diagnostics
from zygarde.settings import Settings


@dataclass
class Split:
    """A job's data as the selector saw it: the same seeded holdout split."""

    spec: ev.JobSpec
    task: str
    train: pd.DataFrame
    holdout: pd.DataFrame

    @property
    def features(self) -> pd.DataFrame:
        return cv.features(self.holdout, self.spec.dataset)

    @property
    def y(self) -> np.ndarray:
        y: np.ndarray = cv.target_vector(self.holdout, self.spec.dataset, self.task).to_numpy()
        return y


def load_split(settings: Settings, job: dict[str, Any]) -> Split:
    spec = ev.JobSpec.model_validate(job["spec"])
    frame = datasets.load_frame(spec.dataset.uri, settings.data_root_paths, settings.dataset_cache)
    train, holdout = cv.split_holdout(frame, spec.dataset, job["task"], spec.search.seed)
    return Split(spec, job["task"], train, holdout)


def refit(split: Split, algorithm: str, params: dict[str, Any]) -> Any:
    return cv.fit_final(split.spec, split.task, algorithm, params, split.train, split.spec.search.seed)


def holdout_score(split: Split, pipeline: Any) -> float:
    return float(metrics.score(metrics.get(split.spec.metric), pipeline, split.features,
                               split.holdout[split.spec.dataset.target]))


def positive_scores(pipeline: Any, features: pd.DataFrame) -> np.ndarray:
    """The positive-class score a binary report ranks by (probability, else the margin)."""
    return np.asarray(metrics.predictions(metrics.get("roc_auc"), pipeline, features), dtype=float)


def diagnose(split: Split, pipeline: Any) -> dict[str, Any]:
    """The diagnostics of ``diagnostics.py`` for the task, on the holdout."""
    if split.task == "binary":
        return diagnostics.classification(split.y, positive_scores(pipeline, split.features))
    if split.task == "regression":
        return diagnostics.regression(split.y.astype(float), np.asarray(pipeline.predict(split.features), dtype=float))
    return diagnostics.multiclass(split.y, np.asarray(pipeline.predict(split.features)))


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The report's numbers without curves and matrices (FerretDB stores no nested arrays; the
    matrices are in report.json)."""
    return {k: v for k, v in report.items() if k != "curves" and not isinstance(v, list)}


def trial_report(db: Database[dict[str, Any]], settings: Settings, job: dict[str, Any],
                 result: dict[str, Any]) -> dict[str, Any]:
    """Refit one completed trial, write its report, remember where; returns the stored document."""
    split = load_split(settings, job)
    pipeline = refit(split, result["algorithm"], result["params"])
    score = holdout_score(split, pipeline)
    report = diagnose(split, pipeline)
    card = {
        "name": split.spec.name, "job_id": job["_id"], "trial_id": result["_id"], "algorithm": result["algorithm"],
        "params": result["params"], "metric": split.spec.metric, "cv_mean": result.get("cv_mean"),
        "cv_std": result.get("cv_std"), "holdout_score": score, "dataset_uri": split.spec.dataset.uri,
        "dataset_sha256": datasets.content_hash(split.spec.dataset.uri, settings.data_root_paths),
        "rows_train": len(split.train), "rows_holdout": len(split.holdout), "task": split.task,
        "note": "refitted on request on the training split; not stored as an artifact",
    }
    folder = artifacts.folder(settings.artifact_root, job["_id"]) / "trials" / result["_id"] / "report"
    paths = diagnostics.write(folder, f"{split.spec.name}: trial {result['_id']} ({result['algorithm']})",
                              card, report)
    doc = {"_id": result["_id"], "job_id": job["_id"], "holdout_score": score, "report": paths,
           "created_at": ev.now(), "headline": headline(report)}
    db.trial_reports.replace_one({"_id": result["_id"]}, doc, upsert=True)
    return doc
