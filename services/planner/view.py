"""What the planner knows of a job's trials (``JobView``, also the summary the API shows) and the pure
rules it plans by: which budget ends a search, each algorithm's defaults as first points, fair shares."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from zygarde import events as ev
from zygarde.ml import algorithms
from zygarde.store.trials import OPEN


@dataclass
class JobView:
    """What ``fill`` needs to know about a job's trials, kept in memory so the hot path reads no
    collection; rebuilt from MongoDB (the truth) whenever the planner first touches the job. It is
    also the job's summary (trials by status, instance-seconds, best trial) that the API shows: the
    local MongoDB-wire server answers a query by ``job_id`` by reading every trial ever stored."""

    total: int
    open: set[str]
    greater_is_better: bool = True
    seconds: float = 0.0  # instance-seconds the finished trials occupied trainers
    best: float | None = None
    since_best: int = 0  # finished trials in a row that did not beat ``best``
    running: set[str] = field(default_factory=set)  # the open trials a trainer has started
    completed: int = 0
    failed: int = 0
    best_trial: dict[str, Any] | None = None  # trial_id, algorithm, params, score of ``best``

    def account(self, score: float | None, seconds: float, trial: dict[str, Any] | None = None,
                ranked: bool = True) -> None:
        """One finished trial, in the order trials finished (a failure never improves the best).
        ``trial``: its id, algorithm and params (None: a failure). ``ranked=False``: a score on a subsample
        of the rows, never compared with the others (it never improves the best either)."""
        self.seconds += seconds
        if score is None:
            self.failed += 1
        else:
            self.completed += 1
        better = ranked and score is not None and (self.best is None or (
            score > self.best if self.greater_is_better else score < self.best))
        if better:
            self.best, self.since_best = score, 0
            if trial is not None:
                self.best_trial = {**trial, "score": score}
        else:
            self.since_best += 1

    @classmethod
    def of(cls, stored: list[dict[str, Any]], greater_is_better: bool) -> JobView:
        """The view of a job's stored trials, the finished ones accounted in the order they finished."""
        view = cls(len(stored), {d["_id"] for d in stored if d["status"] in OPEN}, greater_is_better=greater_is_better,
                   running={d["_id"] for d in stored if d["status"] == "running"})
        finished = [d for d in stored if d["status"] in ("completed", "failed")]
        for d in sorted(finished, key=lambda d: (d.get("finished_at") is None, d.get("finished_at"), d["index"])):
            completed = d["status"] == "completed"
            view.account(d.get("score") if completed else None, float(d.get("seconds") or 0.0),
                         {"trial_id": d["_id"], "algorithm": d["algorithm"], "params": d["params"]},
                         ranked=d.get("rows") is None)
        return view

    def summary(self) -> dict[str, Any]:
        """The job's trials by status, the instance-seconds they used and the best one, as the API
        shows them (read from another thread: only lengths and whole values, never an iteration)."""
        running = len(self.running)
        return {"trials": {"requested": len(self.open) - running, "running": running,
                           "completed": self.completed, "failed": self.failed},
                "instance_seconds": self.seconds, "best": self.best_trial}


def empty_summary() -> dict[str, Any]:
    return JobView(0, set()).summary()


def budget_spent(search: ev.SearchSpec, view: JobView, out_of_time: bool) -> str | None:
    """Which budget ends the search now, if any: the deadline, the cost in instance-seconds, or
    ``patience`` finished trials in a row without improvement."""
    if out_of_time:
        return "time_budget"
    if search.cost_budget is not None and view.seconds >= search.cost_budget:
        return "cost_budget"
    if search.patience is not None and view.best is not None and view.since_best >= search.patience:
        return "patience"
    return None


def initial_points(spaces: dict[str, Any], task: str) -> list[tuple[str, dict[str, Any]]]:
    """Each algorithm's own defaults as a point of its space, in the job's order of algorithms."""
    points = ((name, algorithms.default_params(name, space, task)) for name, space in spaces.items())
    return [(name, params) for name, params in points if params is not None]


def fair_limit(shares: dict[str, tuple[int, int]], job_id: str) -> int:
    """How many trials ``job_id`` may have in flight while ``shares`` (job -> (max_parallel,
    priority)) are active: the largest ``max_parallel`` is split by weight ``2 ** (priority / 2)``,
    never above the job's own ``max_parallel`` nor below one. Alone, a job gets its ``max_parallel``;
    a big job started first leaves a small later one its share instead of queueing ahead of it."""
    own, _ = shares[job_id]
    pool = max(mp for mp, _ in shares.values())
    weights: dict[str, float] = {j: 2.0 ** (priority / 2) for j, (_, priority) in shares.items()}
    return max(1, min(own, math.ceil(pool * weights[job_id] / sum(weights.values()) - 1e-9)))
