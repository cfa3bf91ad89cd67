"""Quality over time: score a registered version (the champion by default) on newly labelled data,
measure feature drift against its training data, store the evaluation, and ask for a retrain.

A retrain is asked (``RetrainRequested`` on ``jobs``) when the metric falls more than
``ZYGARDE_REGISTRY_METRIC_DROP`` (relative) below the version's holdout score, or when any feature's
PSI passes ``ZYGARDE_REGISTRY_PSI_THRESHOLD``, unless a retrain of the same name is still running.
Runs in the process that asks (the planner's API): a few seconds for the datasets Zygarde trains on.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from pymongo.database import Database

from zygarde import events as ev
from zygarde.bus import EventProducer
from zygarde.errors import ZygardeError
from zygarde.ids import stable_event_id
from zygarde.ml import cv, datasets, metrics
from zygarde.registry import artifacts, drift
from zygarde.registry.rules import RegistrySettings, registry_settings
from zygarde.settings import Settings
from zygarde.store.registry import RegistryRepository, ensure_registry_indexes


class NotFound(ZygardeError):
    """No such model name or version."""


class EvaluationError(ZygardeError):
    """The data cannot be scored by the version (missing target or feature columns)."""


def report_folder(settings: Settings, name: str) -> Path:
    """``<artifacts>/registry/<safe name>/report``: a name is free text, so the folder is a slug plus a hash."""
    slug = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64]
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return artifacts.folder(settings.artifact_root, "registry") / f"{slug}-{digest}" / "report"


def relative_drop(score: float, reference: float, greater_is_better: bool) -> float:
    """How much worse ``score`` is than ``reference``, as a fraction of it (negative when better)."""
    worse = reference - score if greater_is_better else score - reference
    return float(worse / abs(reference)) if reference else float(worse)


def _version(repo: RegistryRepository, name: str, version: int | None) -> dict[str, Any]:
    model = repo.model(name)
    if model is None:
        raise NotFound(f"unknown model {name!r}")
    number = version if version is not None else (model.get("aliases") or {}).get("champion")
    doc = repo.version(name, int(number)) if number is not None else None
    if doc is None:
        raise NotFound(f"model {name!r} has no version {number}")
    return doc


def evaluate(db: Database[dict[str, Any]], settings: Settings, producer: EventProducer, name: str, dataset_uri: str,
             version: int | None = None, own: RegistrySettings | None = None) -> dict[str, Any]:
    """Score, measure drift, store, maybe ask a retrain; returns the stored evaluation."""
    own = own or registry_settings()
    ensure_registry_indexes(db)
    repo = RegistryRepository(db)
    ver = _version(repo, name, version)
    if ver["spec"].get("engine") == "spark":
        raise EvaluationError("evaluating a Spark PipelineModel needs a Spark session: not supported yet")
    spec = ev.JobSpec.model_validate(ver["spec"])
    target = spec.dataset.target
    new = datasets.load_frame(dataset_uri, settings.data_root_paths, settings.dataset_cache)
    if target not in new.columns:
        raise EvaluationError(f"the dataset has no target column {target!r}")
    new = new[new[target].notna()]
    if new.empty:
        raise EvaluationError(f"no row of the dataset has a value in {target!r}")
    frame = datasets.load_frame(spec.dataset.uri, settings.data_root_paths, settings.dataset_cache)
    train, _ = cv.split_holdout(frame, spec.dataset, ver["task"], spec.search.seed)
    train_x, new_x = cv.features(train, spec.dataset), cv.features(new, spec.dataset)
    missing = [str(c) for c in train_x.columns if c not in new_x.columns]
    if missing:
        raise EvaluationError(f"the dataset lacks feature columns the model needs: {', '.join(missing[:20])}")
    served = ver.get("final_artifact") or ver["artifact"]  # final_refit=all: the model fitted on every row
    pipeline = artifacts.load(settings.artifact_root, served["uri"], served["sha256"])
    metric = metrics.get(spec.metric)
    score = float(metrics.score(metric, pipeline, new_x[train_x.columns], new[target]))
    psi = drift.feature_psi(train_x, new_x, own.psi_bins)
    holdout = ver.get("holdout_score")
    drop = relative_drop(score, holdout, metric.greater_is_better) if holdout is not None else None

    reasons = [f"psi of {col} is {value:.3f}, over {own.psi_threshold}" for col, value in psi.items()
               if value > own.psi_threshold]
    if drop is not None and drop > own.metric_drop:
        reasons.insert(0, f"{spec.metric} is {score:.4f}, {drop:.1%} worse than the holdout score {holdout:.4f} "
                          f"(threshold {own.metric_drop:.1%})")
    evaluation_id = ev.new_id()
    doc: dict[str, Any] = {
        "_id": evaluation_id, "name": name, "version": ver["version"], "job_id": ver["job_id"],
        "dataset_uri": dataset_uri, "dataset_sha256": datasets.content_hash(dataset_uri, settings.data_root_paths),
        "rows": len(new), "metric": spec.metric, "greater_is_better": metric.greater_is_better, "score": score,
        "holdout_score": holdout, "relative_drop": drop, "psi": psi,
        "max_psi": max(psi.values()) if psi else None, "thresholds": {"psi": own.psi_threshold,
                                                                      "metric_drop": own.metric_drop},
        "drifted": bool(reasons), "reasons": reasons, "retrain": None, "evaluated_at": ev.now(),
    }
    event = None
    if reasons:
        running = db.jobs.find_one({"name": name, "submitted_via": "retrain", "status": {"$in": ["queued", "running"]}})
        if running is not None:
            doc["retrain"] = {"skipped": f"retrain job {running['_id']} is still running", "job_id": running["_id"]}
        else:
            event = ev.RetrainRequested(
                job_id=ver["job_id"], model_name=name, version=ver["version"],
                spec={**ver["spec"], "dataset": {**ver["spec"]["dataset"], "uri": dataset_uri}}, reasons=reasons,
                evaluation_id=evaluation_id, metric=spec.metric, score=score, holdout_score=holdout,
                max_psi=doc["max_psi"], event_id=stable_event_id(evaluation_id, "retrain"))
            doc["retrain"] = {"event_id": event.event_id, "job_id": event.retrain_job_id()}
    repo.add_evaluation(doc)
    if event is not None:
        producer.publish(event)
        producer.flush()
    doc["plot"] = write_quality_plot(settings, name, repo.evaluations(name))
    return doc


def write_quality_plot(settings: Settings, name: str, evaluations: list[dict[str, Any]]) -> str | None:
    """``quality.png`` in the model's report folder: the metric of every evaluation over time, per
    version, with each version's holdout score dashed."""
    if not evaluations:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zygarde.registry.diagnostics import _png

    fig, ax = plt.subplots(figsize=(7, 4))
    for number in sorted({int(e["version"]) for e in evaluations}):
        mine = [e for e in evaluations if int(e["version"]) == number]
        line = ax.plot([e["evaluated_at"] for e in mine], [e["score"] for e in mine], marker="o",
                       label=f"version {number}")
        if mine[0].get("holdout_score") is not None:
            ax.axhline(mine[0]["holdout_score"], ls="--", color=line[0].get_color(), alpha=0.6)
        drifted = [e for e in mine if e.get("drifted")]
        ax.scatter([e["evaluated_at"] for e in drifted], [e["score"] for e in drifted], s=90, facecolors="none",
                   edgecolors="red", zorder=3)
    ax.set_title(f"{name}: {evaluations[-1]['metric']} on new data (dashed: holdout; red ring: retrain asked)")
    ax.set_ylabel(str(evaluations[-1]["metric"]))
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    folder = report_folder(settings, name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "quality.png"
    path.write_bytes(_png(fig))
    plt.close(fig)
    (folder / "evaluations.json").write_text(_json(evaluations))
    return str(path)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))

