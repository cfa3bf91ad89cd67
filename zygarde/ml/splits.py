"""How a job's rows are split: the feature columns and the target, the holdout, and the CV splitter (with the
row order and groups a timeseries or group split needs). Seeds come from the job seed, so a split is
reproducible."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)

from zygarde.events import CvSpec, DatasetSpec, JobSpec
from zygarde.ml.estimator import positive_label


def features(frame: pd.DataFrame, dataset: DatasetSpec) -> pd.DataFrame:
    """The raw feature columns: everything but the target and ``dataset.drop``."""
    return frame.drop(columns=[dataset.target, *dataset.drop], errors="ignore")


def target_vector(frame: pd.DataFrame, dataset: DatasetSpec, task: str) -> pd.Series:
    """The target as 0/1 for binary tasks (positive class = 1, see ``positive_label``), else as is."""
    y = frame[dataset.target]
    if task != "binary":
        return y
    return (y == positive_label(y)).astype(int)


def split_holdout(frame: pd.DataFrame, dataset: DatasetSpec, task: str,
                  seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, holdout): rows without a target dropped; stratified by class for classification."""
    frame = frame[frame[dataset.target].notna()]
    stratify = frame[dataset.target] if task != "regression" else None
    if stratify is not None and int(stratify.value_counts().min()) < 2:
        stratify = None  # a singleton class cannot be split; validation warns about tiny classes
    train, holdout = train_test_split(frame, test_size=dataset.holdout, random_state=seed, stratify=stratify)
    return train, holdout


def training_rows(frame: pd.DataFrame, dataset: DatasetSpec) -> int:
    """How many rows :func:`split_holdout` leaves for training (sklearn rounds the holdout up)."""
    n = int(frame[dataset.target].notna().sum())
    return n - math.ceil(n * dataset.holdout)


_splits: dict[tuple[int, str, float, str, int], tuple[pd.DataFrame, pd.DataFrame]] = {}  # -> (frame, train)


def train_part(frame: pd.DataFrame, dataset: DatasetSpec, task: str, seed: int) -> pd.DataFrame:
    """``split_holdout(...)[0]``, remembered: every trial of a job splits the same cached frame the same
    way (7 % of a trainer's CPU on short trials). Kept for a few frames, each checked by identity."""
    key = (id(frame), dataset.target, dataset.holdout, task, seed)
    hit = _splits.get(key)
    if hit is not None and hit[0] is frame:
        return hit[1]
    train, _ = split_holdout(frame, dataset, task, seed)
    if len(_splits) >= 8:
        _splits.pop(next(iter(_splits)))
    _splits[key] = (frame, train)
    return train


def resolve_strategy(cv: CvSpec, task: str) -> str:
    """``auto`` is stratified for classification, kfold for regression; repeated variants likewise."""
    if cv.strategy == "auto":
        return "kfold" if task == "regression" else "stratified"
    return cv.strategy


def make_splitter(cv: CvSpec | JobSpec, task: str, seed: int, df: pd.DataFrame | None = None) -> Any:
    """The sklearn splitter for the CV spec. ``df`` (optional) caps the folds of a timeseries split."""
    if isinstance(cv, JobSpec):
        cv = cv.cv
    strategy = resolve_strategy(cv, task)
    if strategy == "stratified" and task == "regression":
        strategy = "kfold"  # stratifying a continuous target is meaningless
    if strategy == "repeated_stratified" and task == "regression":
        strategy = "repeated_kfold"
    if strategy == "stratified":
        return StratifiedKFold(cv.folds, shuffle=True, random_state=seed)
    if strategy == "kfold":
        return KFold(cv.folds, shuffle=True, random_state=seed)
    if strategy == "repeated_stratified":
        return RepeatedStratifiedKFold(n_splits=cv.folds, n_repeats=cv.repeats, random_state=seed)
    if strategy == "repeated_kfold":
        return RepeatedKFold(n_splits=cv.folds, n_repeats=cv.repeats, random_state=seed)
    if strategy == "timeseries":
        folds = cv.folds if df is None else max(2, min(cv.folds, len(df) - 1))
        return TimeSeriesSplit(folds)
    if strategy == "group":
        return GroupKFold(cv.folds, shuffle=True, random_state=seed)
    raise ValueError(f"unknown cv strategy {strategy!r}")


def ordered(frame: pd.DataFrame, cv: CvSpec) -> pd.DataFrame:
    """Rows in time order for a timeseries split (stable, so ties keep the file's order)."""
    if cv.strategy == "timeseries" and cv.column:
        return frame.sort_values(cv.column, kind="stable")
    return frame


def groups_of(frame: pd.DataFrame, cv: CvSpec) -> pd.Series | None:
    return frame[cv.column] if cv.strategy == "group" and cv.column else None
