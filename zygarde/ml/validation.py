"""Job-spec validation that reports every problem at once (HTTP 422 and ``JobRejected`` alike).

Structural errors come from pydantic; the semantic checks (catalog, metric, dataset, columns, CV)
run on the raw document as far as it allows, so one structural slip does not hide the others.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from zygarde.errors import DatasetError, SpecError
from zygarde.events import JobSpec, ResolvedTask, spec_errors
from zygarde.ml import algorithms, datasets, metrics
from zygarde.ml.spark import rules as spark_rules
from zygarde.settings import Settings

TASKS = ("binary", "multiclass", "regression")
MAX_CLASSES = 200
NEEDS_COLUMN = ("timeseries", "group")
STRATIFIED = ("auto", "stratified", "repeated_stratified")
RESAMPLING = ("class_weight", "undersample", "oversample", "smote")


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _algorithm_checks(raw: dict[str, Any], reasons: list[str]) -> list[str]:
    """Unknown names and unparsable space overrides; returns the known names mentioned."""
    items = raw.get("algorithms")
    known: list[str] = []
    if not isinstance(items, list):
        return known
    if not items:
        reasons.append("algorithms: the list is empty; leave it out (or null) for the defaults")
    for i, item in enumerate(items):
        name = item if isinstance(item, str) else _get(item, "name")
        if not isinstance(name, str):
            continue
        if name not in algorithms.REGISTRY and name not in algorithms.SPARK:
            known_names = ", ".join([*algorithms.names(), *algorithms.names(engine="spark")])
            reasons.append(f"algorithms.{i}: unknown algorithm {name!r}; known: {known_names}")
            continue
        known.append(name)
        override = _get(item, "space")
        if override is None:
            continue
        if not isinstance(override, dict):
            reasons.append(f"algorithms.{i}.space: expected an object of dimensions")
            continue
        try:
            algorithms.space_for(name, override)
        except SpecError as exc:
            reasons.extend(f"algorithms.{i}.{r}" for r in exc.reasons)
        except (TypeError, ValueError, AttributeError) as exc:
            reasons.append(f"algorithms.{i}.space: {exc}")
    return known


def _target_checks(y: pd.Series, task: str | None, raw: dict[str, Any], spec: JobSpec | None,
                   reasons: list[str], warnings: list[str]) -> str | None:
    """Decide the task from the target, and check it against the asked task, the classes and the folds."""
    missing = int(y.isna().sum())
    y = y.dropna()
    if y.empty:
        reasons.append("dataset.target: the column has no values")
        return task
    if missing:
        warnings.append(f"dataset.target: {missing} of {missing + len(y)} rows have no "
                        f"{y.name!r} value and are left out of training and scoring")
    if y.nunique() < 2:
        what = "class" if task != "regression" and not pd.api.types.is_float_dtype(y) else "value"
        value = y.iloc[0].item() if hasattr(y.iloc[0], "item") else y.iloc[0]  # numpy scalar: its plain value
        reasons.append(f"dataset.target: every row has the same {what} ({value!r}); "
                       "there is nothing to learn")
        return task
    detected = datasets.detect_task(y)
    if task is None:
        task = detected
    elif task == "regression" and not pd.api.types.is_numeric_dtype(y):
        reasons.append("task: regression needs a numeric target")
    elif task == "binary" and y.nunique() != 2:
        reasons.append(f"task: binary needs exactly 2 classes, the target has {y.nunique()}")
    if task == "multiclass" and y.nunique() > MAX_CLASSES:
        reasons.append(f"task: {y.nunique()} classes is over the limit of {MAX_CLASSES}")
    if task in ("binary", "multiclass"):
        folds = spec.cv.folds if spec is not None else _int(_get(raw, "cv", "folds"), 5)
        holdout = spec.dataset.holdout if spec is not None else 0.2
        strategy = _get(raw, "cv", "strategy") or "auto"
        smallest = int(y.value_counts().min())
        in_train = int(smallest * (1 - holdout))
        if strategy in STRATIFIED and in_train < folds:
            reasons.append(f"cv.folds: {folds} folds but the rarest class has only {smallest} rows "
                           f"(about {in_train} after the holdout)")
    return task


def _dataset_checks(raw: dict[str, Any], frame: pd.DataFrame, task: str | None, spec: JobSpec | None,
                    reasons: list[str], warnings: list[str], columns: set[str] | None = None) -> str | None:
    columns = columns if columns is not None else set(map(str, frame.columns))
    target = _str(_get(raw, "dataset", "target"))
    if target is not None:
        if target not in columns:
            reasons.append(f"dataset.target: column {target!r} is not in the dataset")
        else:
            task = _target_checks(frame[target], task, raw, spec, reasons, warnings)
    drop = _get(raw, "dataset", "drop")
    if isinstance(drop, list):
        for col in drop:
            if isinstance(col, str) and col not in columns:
                reasons.append(f"dataset.drop: column {col!r} is not in the dataset")
            elif isinstance(col, str) and col == target:
                reasons.append(f"dataset.drop: {col!r} is the target")
        if target in columns and not columns - {target, *(c for c in drop if isinstance(c, str))}:
            reasons.append("dataset.drop: no feature column is left")
    cv_column = _str(_get(raw, "cv", "column"))
    if cv_column is not None:
        if cv_column not in columns:
            reasons.append(f"cv.column: column {cv_column!r} is not in the dataset")
        elif _get(raw, "cv", "strategy") == "group":
            folds = spec.cv.folds if spec is not None else _int(_get(raw, "cv", "folds"), 5)
            n_groups = frame[cv_column].nunique()
            if n_groups < folds:
                reasons.append(f"cv.column: {n_groups} groups in {cv_column!r} cannot make {folds} folds")
    folds = spec.cv.folds if spec is not None else 2
    if len(frame) < 2 * folds + 2:
        reasons.append(f"dataset: {len(frame)} rows is too few for {folds} folds and a holdout")
    return task


@functools.cache
def _spark_settings() -> Settings:
    """The ``ZYGARDE_SPARK_*`` settings of this process (read once; the planner passes no settings)."""
    return Settings()


@dataclass(frozen=True)
class CheckedJob:
    """A job spec that passed: resolved spec and task, and what was noticed but accepted."""

    spec: JobSpec
    task: ResolvedTask
    warnings: list[str] = field(default_factory=list)


def check_job(raw: dict[str, Any], roots: list[Path], cache_dir: Path,
              strategies: Collection[str] = ()) -> tuple[JobSpec, ResolvedTask]:
    """Parse and check a raw spec against the catalog and its dataset; raise ``SpecError(all reasons)``.

    On success: the spec (``algorithms`` resolved to ``default_algorithms(task, engine)`` when it was
    null, ``engine`` resolved to local or spark, ``metric`` to the task's default when it was left
    out) and the task (``auto`` resolved from the target column).
    """
    checked = check_job_details(raw, roots, cache_dir, strategies)
    return checked.spec, checked.task


def check_job_details(raw: dict[str, Any], roots: list[Path], cache_dir: Path,
                      strategies: Collection[str] = ()) -> CheckedJob:
    """:func:`check_job` with the warnings (accepted, but worth telling the person who submitted it).
    ``strategies``: the search strategies a job may name (the planner's registry; empty: not checked)."""
    if not isinstance(raw, dict):
        raise SpecError(["spec: expected a JSON object"])
    reasons: list[str] = []
    warnings: list[str] = []
    spec: JobSpec | None = None
    try:
        spec = JobSpec.model_validate(raw)
    except ValidationError as exc:
        reasons.extend(spec_errors(exc))
    if spec is not None and strategies and spec.search.strategy not in strategies:
        reasons.append(f"search.strategy: unknown search strategy {spec.search.strategy!r}; "
                       f"expected one of {', '.join(strategies)}")

    metric_name = _get(raw, "metric")
    metric = metrics.METRICS.get(metric_name) if isinstance(metric_name, str) else None
    if isinstance(metric_name, str) and metric_name and metric is None:
        reasons.append(f"metric: unknown metric {metric_name!r}; known: {', '.join(metrics.METRICS)}")
    names = _algorithm_checks(raw, reasons)
    strategy = _get(raw, "cv", "strategy")
    if strategy in NEEDS_COLUMN and not _str(_get(raw, "cv", "column")):
        role = "an order" if strategy == "timeseries" else "a group"
        reasons.append(f"cv.column: the {strategy} strategy needs {role} column")

    spark = _spark_settings()
    engine = spark_rules.resolve_engine(raw, roots, spark.spark_min_bytes, spark.spark_max_bytes, reasons)
    if engine == "spark":
        reasons.extend(spark_rules.reasons(metric_name or None, strategy, _get(raw, "imbalance", "strategy"),
                                           _get(raw, "search", "trial_memory_mb")))

    asked = _get(raw, "task")
    task: str | None = asked if asked in TASKS else None
    uri = _str(_get(raw, "dataset", "uri"))
    if uri is not None:
        try:
            if engine == "spark":  # spark-sized: names and the target's values only
                frame, columns = spark_rules.light_frame(uri, roots, raw, spark.spark_max_bytes)
            else:
                frame, columns = datasets.load_frame(uri, roots, cache_dir), None
        except DatasetError as exc:
            reasons.append(str(exc))
        else:
            task = _dataset_checks(raw, frame, task, spec, reasons, warnings, columns)

    if task is not None:
        if metric is not None and task not in metric.tasks:
            reasons.append(f"metric: {metric.name} does not fit a {task} task (use one of "
                           f"{', '.join(metrics.names_for(task))})")
        for name in names:
            if task not in algorithms.get(name).tasks:
                reasons.append(f"algorithms: {name} does not support a {task} task")
        imbalance = _get(raw, "imbalance", "strategy")
        if task == "regression" and imbalance in RESAMPLING:
            reasons.append(f"imbalance.strategy: {imbalance} applies to classification only")
    if reasons or spec is None or task is None:
        raise SpecError(list(dict.fromkeys(reasons)) or ["dataset: cannot decide the task"])
    if spec.algorithms is None:
        spec = spec.model_copy(update={"algorithms": algorithms.default_algorithms(task, engine)})
    if not spec.metric:
        spec = spec.model_copy(update={"metric": metrics.default_for(task)})
    if spec.imbalance.strategy == "auto":
        # a metric that counts every class equally is what balanced class weights train for
        weighted = task != "regression" and spec.metric in metrics.CLASS_BALANCED
        spec = spec.model_copy(update={"imbalance": spec.imbalance.model_copy(
            update={"strategy": "class_weight" if weighted else "none"})})
    spec = spec.model_copy(update={"engine": engine})
    return CheckedJob(spec, task, warnings)  # type: ignore[arg-type]  # task is one of TASKS here
