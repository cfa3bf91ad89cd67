"""Cross-validation of one trial, the holdout split, and the final refit.

Seeds come from the job seed (holdout) and the trial seed (model), so every trial is reproducible.
Folds run one by one so a cancelled, pruned or timed-out trial stops between folds.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)
from sklearn.pipeline import Pipeline

from zygarde.events import DatasetSpec, JobSpec
from zygarde.ml import algorithms, metrics
from zygarde.ml.preprocessing import preprocessor

OnFold = Callable[[int, int, float], None]


@dataclass
class CvResult:
    fold_scores: list[float]
    mean: float
    std: float
    fit_seconds: float
    notes: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0


def target_vector(frame: pd.DataFrame, dataset: DatasetSpec, task: str) -> pd.Series:
    """The target as the models see it: binary labels as 0/1 with the rarer class as 1."""
    y = frame[dataset.target]
    if task != "binary":
        return y
    values = set(y.dropna().unique().tolist())
    if values <= {0, 1} or values <= {True, False}:
        return y.astype(int)
    positive = y.value_counts().idxmin()
    return (y == positive).astype(int)


def features(frame: pd.DataFrame, dataset: DatasetSpec) -> pd.DataFrame:
    return frame.drop(columns=[dataset.target, *dataset.drop], errors="ignore")


def split_holdout(frame: pd.DataFrame, dataset: DatasetSpec, task: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = frame[frame[dataset.target].notna()]
    stratify = target_vector(frame, dataset, task) if task != "regression" else None
    train, holdout = train_test_split(frame, test_size=dataset.holdout, random_state=seed, stratify=stratify)
    return train, holdout


def make_splitter(spec: JobSpec, task: str, seed: int) -> Any:
    cv = spec.cv
    strategy = cv.strategy
    if strategy == "auto":
        strategy = "kfold" if task == "regression" else "stratified"
    if strategy == "stratified":
        return StratifiedKFold(cv.folds, shuffle=True, random_state=seed)
    if strategy == "kfold":
        return KFold(cv.folds, shuffle=True, random_state=seed)
    if strategy == "repeated_stratified":
        return RepeatedStratifiedKFold(n_splits=cv.folds, n_repeats=cv.repeats, random_state=seed)
    if strategy == "repeated_kfold":
        return RepeatedKFold(n_splits=cv.folds, n_repeats=cv.repeats, random_state=seed)
    if strategy == "timeseries":
        return TimeSeriesSplit(cv.folds)
    if strategy == "group":
        return GroupKFold(cv.folds)
    raise ValueError(f"unknown cv strategy {strategy}")


def build_pipeline(spec: JobSpec, task: str, algorithm: str, params: dict[str, Any], X: pd.DataFrame,
                   seed: int) -> tuple[Any, list[str]]:
    algo = algorithms.get(algorithm)
    params = dict(params)
    imbalance = spec.imbalance.strategy
    if imbalance == "class_weight" and task != "regression" and algo.supports_class_weight:
        params.setdefault("class_weight", "balanced")
    pre, notes = preprocessor(X, task, algo.needs_scaling)
    model = algo.build(params, task, seed)
    steps: list[tuple[str, Any]] = [("prep", pre)]
    if task != "regression" and imbalance in ("undersample", "oversample", "smote"):
        from imblearn import over_sampling, under_sampling
        from imblearn.pipeline import Pipeline as ImbPipeline

        sampler: Any = {"undersample": under_sampling.RandomUnderSampler(random_state=seed),
                        "oversample": over_sampling.RandomOverSampler(random_state=seed),
                        "smote": over_sampling.SMOTE(random_state=seed)}[imbalance]
        return ImbPipeline([*steps, ("resample", sampler), ("model", model)]), notes
    return Pipeline([*steps, ("model", model)]), notes


def _ordered(train: pd.DataFrame, spec: JobSpec) -> pd.DataFrame:
    if spec.cv.strategy == "timeseries" and spec.cv.column:
        return train.sort_values(spec.cv.column, kind="stable")
    return train


def run_cv(spec: JobSpec, task: str, algorithm: str, params: dict[str, Any], train: pd.DataFrame, seed: int,
           on_fold: OnFold | None = None) -> CvResult:
    train = _ordered(train, spec)
    X = features(train, spec.dataset)
    y = target_vector(train, spec.dataset, task)
    groups = train[spec.cv.column] if spec.cv.strategy == "group" and spec.cv.column else None
    metric = metrics.get(spec.metric)
    pipeline, notes = build_pipeline(spec, task, algorithm, params, X, seed)
    splitter = make_splitter(spec, task, seed)
    started_cv = time.perf_counter()
    splits = list(splitter.split(X, y, groups))
    scores: list[float] = []
    fit_seconds = 0.0
    for i, (tr, te) in enumerate(splits):
        model = clone(pipeline)
        started = time.perf_counter()
        model.fit(X.iloc[tr], y.iloc[tr])
        fit_seconds += time.perf_counter() - started
        scores.append(metrics.score(metric, model, X.iloc[te], y.iloc[te]))
        if on_fold is not None:
            on_fold(i + 1, len(splits), float(np.mean(scores)))
    return CvResult(scores, float(np.mean(scores)), float(np.std(scores)), fit_seconds, notes,
                    time.perf_counter() - started_cv)


def fit_final(spec: JobSpec, task: str, algorithm: str, params: dict[str, Any], train: pd.DataFrame,
              seed: int) -> Any:
    X = features(train, spec.dataset)
    pipeline, _ = build_pipeline(spec, task, algorithm, params, X, seed)
    return pipeline.fit(X, target_vector(train, spec.dataset, task))


def library_versions() -> dict[str, str]:
    import sklearn

    out = {"python": platform.python_version(), "sklearn": sklearn.__version__, "numpy": np.__version__,
           "pandas": pd.__version__}
    try:
        import catboost

        out["catboost"] = catboost.__version__
    except ImportError:
        pass
    return out
