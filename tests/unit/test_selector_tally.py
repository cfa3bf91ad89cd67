"""``tally``: the faust selector's per-job table entry after one more result (services/selector/stream.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.selector.stream import tally
from zygarde import events as ev
from zygarde.ml import metrics

JOB = "job-1"


def completed(n: int, cv_mean: float, metric: str = "roc_auc", attempt: int = 1) -> ev.TrialCompleted:
    return ev.TrialCompleted(job_id=JOB, trial_id=f"{JOB}-{n:05d}", attempt=attempt, algorithm="logreg",
                             params={}, metric=metric, fold_scores=[cv_mean], cv_mean=cv_mean, cv_std=0.0,
                             fit_seconds=0.1)


def failed(n: int, attempt: int = 1) -> ev.TrialFailed:
    return ev.TrialFailed(job_id=JOB, trial_id=f"{JOB}-{n:05d}", attempt=attempt, reason="error")


def run(results: list[ev.TrialCompleted | ev.TrialFailed], top_k: int = 3) -> dict[str, Any] | None:
    """Fold the results as the agent does: keep the entry when tally returns None, and store it as JSON
    (the changelog's serializer) in between, so each step starts from what a restart would recover."""
    state: dict[str, Any] | None = None
    for event in results:
        new = tally(state, event, top_k)
        if new is not None:
            state = json.loads(json.dumps(new))
    return state


def test_metrics_used_here_point_the_way_the_tests_assume() -> None:
    assert metrics.get("roc_auc").greater_is_better
    assert not metrics.get("rmse").greater_is_better


def test_first_result_makes_the_entry() -> None:
    state = tally(None, completed(0, 0.7), top_k=3)
    assert state == {"counts": {"completed": 1}, "best": {"trial_id": f"{JOB}-00000", "cv_mean": 0.7},
                     "top": [[0.7, f"{JOB}-00000", 0.7]], "trials": {f"{JOB}-00000": "completed"}}


def test_redelivered_result_returns_none_and_changes_nothing() -> None:
    state = run([completed(0, 0.7), completed(1, 0.8)])
    assert state is not None
    before = json.loads(json.dumps(state))
    assert tally(state, completed(1, 0.8), top_k=3) is None
    assert tally(state, completed(1, 0.99, attempt=2), top_k=3) is None, "a second attempt counts once"
    assert tally(state, failed(0), top_k=3) is None, "a trial counted as completed is not counted again"
    assert state == before


def test_failed_trial_counted_once_and_never_ranked() -> None:
    state = run([failed(0), completed(1, 0.6), failed(0, attempt=2), failed(2)])
    assert state is not None
    assert state["counts"] == {"failed": 2, "completed": 1}
    assert state["trials"] == {f"{JOB}-00000": "failed", f"{JOB}-00001": "completed", f"{JOB}-00002": "failed"}
    assert [row[1] for row in state["top"]] == [f"{JOB}-00001"]
    assert state["best"] == {"trial_id": f"{JOB}-00001", "cv_mean": 0.6}


def test_only_failures_leave_no_best() -> None:
    state = run([failed(0), failed(1)])
    assert state is not None
    assert state["best"] is None and state["top"] == []
    assert state["counts"] == {"failed": 2}


def test_top_k_greater_is_better() -> None:
    scores = [0.71, 0.93, 0.55, 0.88, 0.90, 0.62]
    state = run([completed(n, s, "roc_auc") for n, s in enumerate(scores)], top_k=3)
    assert state is not None
    assert [row[2] for row in state["top"]] == [0.93, 0.90, 0.88]
    assert [row[1] for row in state["top"]] == [f"{JOB}-00001", f"{JOB}-00004", f"{JOB}-00003"]
    assert state["best"] == {"trial_id": f"{JOB}-00001", "cv_mean": 0.93}
    assert state["counts"] == {"completed": 6}
    assert len(state["trials"]) == 6, "every trial id is kept, not only the top-k"


def test_top_k_lower_is_better() -> None:
    errors = [3.5, 1.25, 7.0, 0.5, 2.0]
    state = run([completed(n, e, "rmse") for n, e in enumerate(errors)], top_k=3)
    assert state is not None
    assert [row[2] for row in state["top"]] == [0.5, 1.25, 2.0], "smallest error first"
    assert [row[0] for row in state["top"]] == [-0.5, -1.25, -2.0], "ranked by the negated score"
    assert state["best"] == {"trial_id": f"{JOB}-00003", "cv_mean": 0.5}
    assert state["counts"] == {"completed": 5}


@pytest.mark.parametrize("top_k", [1, 2, 5])
def test_top_k_bounds_the_ranking(top_k: int) -> None:
    state = run([completed(n, n / 10) for n in range(4)], top_k=top_k)
    assert state is not None
    assert len(state["top"]) == min(top_k, 4)
    assert state["best"] == {"trial_id": f"{JOB}-00003", "cv_mean": 0.3}


def test_tally_does_not_mutate_the_previous_entry() -> None:
    state = run([completed(0, 0.5), failed(1)])
    assert state is not None
    snapshot = json.loads(json.dumps(state))
    new = tally(state, completed(2, 0.9), top_k=3)
    assert new is not None and new["counts"] == {"completed": 2, "failed": 1}
    assert state == snapshot
