"""One trial in the trainer vs ``sklearn.model_selection.cross_val_score`` on the same pipeline.

The trainer's side is the whole trial as a trainer runs it (dataset from its cache, holdout split,
the heartbeat thread, a stop check and a progress event per fold, the result event), with the bus
replaced by a recorder so only the trainer's own work is timed. The baseline is what a user would
write by hand: ``cross_val_score`` with the same pipeline, folds and scorer on the same rows. The
two run alternately in one process, so the ratio is not skewed by the machine's other load.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from threadpoolctl import threadpool_limits

from bench._report import RESULTS, machine, median, write_markdown
from services.trainer.train import Trainer
from zygarde import events as ev
from zygarde.ml import cv, datasets, metrics
from zygarde.ml.pipeline import build_pipeline
from zygarde.settings import Settings

GOAL_OVERHEAD = 0.05


@dataclass(frozen=True)
class Case:
    dataset: str
    target: str
    metric: str
    task: str
    algorithm: str
    params: dict[str, Any]


CASES = [
    Case("builtin:caravan", "Purchase", "roc_auc", "binary", "random_forest",
         {"n_estimators": 200, "max_depth": 12, "min_samples_leaf": 2}),
    Case("builtin:caravan", "Purchase", "pr_auc", "binary", "hist_gradient_boosting",
         {"learning_rate": 0.05, "max_iter": 200, "max_leaf_nodes": 31, "early_stopping": False}),
    Case("builtin:bikeshare", "bikers", "rmse", "regression", "random_forest",
         {"n_estimators": 120, "max_depth": 14}),
    Case("builtin:default", "default", "roc_auc", "binary", "logistic_regression", {"C": 1.0}),
]


class Recorder:
    """Stands in for the bus: keeps what the trainer publishes."""

    def __init__(self) -> None:
        self.events: list[ev.Event] = []

    def publish(self, event: ev.Event, **_: Any) -> None:
        self.events.append(event)

    def poll(self) -> None:
        pass

    def flush(self) -> None:
        pass


def request(case: Case, folds: int = 5, seed: int = 7) -> ev.TrialRequested:
    spec = ev.JobSpec.model_validate({
        "dataset": {"uri": case.dataset, "target": case.target}, "metric": case.metric, "task": case.task,
        "algorithms": [case.algorithm], "cv": {"folds": folds}, "search": {"seed": seed},
    })
    return ev.TrialRequested(job_id="bench", trial_id="bench-00000", index=0, algorithm=case.algorithm,
                             params=case.params, spec=spec, task=case.task, seed=seed)


def trainer_trial(trainer: Trainer, producer: Recorder, trial: ev.TrialRequested) -> tuple[float, float]:
    """(seconds, cv_mean) of one trial run the way a trainer runs it."""
    producer.events.clear()
    started = time.perf_counter()
    trainer.run_trial(trial)
    seconds = time.perf_counter() - started
    done = [e for e in producer.events if isinstance(e, ev.TrialCompleted)]
    if not done:
        raise RuntimeError(f"the trial did not complete: {producer.events[-1]}")
    return seconds, done[0].cv_mean


def by_hand(trial: ev.TrialRequested, settings: Settings) -> tuple[float, float]:
    """(seconds, mean score) of ``cross_val_score`` on the same rows, pipeline, folds and scorer."""
    from sklearn.model_selection import cross_val_score

    spec = trial.spec
    frame = datasets.load_frame(spec.dataset.uri, settings.data_root_paths, settings.dataset_cache)
    train, _ = cv.split_holdout(frame, spec.dataset, trial.task, spec.search.seed)
    started = time.perf_counter()
    X, y = cv.features(train, spec.dataset), train[spec.dataset.target]
    pipeline, _ = build_pipeline(trial.algorithm, trial.params, trial.task, X, "none", trial.seed, y=y)
    metric = metrics.get(spec.metric)

    def scorer(model: Any, X_te: Any, y_te: Any) -> float:
        return float(metrics.score(metric, model, X_te, y_te))

    # the same threads as a trainer's fit (cv.THREADS): parallelism comes from more trainers, so a
    # one-trial comparison gives both sides the same cores
    with threadpool_limits(limits=cv.THREADS):
        scores = cross_val_score(pipeline, X, y, cv=cv.make_splitter(spec.cv, trial.task, spec.search.seed, train),
                                 scoring=scorer)
    return time.perf_counter() - started, float(scores.mean())


def main(repeats: int = 5) -> None:
    settings = Settings()
    producer = Recorder()
    trainer = Trainer(settings, producer, "bench", heartbeat_s=5.0)  # type: ignore[arg-type]
    rows, labels, overheads = [], [], []
    for case in CASES:
        trial = request(case)
        trainer_trial(trainer, producer, trial)  # warm: dataset cache, imports
        ours, theirs, diffs = [], [], []
        for _ in range(repeats):
            t_ours, s_ours = trainer_trial(trainer, producer, trial)
            t_theirs, s_theirs = by_hand(trial, settings)
            ours.append(t_ours)
            theirs.append(t_theirs)
            diffs.append(abs(s_ours - s_theirs))
        overhead = median(ours) / median(theirs) - 1
        overheads.append(overhead * 100)
        labels.append(f"{case.algorithm}\n{case.dataset.removeprefix('builtin:')}")
        rows.append([case.dataset.removeprefix("builtin:"), case.algorithm, case.metric,
                     f"{median(theirs):.2f} s", f"{median(ours):.2f} s", f"{overhead * 100:+.1f} %",
                     f"{max(diffs):.1e}", "yes" if max(diffs) <= 1e-9 and (
                         median(theirs) < 1 or overhead <= GOAL_OVERHEAD) else "no"])
    write_markdown(
        "trainer_cv", "One trial in the trainer vs cross_val_score",
        ["dataset", "algorithm", "metric", "cross_val_score", "trainer trial", "overhead", "max |Δ score|",
         "goal met"], rows,
        notes=[f"Medians of {repeats} runs each, alternating in one process, 5 folds, 80 % training split. "
               "The trainer trial includes the cached dataset load, the holdout split, the heartbeat thread, "
               "a stop check and a progress event per fold; the bus is replaced by a recorder.",
               f"Goals: identical scores (|Δ| ≤ 1e-9) and overhead ≤ {GOAL_OVERHEAD:.0%} for trials of 1 s or more. "
               f"Spread of the overheads: {statistics.pstdev(overheads):.1f} points."])
    _plot(labels, overheads)
    print((RESULTS / "trainer_cv.md").read_text())


def _plot(labels: list[str], overheads: list[float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(labels, overheads, color="#2a7ab9")
    ax.axhline(GOAL_OVERHEAD * 100, color="#e07b39", linestyle="--", label="goal")
    ax.set_ylabel("trainer time over cross_val_score (%)")
    ax.set_title(f"Trainer overhead per trial · {machine()}", fontsize=8)
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "trainer_cv.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
