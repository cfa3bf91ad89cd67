"""In-process baselines for the time-to-quality benchmark, on exactly Zygarde's pipelines.

Every baseline fits ``zygarde.ml.pipeline.build_pipeline`` (the trainers' code) on the same training
part, scores with ``zygarde.ml.metrics`` on the same CV folds (``cv.make_splitter`` with the job
seed), searches the same spaces, and uses two worker processes or threads, one BLAS/OpenMP thread
per fit (as a trainer does). Each scored fold is logged with its wall-clock time, so the best-so-far
curve comes from when results actually arrived, not from totals.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from threadpoolctl import threadpool_limits

from bench import _quality as q
from zygarde import events as ev
from zygarde.ml import cv, metrics
from zygarde.ml import space as sp
from zygarde.ml.pipeline import build_pipeline
from zygarde.ml.preprocessing import ColumnPlan

WORKERS = 2


@dataclass
class Problem:
    """One dataset, metric and search space, split once into the training part and the holdout."""

    name: str
    spec: ev.JobSpec
    task: str
    spaces: dict[str, sp.Space]
    train: pd.DataFrame
    holdout: pd.DataFrame

    @property
    def greater(self) -> bool:
        return metrics.get(self.spec.metric).greater_is_better

    def xy(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        frame = frame[frame[self.spec.dataset.target].notna()]
        return cv.features(frame, self.spec.dataset), frame[self.spec.dataset.target]


@dataclass
class RunResult:
    """One method on one problem with one seed: curve in seconds from the start, natural scores."""

    method: str
    seed: int
    curve: q.Curve
    total_s: float
    best_cv: float
    holdout: float
    trials: int
    pruned: int = 0
    search_s: float = 0.0  # until the last trial's result (the rest of ``total_s`` is the winner's refit)
    busy: float = 0.0  # share of the 2 workers' time spent fitting and scoring during the search
    wait_s: float | None = None  # Zygarde: mean of (request → result stored) minus the trial's own seconds
    best_keys: list[str] = field(default_factory=list)  # the configuration of each point of ``curve``
    # the holdout score of the best-so-far configuration (refitted as :func:`holdout_score` does), over time
    holdout_curve: q.Curve = field(default_factory=list)


# scikit-learn is untyped: its base classes are Any to mypy
class CatalogEstimator(BaseEstimator):  # type: ignore[misc]
    """A Zygarde pipeline as a scikit-learn estimator: ``algorithm`` plus ``<algorithm>__<param>``.

    The prefixed parameters are keyword arguments (sklearn's ``clone`` and ``_changed_params``
    allow ``**kwargs``); ``fit`` keeps the active ones of the chosen algorithm only. It carries no
    data, so sending it to a worker process costs little.
    """

    _FIXED = ("spaces", "task", "imbalance", "seed", "algorithm", "plan")

    def __init__(self, spaces: dict[str, sp.Space], task: str, imbalance: str = "none", seed: int = 0,
                 algorithm: str | None = None, plan: ColumnPlan | None = None, **params: Any) -> None:
        self.spaces = spaces
        self.task = task
        self.imbalance = imbalance
        self.seed = seed
        self.algorithm = algorithm
        self.plan = plan  # the training part's column plan, as a trainer decides it once per job
        self.space_params = params

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self._FIXED}, **self.space_params}

    def set_params(self, **params: Any) -> CatalogEstimator:
        for key, value in params.items():
            if key in self._FIXED:
                setattr(self, key, value)
            else:
                self.space_params = {**self.space_params, key: value}
        return self

    def fit(self, X: pd.DataFrame, y: pd.Series) -> CatalogEstimator:
        algorithm = self.algorithm or sorted(self.spaces)[0]
        params = q.active_params(algorithm, self.spaces[algorithm], self.space_params)
        pipeline, _ = build_pipeline(algorithm, params, self.task, X, self.imbalance, self.seed, y=y, plan=self.plan)
        # one thread per fit, like a trainer (OpenMP limits are per calling thread, so set them here)
        self.fit_started_ = time.time()
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.pipeline_ = pipeline.fit(X, y)
        self.key_ = q.config_key(algorithm, params)
        self.n_train_ = len(X)
        if hasattr(self.pipeline_, "classes_"):
            self.classes_ = self.pipeline_.classes_
        return self

    def predict(self, X: pd.DataFrame) -> Any:
        return self.pipeline_.predict(X)


# scikit-learn is untyped: its base classes are Any to mypy
class CatalogClassifier(ClassifierMixin, CatalogEstimator):  # type: ignore[misc]
    """Marked a classifier so successive halving stratifies its subsamples."""


# scikit-learn is untyped: its base classes are Any to mypy
class CatalogRegressor(RegressorMixin, CatalogEstimator):  # type: ignore[misc]
    pass


def estimator(problem: Problem, seed: int) -> CatalogEstimator:
    cls = CatalogRegressor if problem.task == "regression" else CatalogClassifier
    names = {f"{a}__{p}": None for a, space in problem.spaces.items() for p in space}
    plan = cv.prepare(problem.train, problem.spec).plan
    return cls(problem.spaces, problem.task, problem.spec.imbalance.strategy, seed, None, plan, **names)


class FoldScorer:
    """A scorer (``scorer(estimator, X, y)``, higher is better) that appends each fold's natural
    score, its configuration, training size and wall-clock time to a JSON-lines file (loky workers
    are processes; one short ``O_APPEND`` write per fold keeps lines whole)."""

    def __init__(self, metric: str, log: Path) -> None:
        self.metric, self.log = metric, log

    def __call__(self, est: CatalogEstimator, X: pd.DataFrame, y: pd.Series) -> float:
        m = metrics.get(self.metric)
        score = metrics.score(m, est.pipeline_, X, y)
        line = json.dumps({"t": time.time(), "key": est.key_, "n": est.n_train_, "score": score,
                           "start": est.fit_started_})
        with open(self.log, "a") as fh:
            fh.write(line + "\n")
        return score if m.greater_is_better else -score


def _fresh_log(workdir: Path, name: str) -> Path:
    """A new, empty fold log (a seed run again must not read the folds of its interrupted attempt)."""
    return workdir / f"{name}-{uuid.uuid4().hex[:8]}.jsonl"


def _records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _finish(problem: Problem, method: str, seed: int, t0: float, log: Path, search: Any, trials: int) -> RunResult:
    total = time.time() - t0
    records = _records(log)
    best = q.best_configs([(t - t0, s, key) for t, s, key in q.completed_candidates(records, problem.spec.cv.folds)],
                          problem.greater)
    X_h, y_h = problem.xy(problem.holdout)
    holdout = metrics.score(metrics.get(problem.spec.metric), search.best_estimator_.pipeline_, X_h, y_h)
    best_cv = search.best_score_ if problem.greater else -search.best_score_
    search_s = max(r["t"] for r in records) - t0
    busy = sum(r["t"] - r["start"] for r in records) / (WORKERS * search_s)
    return RunResult(method, seed, [(t, s) for t, s, _ in best], total, float(best_cv), float(holdout), trials, 0,
                     search_s, busy, best_keys=[key for _, _, key in best])


def run_randomized(problem: Problem, seed: int, max_trials: int, workdir: Path) -> RunResult:
    """``RandomizedSearchCV(n_iter=max_trials, n_jobs=2)``, refit on the training part included."""
    from sklearn.model_selection import RandomizedSearchCV

    log = _fresh_log(workdir, f"{problem.name}-random-{seed}")
    X, y = problem.xy(problem.train)
    search = RandomizedSearchCV(
        estimator(problem, seed), q.sklearn_space(problem.spaces), n_iter=max_trials, n_jobs=WORKERS,
        cv=cv.make_splitter(problem.spec, problem.task, seed), scoring=FoldScorer(problem.spec.metric, log),
        random_state=seed, error_score=np.nan, refit=True)
    t0 = time.time()
    search.fit(X, y)
    return _finish(problem, "RandomizedSearchCV", seed, t0, log, search, max_trials)


def run_halving(problem: Problem, seed: int, max_trials: int, workdir: Path) -> RunResult:
    """``HalvingRandomSearchCV(n_candidates=max_trials, factor=3, n_jobs=2)`` over rows; its last rung
    uses the whole training part, so its CV scores are comparable with the others'."""
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401 - registers the class
    from sklearn.model_selection import HalvingRandomSearchCV

    log = _fresh_log(workdir, f"{problem.name}-halving-{seed}")
    X, y = problem.xy(problem.train)
    search = HalvingRandomSearchCV(
        estimator(problem, seed), q.sklearn_space(problem.spaces), n_candidates=max_trials, factor=3,
        min_resources="exhaust", n_jobs=WORKERS, cv=cv.make_splitter(problem.spec, problem.task, seed),
        scoring=FoldScorer(problem.spec.metric, log), random_state=seed, error_score=np.nan, refit=True,
        return_train_score=False)
    t0 = time.time()
    search.fit(X, y)
    result = _finish(problem, "HalvingRandomSearchCV", seed, t0, log, search, max_trials)
    result.pruned = max_trials - int(search.n_candidates_[-1])
    return result


