"""Job-spec validation that reports every problem at once (HTTP 422 and ``JobRejected`` alike)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from zygarde.errors import DatasetError, SpecError
from zygarde.events import JobSpec, ResolvedTask, spec_errors
from zygarde.ml import algorithms, datasets, metrics


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def check_job(raw: dict[str, Any], roots: list[Path], cache_dir: Path) -> tuple[JobSpec, ResolvedTask]:
    """Parse and check a raw spec against the catalog and its dataset; raise SpecError(all reasons)."""
    reasons: list[str] = []
    spec: JobSpec | None = None
    try:
        spec = JobSpec.model_validate(raw)
    except ValidationError as exc:
        reasons.extend(spec_errors(exc))

    # Semantic checks run on the raw document too, so structural errors do not hide them.
    metric_name = _get(raw, "metric")
    metric = metrics.METRICS.get(metric_name) if isinstance(metric_name, str) else None
    if isinstance(metric_name, str) and metric is None:
        reasons.append(f"metric: unknown metric {metric_name!r}; known: {', '.join(metrics.METRICS)}")
    algos = _get(raw, "algorithms")
    names: list[str] = []
    if isinstance(algos, list):
        for i, item in enumerate(algos):
            name = item if isinstance(item, str) else _get(item, "name")
            if not isinstance(name, str):
                continue
            names.append(name)
            if name not in algorithms.REGISTRY:
                reasons.append(f"algorithms.{i}: unknown algorithm {name!r}")
            elif isinstance(item, dict) and item.get("space") is not None:
                try:
                    algorithms.space_for(name, item["space"])
                except SpecError as exc:
                    reasons.extend(f"algorithms.{i}.{r}" for r in exc.reasons)

    task: str | None = _get(raw, "task") if _get(raw, "task") in ("binary", "multiclass", "regression") else None
    uri, target = _get(raw, "dataset", "uri"), _get(raw, "dataset", "target")
    if isinstance(uri, str) and uri:
        try:
            frame = datasets.load_frame(uri, roots, cache_dir)
        except DatasetError as exc:
            reasons.append(str(exc))
        else:
            if isinstance(target, str) and target:
                if target not in frame.columns:
                    reasons.append(f"dataset.target: column {target!r} is not in the dataset")
                else:
                    detected = datasets.detect_task(frame[target])
                    task = task or detected
                    if task != "regression" and spec is not None:
                        smallest = int(frame[target].value_counts().min())
                        if smallest < spec.cv.folds:
                            reasons.append(f"cv.folds: {spec.cv.folds} folds but the rarest class has {smallest} rows")
            for col in _get(raw, "dataset", "drop") or []:
                if isinstance(col, str) and col not in frame.columns:
                    reasons.append(f"dataset.drop: column {col!r} is not in the dataset")
            cv_column = _get(raw, "cv", "column")
            if isinstance(cv_column, str) and cv_column not in frame.columns:
                reasons.append(f"cv.column: column {cv_column!r} is not in the dataset")
    if _get(raw, "cv", "strategy") in ("timeseries", "group") and not _get(raw, "cv", "column"):
        reasons.append("cv.column: the timeseries and group strategies need a column")

    if task is not None:
        if metric is not None and task not in metric.tasks:
            reasons.append(f"metric: {metric.name} does not fit a {task} task (use one of "
                           f"{', '.join(metrics.names_for(task))})")
        for name in names:
            if name in algorithms.REGISTRY and task not in algorithms.get(name).tasks:
                reasons.append(f"algorithms: {name} does not support a {task} task")
    if reasons or spec is None or task is None:
        raise SpecError(list(dict.fromkeys(reasons)) or ["dataset: cannot decide the task"])
    return spec, task  # type: ignore[return-value]
