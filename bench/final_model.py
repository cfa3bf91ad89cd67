"""``python -m bench final_model``: what ensembles and the full refit cost, at the end of a job and per trial.

End of a job (the selector's finishing work on the demo job, ``examples/demo-job.json``): its 16
random configurations are cross-validated once, keeping their out-of-fold predictions (untimed).
Then, alternately in one process so the machine's other load falls on both alike:

- *before*: what the selector did before: the best trial fitted on the training part and scored on
  the holdout, stored, and the report's comparison refitting the top 3 trials;
- *after*: ``final_model.build`` (ensemble selection over the top 20, member fits on two threads, the
  refit on every row beside them), both artifacts stored, and the comparison reusing the fitted trials.

Per trial: ``run_cv`` with and without ``keep_oof`` on cheap trials, alternately; medians.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._report import RESULTS, machine, median
from services.selector import final_model
from zygarde import events as ev
from zygarde.ml import algorithms, cv, datasets, metrics, oof
from zygarde.ml import space as sp
from zygarde.registry import artifacts, comparison, reports
from zygarde.settings import Settings

REPEATS = 3
TRIAL_REPEATS = 15
CHEAP: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    ("builtin:breast_cancer", "target", "roc_auc", "binary", "logistic_regression", {}),
    ("builtin:breast_cancer", "target", "accuracy", "binary", "naive_bayes", {}),
    ("builtin:default", "default", "roc_auc", "binary", "logistic_regression", {}),
    ("builtin:bikeshare", "bikers", "rmse", "regression", "ridge", {}),
]


class Board:
    """The leaderboard ``final_model`` and the comparison read, from trials in memory."""

    def __init__(self, trials: list[dict[str, Any]]) -> None:
        self.trials = sorted(trials, key=lambda t: -t["sort_key"])

    def leaderboard(self, job_id: str, limit: int = 1000) -> list[dict[str, Any]]:
        return self.trials[:limit]


def demo_trials(settings: Settings, root: str, spec: ev.JobSpec, task: str, train: Any) -> list[dict[str, Any]]:
    rng = random.Random(spec.search.seed)
    names = spec.algorithm_names()
    greater = metrics.get(spec.metric).greater_is_better
    trials = []
    for i in range(spec.search.max_trials):
        name = names[i % len(names)]
        params = sp.sample(algorithms.space_for(name), rng)
        started = time.perf_counter()
        result = cv.run_cv(spec, task, name, params, train, spec.search.seed + i, keep_oof=True)
        assert result.oof is not None
        uri, sha = oof.store(root, "demo", f"demo-{i:05d}", 1, result.oof)
        trials.append({"_id": f"demo-{i:05d}", "algorithm": name, "params": params, "cv_mean": result.mean,
                       "cv_std": result.std, "fold_scores": result.fold_scores, "fit_seconds": result.fit_seconds,
                       "sort_key": result.mean if greater else -result.mean, "oof": {"uri": uri, "sha256": sha}})
        print(f"  trial {i}: {name} {result.mean:.4f} ({time.perf_counter() - started:.1f} s)")
    return trials


def before(settings: Settings, demo: DemoJob) -> dict[str, Any]:
    spec, holdout, board = demo.spec, demo.holdout, demo.board
    best = board.trials[0]
    pipeline = cv.fit_final(spec, demo.task, best["algorithm"], best["params"], demo.train, spec.search.seed)
    features = cv.features(holdout, spec.dataset)
    score = metrics.score(metrics.get(spec.metric), pipeline, features, holdout[spec.dataset.target])
    artifacts.store(demo.root, "demo", pipeline)
    comparison.rows(settings, demo.job, board.leaderboard("demo", 3))
    return {"kind": "single", "holdout": float(score)}


def after(settings: Settings, demo: DemoJob) -> dict[str, Any]:
    root, board = demo.root, demo.board
    built = final_model.build(root, board, "demo", demo.spec, demo.task, demo.frame, demo.train, demo.holdout,
                              board.trials[0])
    artifacts.store(root, "demo", built.pipeline)
    if built.final is not built.pipeline:
        artifacts.store(root, "demo", built.final, name="model-all.joblib")
    comparison.rows(settings, demo.job, board.leaderboard("demo", 3), built.fitted)
    return {"kind": built.kind, "holdout": built.holdout_score, "members": len(built.members),
            "seconds": built.seconds, "ensemble": {k: v for k, v in built.ensemble.items() if k != "members"}}


@dataclass
class DemoJob:
    """The demo job's data, split as the selector splits it, and its trials already run (untimed)."""

    spec: ev.JobSpec
    task: str
    frame: Any
    train: Any
    holdout: Any
    root: str  # where its trials' artifacts are
    board: Board
    job: dict[str, Any]