def run_optuna(problem: Problem, seed: int, max_trials: int, workdir: Path) -> RunResult:
    """``study.optimize(objective, n_trials=max_trials, n_jobs=2)`` with TPE set up for a conditional
    space (multivariate, grouped, constant liar) and Optuna's 10 random start-up trials (Zygarde's
    ``tpe`` adds the algorithms' defaults first and fewer start-up trials); each trial is
    ``cv.run_cv`` (the trainers' own function) on the fixed folds; the winner is refitted after."""
    import optuna

    from services.planner.strategies.tpe import ALGORITHM, suggest

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    lock = threading.Lock()
    points: list[tuple[float, float, str]] = []
    work: list[float] = []
    configs: dict[int, tuple[str, dict[str, Any]]] = {}

    def objective(trial: optuna.Trial) -> float:
        algorithm = str(trial.suggest_categorical(ALGORITHM, sorted(problem.spaces)))
        params: dict[str, Any] = {}
        for name, dim in sp.ordered(problem.spaces[algorithm]):
            if sp.active(dim, params):
                params[name] = suggest(trial, f"{algorithm}__{name}", dim)
        result = cv.run_cv(problem.spec, problem.task, algorithm, params, problem.train, seed)
        with lock:
            points.append((time.time(), result.mean, q.config_key(algorithm, params)))
            work.append(result.wall_seconds)
            configs[trial.number] = (algorithm, params)
        return result.mean

    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, constant_liar=True,
                                         n_startup_trials=10)
    study = optuna.create_study(direction="maximize" if problem.greater else "minimize", sampler=sampler)
    t0 = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=max_trials, n_jobs=WORKERS, catch=(Exception,))
    algorithm, params = configs[study.best_trial.number]
    model = cv.fit_final(problem.spec, problem.task, algorithm, params, problem.train, seed)
    total = time.time() - t0
    X_h, y_h = problem.xy(problem.holdout)
    holdout = metrics.score(metrics.get(problem.spec.metric), model, X_h, y_h)
    best = q.best_configs([(t - t0, s, key) for t, s, key in points], problem.greater)
    search_s = max(t for t, _, _ in points) - t0
    return RunResult("Optuna TPE", seed, [(t, s) for t, s, _ in best], total, float(study.best_value),
                     float(holdout), max_trials, 0, search_s, sum(work) / (WORKERS * search_s),
                     best_keys=[key for _, _, key in best])


