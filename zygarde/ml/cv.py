"""Cross-validation of one trial and the final refit (how rows are split: ``splits.py``, re-exported here).

Seeds come from the job seed (holdout) and the trial seed (model), so every trial is reproducible.
Folds run one by one so a cancelled, pruned or timed-out trial stops between folds: ``on_fold``
is called after each fold and may raise ``TrialStopped``, which propagates.
"""

from __future__ import annotations

import contextlib
import functools
import platform
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController

from zygarde.events import JobSpec
from zygarde.ml import metrics
from zygarde.ml.oof import OutOfFold
from zygarde.ml.pipeline import build_pipeline
from zygarde.ml.preprocessing import ColumnPlan, plan_columns
from zygarde.ml.splits import (
    features,
    groups_of,
    make_splitter,
    ordered,
    resolve_strategy,
    split_holdout,
    target_vector,
    train_part,
    training_rows,
)

# the split functions are part of this module's interface: callers name them ``cv.split_holdout`` and so on
__all__ = ["features", "groups_of", "make_splitter", "ordered", "resolve_strategy", "split_holdout", "target_vector",
           "train_part", "training_rows"]

THREADS = 1  # BLAS/OpenMP threads per fit
OnFold = Callable[[int, int, float], None]  # (fold number from 1, number of folds, mean score so far)


@dataclass
class CvResult:
    """Natural metric values per fold; ``fit_seconds`` sums the fits, ``wall_seconds`` the whole CV."""

    fold_scores: list[float]
    mean: float
    std: float
    fit_seconds: float
    notes: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    oof: np.ndarray | None = None  # out-of-fold predictions, when asked for and possible (see oof.py)


_threadpools: tuple[int, ThreadpoolController] | None = None


def threadpools() -> ThreadpoolController:
    """threadpoolctl's handle on the loaded BLAS/OpenMP libraries. Finding them walks every shared
    object of the process (a fifth of a trainer's CPU on short trials when done per fold), so
    the scan is kept and redone only after new modules were imported, which is how a library loads."""
    global _threadpools
    if _threadpools is None or _threadpools[0] != len(sys.modules):
        _threadpools = (len(sys.modules), ThreadpoolController())
    return _threadpools[1]


@contextlib.contextmanager
def quiet(notes: list[str]) -> Iterator[None]:
    """One thread per fit (parallelism comes from many trainers, and OpenMP in a busy container is
    oversubscribed: 10x slower for histogram boosting), and fitting warnings kept as notes."""
    with threadpools().limit(limits=THREADS), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        if issubclass(w.category, (ConvergenceWarning, UserWarning, RuntimeWarning)):
            note = f"{w.category.__name__}: {str(w.message)[:200]}"
            if note not in notes and len(notes) < 50:
                notes.append(note)


@dataclass(frozen=True)
class Prepared:
    """A training part as every trial of a job cross-validates it: the rows with a target in CV order,
    their raw features and target, and what each feature column becomes."""

    frame: pd.DataFrame
    X: pd.DataFrame
    y: pd.Series
    plan: ColumnPlan


_prepared: dict[tuple[int, str], tuple[pd.DataFrame, Prepared]] = {}  # -> (train_df, prepared)
_prepared_lock = threading.Lock()  # Optuna's n_jobs threads call run_cv side by side


def prepare(train_df: pd.DataFrame, spec: JobSpec) -> Prepared:
    """:class:`Prepared` for ``train_df``, remembered as :func:`train_part` remembers the split (the
    same frame object for every trial of a job): the column plan reads every value of every column,
    which grows with the rows (bench/results/design_figures.md). Checked by identity."""
    key = (id(train_df), f"{spec.dataset.model_dump_json()}|{spec.cv.model_dump_json()}")
    with _prepared_lock:
        hit = _prepared.get(key)
    if hit is not None and hit[0] is train_df:
        return hit[1]
    frame = ordered(train_df[train_df[spec.dataset.target].notna()], spec.cv)
    X = features(frame, spec.dataset)
    prepared = Prepared(frame, X, frame[spec.dataset.target], plan_columns(X))
    with _prepared_lock:
        if len(_prepared) >= 8:
            _prepared.pop(next(iter(_prepared)))
        _prepared[key] = (train_df, prepared)
    return prepared


def subsample(y: pd.Series, rows: int, task: str, seed: int, latest: bool = False) -> np.ndarray:
    """Positions of ``rows`` rows of a training part, in its order: a prefix of one seeded order of the
    rows in which every prefix keeps the class shares (rows of a class spread evenly through it), so a
    smaller subsample is always inside a larger one. ``latest``: the last rows (a time-ordered split)."""
    n = len(y)
    if latest:
        return np.arange(max(0, n - rows), n)
    perm = np.random.default_rng(seed).permutation(n)
    if task == "regression":
        return np.sort(perm[:rows])
    labels = y.to_numpy()[perm]
    share = np.empty(n)
    for label in pd.unique(labels):
        mine = np.flatnonzero(labels == label)
        share[mine] = (np.arange(len(mine)) + 0.5) / len(mine)  # where in its class this row falls
    order = perm[np.lexsort((np.arange(n), share))]
    return np.sort(order[:rows])


