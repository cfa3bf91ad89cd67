"""Rebuild the warm-start portfolios ``zygarde/ml/portfolio/<task>.json`` that the ``auto`` strategy asks first.

For each task: a pool of candidate configurations per algorithm of the task's default set (its defaults,
a few known-good ones in the spirit of FLAML's and AutoGluon's presets, and seeded random draws), each
cross-validated (3 folds, the job seed 0) on every ``PORTFOLIO`` dataset of that task in
``bench/public_data.py`` (never a ``BENCHMARK`` one), on at most ``MAX_ROWS`` rows of its training
part. Scores become normalised regrets per dataset and fold (0 = the best candidate, 1 = the worst); members
are added greedily, each the candidate that most lowers the summed regret of the portfolio's best member
per dataset and fold, until ``MAX_MEMBERS`` or no gain; they are then ordered by cost: the family's prior relative cost
(``_eci.COST``), then the order they were added. Every input is seeded and the ordering uses no measured
time, so a rerun writes the same files; the measured seconds go to ``bench/results/portfolio.md`` only.

    python -m bench.build_portfolio [--tasks binary,multiclass,regression] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from bench import public_data
from services.planner.strategies._eci import COST
from zygarde.events import JobSpec
from zygarde.ml import algorithms, cv, metrics
from zygarde.ml import space as sp

SEED = 0
FOLDS = 3
MAX_ROWS = 5000
RANDOM_DRAWS = 3
MAX_MEMBERS = 8
TASKS = ("binary", "multiclass", "regression")
MIN_GAIN = 1e-3  # summed normalised regret a new member must remove
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "zygarde" / "ml" / "portfolio"
REPORT = ROOT / "bench" / "results" / "portfolio.md"
CACHE = ROOT / ".cache" / "portfolio_evaluations.json"  # not in git: a rerun skips what it holds

# Known-good starting points (FLAML's low-cost and default points, AutoGluon's presets, small learning
# rates with large leaves for rare positives), written in our catalog's parameters.
KNOWN: dict[str, list[dict[str, Any]]] = {
    "hist_gradient_boosting": [
        {"learning_rate": 0.05, "max_leaf_nodes": 63, "min_samples_leaf": 10, "l2_regularization": 1e-3,
         "max_iter": 1000, "max_features": 1.0},
        {"learning_rate": 0.02, "max_leaf_nodes": 128, "min_samples_leaf": 40, "l2_regularization": 1.0,
         "max_iter": 1000, "max_features": 0.8},
        {"learning_rate": 0.1, "max_leaf_nodes": 15, "min_samples_leaf": 50, "l2_regularization": 0.1,
         "max_iter": 300, "max_features": 0.6},
        {"learning_rate": 0.03, "max_leaf_nodes": 128, "min_samples_leaf": 5, "l2_regularization": 1e-6,
         "max_iter": 1000, "max_features": 0.9},
    ],
    "lightgbm": [
        {"n_estimators": 1000, "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 20,
         "colsample_bytree": 1.0, "subsample": 1.0, "reg_alpha": 1e-4, "reg_lambda": 1e-4},
        {"n_estimators": 2000, "learning_rate": 0.03, "num_leaves": 128, "min_child_samples": 3,
         "colsample_bytree": 0.9, "subsample": 1.0, "reg_alpha": 1e-4, "reg_lambda": 1e-4},
        {"n_estimators": 1000, "learning_rate": 0.1, "num_leaves": 8, "min_child_samples": 50, "colsample_bytree": 0.5,
         "subsample": 0.8, "reg_alpha": 1e-4, "reg_lambda": 5.0},
        {"n_estimators": 2000, "learning_rate": 0.02, "num_leaves": 16, "min_child_samples": 30,
         "colsample_bytree": 0.7, "subsample": 0.7, "reg_alpha": 0.1, "reg_lambda": 1.0},
    ],
    "logistic_regression": [{"C": 0.1, "l1_ratio": 0.0}, {"C": 10.0, "l1_ratio": 0.0}, {"C": 0.3, "l1_ratio": 1.0}],
    "ridge": [{"alpha": 10.0}, {"alpha": 0.1}],
    "random_forest": [
        {"n_estimators": 200, "max_depth": None, "min_samples_leaf": 1, "max_features": "sqrt", "bootstrap": True,
         "max_samples": 1.0},
        {"n_estimators": 200, "max_depth": None, "min_samples_leaf": 3, "max_features": 0.6, "bootstrap": False},
        {"n_estimators": 100, "max_depth": 16, "min_samples_leaf": 5, "max_features": 0.3, "bootstrap": True,
         "max_samples": 0.7},
    ],
    "catboost": [
        {"iterations": 2000, "depth": 6, "learning_rate": 0.05, "l2_leaf_reg": 3.0},
        {"iterations": 1000, "depth": 8, "learning_rate": 0.08, "l2_leaf_reg": 5.0},
        {"iterations": 1000, "depth": 4, "learning_rate": 0.15, "l2_leaf_reg": 1.5},
    ],
}


def candidates(task: str) -> list[tuple[str, dict[str, Any]]]:
    """The pool: per algorithm of the task's default set, its defaults, the known points, random draws."""
    out: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for name in algorithms.default_algorithms(task):
        space = algorithms.space_for(name)
        defaults = algorithms.default_params(name, space, task) or {}
        rng = random.Random(f"{SEED}:{task}:{name}")
        points = [defaults, *KNOWN.get(name, []), *(sp.sample(space, rng) for _ in range(RANDOM_DRAWS))]
        for raw in points:
            point: dict[str, Any] = {}
            for pname, dim in sp.ordered(space):
                if sp.active(dim, point):
                    point[pname] = sp.nearest(dim, raw.get(pname, defaults.get(pname)))
            key = name + json.dumps(point, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                out.append((name, point))
    return out


def training_rows(data: public_data.PublicDataset) -> pd.DataFrame:
    """The dataset's fixed training part, at most ``MAX_ROWS`` rows of it (stratified for classes)."""
    train, _ = public_data.split(data)
    if len(train) <= MAX_ROWS:
        return train
    stratify = train[data.target] if data.task != "regression" else None
    kept, _ = train_test_split(train, train_size=MAX_ROWS, random_state=SEED, stratify=stratify)
    return kept.reset_index(drop=True)


def job_spec(data: public_data.PublicDataset) -> JobSpec:
    return JobSpec.model_validate({
        "dataset": {"uri": f"file:///portfolio/{data.name}.csv", "target": data.target},
        "metric": data.metric, "task": data.task, "cv": {"folds": FOLDS}, "search": {"seed": SEED}})


_frames: dict[str, pd.DataFrame] = {}


def evaluate(args: tuple[str, str, dict[str, Any]]) -> tuple[list[float] | None, float]:
    """(fold scores, seconds) of one candidate on one dataset; a failed fit scores None."""
    dataset, algorithm, params = args
    data = public_data.get(dataset)
    if dataset not in _frames:
        _frames[dataset] = training_rows(data)
    started = time.perf_counter()
    try:
        result = cv.run_cv(job_spec(data), data.task, algorithm, params, _frames[dataset], seed=SEED)
    except Exception:  # noqa: BLE001 - a candidate that cannot fit a dataset is simply never chosen
        return None, time.perf_counter() - started
    return [float(s) for s in result.fold_scores], time.perf_counter() - started


def evaluations(jobs: list[tuple[str, str, dict[str, Any]]], workers: int) -> list[tuple[list[float] | None, float]]:
    """Every job's result, from the cache file when an earlier run computed it (the scores are seeded, so a
    cached one equals a new one; only the seconds differ)."""
    cache: dict[str, Any] = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    keys = [f"{d}|{a}|{json.dumps(p, sort_keys=True, default=str)}" for d, a, p in jobs]
    todo = [j for j, k in zip(jobs, keys, strict=True) if k not in cache]
    if todo:
        with ProcessPoolExecutor(workers) as ex:
            for job, result in zip(todo, ex.map(evaluate, todo, chunksize=1), strict=True):
                cache[f"{job[0]}|{job[1]}|{json.dumps(job[2], sort_keys=True, default=str)}"] = result
                CACHE.parent.mkdir(parents=True, exist_ok=True)
                CACHE.write_text(json.dumps(cache))
    return [(cache[k][0], float(cache[k][1])) for k in keys]


def regrets(scores: list[float | None], greater: bool) -> list[float]:
    """Normalised regret per candidate on one dataset: 0 for the best, 1 for the worst (and failures)."""
    valid = [s for s in scores if s is not None]
    best, worst = (max(valid), min(valid)) if greater else (min(valid), max(valid))
    span = abs(best - worst) or 1.0
    return [1.0 if s is None else abs(best - s) / span for s in scores]


def greedy(matrix: list[list[float]]) -> tuple[list[int], list[float]]:
    """Members (candidate indices) and the summed regret after each addition; ``matrix[c][d]``."""
    chosen: list[int] = []
    history: list[float] = []
    current = [1.0] * len(matrix[0])
    while len(chosen) < MAX_MEMBERS:
        best_c, best_total = None, sum(current)
        for c, row in enumerate(matrix):
            if c in chosen:
                continue
            total = sum(min(a, b) for a, b in zip(current, row, strict=True))
            if total < best_total - MIN_GAIN:
                best_c, best_total = c, total
        if best_c is None:
            break
        chosen.append(best_c)
        current = [min(a, b) for a, b in zip(current, matrix[best_c], strict=True)]
        history.append(best_total)
    return chosen, history


def build(task: str, workers: int) -> dict[str, Any]:
    datasets = [d for d in public_data.PORTFOLIO if d.task == task]
    pool = candidates(task)
    jobs = [(d.name, a, p) for d in datasets for a, p in pool]
    results = evaluations(jobs, workers)
    greater = metrics.get(public_data.METRICS[task]).greater_is_better
    by = {(j[0], i % len(pool)): r for i, (j, r) in enumerate(zip(jobs, results, strict=True))}
    # one column per (dataset, fold): three datasets alone leave the greedy nothing to add after 3 members
    columns = [regrets([fold_score(by[(d.name, c)][0], f) for c in range(len(pool))], greater)
               for d in datasets for f in range(FOLDS)]
    matrix = [[col[c] for col in columns] for c in range(len(pool))]
    chosen, history = greedy(matrix)
    ordered = sorted(range(len(chosen)), key=lambda k: (COST.get(pool[chosen[k]][0], 5.0), k))
    members = [{"algorithm": pool[chosen[k]][0], "params": pool[chosen[k]][1]} for k in ordered]
    seconds = {c: statistics.median(by[(d.name, c)][1] for d in datasets) for c in range(len(pool))}
    return {
        "portfolio": {"task": task, "metric": public_data.METRICS[task], "datasets": [d.name for d in datasets],
                      "folds": FOLDS, "max_rows": MAX_ROWS, "members": members,
                      "built_by": "python -m bench.build_portfolio"},
        "report": {"pool": pool, "chosen": chosen, "history": history, "datasets": [d.name for d in datasets],
                   "scores": {f"{d.name}:{c}": mean_score(by[(d.name, c)][0]) for d in datasets
                              for c in range(len(pool))},
                   "seconds": seconds, "matrix": matrix},
    }


def fold_score(folds: list[float] | None, fold: int) -> float | None:
    return None if folds is None else folds[fold]


def mean_score(folds: list[float] | None) -> float | None:
    return None if folds is None else statistics.mean(folds)


def report_section(task: str, rep: dict[str, Any], wall: float) -> str:
    pool, chosen = rep["pool"], rep["chosen"]
    lines = [f"## {task}", "", f"Datasets: {', '.join(rep['datasets'])}; {len(pool)} candidates; built in "
             f"{wall:.0f} s.", "", "| added | algorithm | params | summed regret after | median CV s | "
             + " | ".join(rep["datasets"]) + " |", "|" + "---|" * (5 + len(rep["datasets"]))]
    for k, c in enumerate(chosen):
        scores = [rep["scores"][f"{d}:{c}"] for d in rep["datasets"]]
        cells = " | ".join("failed" if s is None else f"{s:.4f}" for s in scores)
        lines.append(f"| {k + 1} | {pool[c][0]} | `{json.dumps(pool[c][1], default=str)}` | "
                     f"{rep['history'][k]:.3f} | {rep['seconds'][c]:.2f} | {cells} |")
    by_algo: dict[str, list[float]] = {}
    for c, (name, _) in enumerate(pool):
        by_algo.setdefault(name, []).append(rep["seconds"][c])
    lines += ["", "Median CV seconds per candidate, by algorithm (3 folds, <= 5,000 rows, one thread): "
              + ", ".join(f"{a} {statistics.median(s):.2f}" for a, s in by_algo.items()), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sections = kept_sections(REPORT.read_text() if REPORT.exists() else "")
    for task in args.tasks.split(","):
        started = time.perf_counter()
        built = build(task, args.workers)
        (OUT / f"{task}.json").write_text(json.dumps(built["portfolio"], indent=1, sort_keys=True) + "\n")
        sections[task] = report_section(task, built["report"], time.perf_counter() - started)
        print(sections[task], flush=True)
    REPORT.write_text("# Warm-start portfolios\n\nBuilt by `python -m bench.build_portfolio` (see its docstring) "
                      "on the PORTFOLIO datasets of `bench/public_data.py`, disjoint from the BENCHMARK ones.\n\n"
                      + "\n".join(sections[t] for t in TASKS if t in sections))


def kept_sections(page: str) -> dict[str, str]:
    """The report's section per task, so a rebuild of some tasks keeps the others' sections as they were."""
    out: dict[str, str] = {}
    for chunk in page.split("\n## ")[1:]:
        task = chunk.split("\n", 1)[0].strip()
        if task in TASKS:
            out[task] = "## " + chunk.rstrip("\n") + "\n"
    return out


if __name__ == "__main__":
    main()