def demo_job(settings: Settings, prefix: str) -> DemoJob:
    doc = json.loads((Path(__file__).parents[1] / "examples" / "demo-job.json").read_text())
    spec = ev.JobSpec.model_validate(doc)
    frame = datasets.load_frame(spec.dataset.uri, settings.data_root_paths, settings.dataset_cache)
    task = datasets.detect_task(frame[spec.dataset.target])
    train, holdout = cv.split_holdout(frame, spec.dataset, task, spec.search.seed)
    root = tempfile.mkdtemp(prefix=prefix)
    print(f"demo job: {len(frame)} rows, {spec.search.max_trials} trials (untimed)")
    board = Board(demo_trials(settings, root, spec, task, train))
    job = {"_id": "demo", "spec": spec.model_dump(mode="json"), "task": task}
    return DemoJob(spec, task, frame, train, holdout, root, board, job)


def finishing(settings: Settings) -> dict[str, Any]:
    demo = demo_job(settings, "bench-final-")
    # the comparison loads the job's split through the dataset cache, as the selector's does
    reports.load_split(settings, demo.job)
    times: dict[str, list[float]] = {"before": [], "after": []}
    outcome: dict[str, Any] = {}
    for _ in range(REPEATS):
        for name in ("before", "after"):
            started = time.perf_counter()
            out = before(settings, demo) if name == "before" else after(settings, demo)
            times[name].append(time.perf_counter() - started)
            outcome[name] = out
            print(f"  {name}: {times[name][-1]:.2f} s, {out}")
    return {"times": times, "outcome": outcome, "rows": len(demo.frame), "trials": demo.spec.search.max_trials,
            "best": {k: demo.board.trials[0][k] for k in ("_id", "algorithm", "cv_mean")}}


def per_trial(settings: Settings) -> list[dict[str, Any]]:
    rows = []
    for uri, target, metric, task, algorithm, params in CHEAP:
        spec = ev.JobSpec.model_validate({"dataset": {"uri": uri, "target": target}, "metric": metric,
                                          "cv": {"folds": 5}})
        frame = datasets.load_frame(uri, settings.data_root_paths, settings.dataset_cache)
        train = cv.train_part(frame, spec.dataset, task, spec.search.seed)
        cv.run_cv(spec, task, algorithm, params, train, 0, keep_oof=True)  # warm the caches
        times: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(TRIAL_REPEATS):
            for keep in (False, True):
                started = time.perf_counter()
                cv.run_cv(spec, task, algorithm, params, train, 0, keep_oof=keep)
                times[keep].append(time.perf_counter() - started)
        rows.append({"dataset": uri.removeprefix("builtin:"), "rows": len(train), "algorithm": algorithm,
                     "metric": metric, "without_ms": 1000 * median(times[False]),
                     "with_ms": 1000 * median(times[True])})
        print(f"  {rows[-1]}")
    return rows


def main(argv: list[str] | None = None) -> None:
    settings = Settings()
    trial_rows = per_trial(settings)
    end = finishing(settings)
    (RESULTS / "final_model.json").write_text(json.dumps({"per_trial": trial_rows, "finishing": end,
                                                          "machine": machine()}, indent=2, default=str))
    b, a = median(end["times"]["before"]), median(end["times"]["after"])
    lines = [
        "# Ensembles and the full refit: what they cost", "",
        f"Machine: {machine()}. Medians; before and after run alternately in one process.", "",
        f"## End of the demo job ({end['rows']} rows, {end['trials']} trials, best {end['best']['algorithm']} "
        f"{end['best']['cv_mean']:.4f})", "",
        "| | finishing work (s) | announced | holdout |", "|---|---|---|---|",
        f"| before: best trial refit + comparison refits | {b:.2f} | single | "
        f"{end['outcome']['before']['holdout']:.4f} |",
        f"| after: ensemble selection, fits on 2 threads, refit on every row, comparison reusing fits | {a:.2f} | "
        f"{end['outcome']['after']['kind']} ({end['outcome']['after']['members']} member(s)) | "
        f"{end['outcome']['after']['holdout']:.4f} |", "",
        f"Extra time at the end of the job: {a - b:+.2f} s ({a / b:.2f}x). Ensemble: "
        f"{json.dumps(end['outcome']['after']['ensemble'], default=str)}; phases (s): "
        f"{json.dumps(end['outcome']['after']['seconds'])}.", "",
        "## Per trial: keeping out-of-fold predictions (run_cv, 5 folds)", "",
        "| dataset | rows | algorithm | metric | without (ms) | with (ms) | extra |", "|---|---|---|---|---|---|---|",
        *[f"| {r['dataset']} | {r['rows']} | {r['algorithm']} | {r['metric']} | {r['without_ms']:.1f} | "
          f"{r['with_ms']:.1f} | {r['with_ms'] / r['without_ms'] - 1:+.1%} |" for r in trial_rows],
    ]
    (RESULTS / "final_model.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