def holdout_score(problem: Problem, key: str, seed: int) -> float:
    """One configuration (a :func:`bench._quality.config_key`) refitted on the training part with the
    job seed, as ``cv.fit_final`` does for every method alike, and scored on the holdout."""
    algorithm, params = q.config_of(key)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cv.fit_final(problem.spec, problem.task, algorithm, params, problem.train, seed)
    X_h, y_h = problem.xy(problem.holdout)
    return float(metrics.score(metrics.get(problem.spec.metric), model, X_h, y_h))


def holdout_curves(problem: Problem, results: list[RunResult], seed: int) -> None:
    """Fill each result's ``holdout_curve`` from its ``best_keys``: every distinct configuration is
    refitted once (untimed, after the searches, on the 2 workers)."""
    from joblib import Parallel, delayed

    keys = sorted({key for r in results for key in r.best_keys})
    scores = dict(zip(keys, Parallel(n_jobs=WORKERS)(delayed(holdout_score)(problem, k, seed) for k in keys),
                      strict=True))
    for r in results:
        r.holdout_curve = [(t, scores[key]) for (t, _), key in zip(r.curve, r.best_keys, strict=True)]


def warm_up(problem: Problem, workdir: Path) -> None:
    """Start the loky worker processes and import the models in them, untimed: Zygarde's trainers
    are warm too (running, dataset cached) when its jobs are timed."""
    run_randomized(problem, 0, 4, workdir)