def transformed(model: Any, X: pd.DataFrame) -> tuple[Any, Any]:
    """(final estimator, ``X`` through every step before it) of a fitted pipeline, as its ``predict``
    does (a resampler acts only in ``fit``, so it is skipped); anything else as it is."""
    steps = getattr(model, "steps", None)
    if not steps:
        return model, X
    Xt: Any = X
    for _, step in steps[:-1]:
        if step is None or step == "passthrough" or hasattr(step, "fit_resample"):
            continue
        Xt = step.transform(Xt)
    return steps[-1][1], Xt


def run_cv(spec: JobSpec, task: str, algorithm: str, params: dict[str, Any], train_df: pd.DataFrame,
           seed: int, on_fold: OnFold | None = None, keep_oof: bool = False, rows: int | None = None) -> CvResult:
    """Cross-validate one configuration fold by fold; scores are the metric's natural values.
    ``keep_oof``: also keep each row's out-of-fold prediction (``CvResult.oof``, rows in
    ``prepare(train_df).frame`` order), from the same fold models and outputs the scores come from."""
    started_cv = time.perf_counter()
    prepared = prepare(train_df, spec)
    frame, X, y = prepared.frame, prepared.X, prepared.y
    subsampled = rows is not None and rows < len(frame)
    if subsampled:  # a lower fidelity: these rows only (their out-of-fold predictions would not line up)
        at = subsample(y, int(rows or 0), task, spec.search.seed, resolve_strategy(spec.cv, task) == "timeseries")
        frame, X, y, keep_oof = frame.iloc[at], X.iloc[at], y.iloc[at], False
    metric = metrics.get(spec.metric)
    pipeline, notes = build_pipeline(algorithm, params, task, X, spec.imbalance.strategy, seed, y=y,
                                     plan=prepared.plan)
    # The folds follow the job's seed, not the trial's: every trial of a job is scored on the same
    # folds, so trials (and ASHA's rungs) are compared on equal terms, as sklearn's searches do.
    splitter = make_splitter(spec.cv, task, spec.search.seed, frame)
    groups = groups_of(frame, spec.cv)
    n_folds = splitter.get_n_splits(X, y, groups)
    kept = None
    if keep_oof and resolve_strategy(spec.cv, task) != "timeseries":  # a time split never predicts its start
        kept = OutOfFold(len(y), task, np.unique(y.to_numpy()) if task == "multiclass" else None)
    scores: list[float] = []
    fit_seconds = 0.0
    for i, (tr, te) in enumerate(splitter.split(X, y, groups)):
        model = clone(pipeline)
        started = time.perf_counter()
        with quiet(notes):
            model.fit(X.iloc[tr], y.iloc[tr])
            fit_seconds += time.perf_counter() - started
            output = None
            scored, X_te = model, X.iloc[te]
            if kept is not None and OutOfFold.possible(model, task):
                # the fold's rows go through the preprocessing once, for the kept predictions and the score
                scored, X_te = transformed(model, X_te)
                output = OutOfFold.output(scored, X_te, task)
                kept.add(te, output, getattr(model, "classes_", None))
            else:
                kept = None
            # probabilities (or a regressor's values) already predicted are scored, not predicted again
            reuse = output if metric.needs_proba or task == "regression" else None
            scores.append(metrics.score(metric, scored, X_te, y.iloc[te], reuse))
        if on_fold is not None:
            on_fold(i + 1, n_folds, float(np.mean(scores)))
    return CvResult(scores, float(np.mean(scores)), float(np.std(scores)), fit_seconds, notes,
                    time.perf_counter() - started_cv, kept.result() if kept is not None else None)


def fit_final(spec: JobSpec, task: str, algorithm: str, params: dict[str, Any], train_df: pd.DataFrame,
              seed: int) -> Any:
    """The configuration refitted on the whole training part, as the selector fits a job's model (an
    early-stopped booster fits again on every row: ``build_pipeline(final=True)``): takes the raw feature frame."""
    frame = train_df[train_df[spec.dataset.target].notna()]
    X, y = features(frame, spec.dataset), frame[spec.dataset.target]
    pipeline, notes = build_pipeline(algorithm, params, task, X, spec.imbalance.strategy, seed, y=y, final=True)
    with quiet(notes):
        return pipeline.fit(X, y)


def library_versions() -> dict[str, str]:
    """Versions that decide a trial's numbers, recorded with every result."""
    return dict(_versions())


@functools.cache
def _versions() -> dict[str, str]:
    import sklearn

    out = {"python": platform.python_version(), "sklearn": sklearn.__version__, "numpy": np.__version__,
           "pandas": pd.__version__}
    for module in ("catboost", "imblearn"):
        with contextlib.suppress(ImportError):
            out[module] = __import__(module).__version__
    with contextlib.suppress(metadata.PackageNotFoundError):  # never imported here: only the spark engine does
        out["pyspark"] = metadata.version("pyspark")
    return out
