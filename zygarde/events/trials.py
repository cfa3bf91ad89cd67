"""Trial messages: the planner's requests on ``trials`` and the trainers' answers on ``results``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from zygarde.events.envelope import Event
from zygarde.events.spec import JobSpec, ResolvedTask

# --- trials


class TrialRequested(Event):
    type: Literal["TrialRequested"] = "TrialRequested"
    trial_id: str
    attempt: int = 1
    index: int
    algorithm: str
    params: dict[str, Any]
    spec: JobSpec
    task: ResolvedTask
    seed: int
    # True: the planner judges every fold's score (a pruning strategy such as ASHA), so the trainer
    # publishes TrialProgressed after each fold. False: fold scores are progress only, published at
    # most once a second (a 2-fold trial of 20 ms then sends 3 messages, not 5); heartbeats go on.
    report_folds: bool = True
    judged_folds: list[int] | None = Field(None, description="with report_folds: the folds after which the "
                                           "planner may stop the trial (the trainer reports and waits for "
                                           "the verdict only there; other folds are progress only); null: "
                                           "every fold")
    rows: int | None = Field(None, ge=1, description="cross-validate only this many rows of the training part: "
                             "a fixed, nested, stratified subsample (a lower fidelity); null: every row")


# --- results


class _TrialEvent(Event):
    trial_id: str
    attempt: int = 1
    worker: str = ""


class TrialStarted(_TrialEvent):
    type: Literal["TrialStarted"] = "TrialStarted"
    algorithm: str = ""


class TrialProgressed(_TrialEvent):
    type: Literal["TrialProgressed"] = "TrialProgressed"
    fold: int
    folds: int
    score_so_far: float | None = None
    heartbeat: bool = Field(False, description="a liveness beat between folds, not a new fold result")


class TrialCompleted(_TrialEvent):
    type: Literal["TrialCompleted"] = "TrialCompleted"
    algorithm: str
    params: dict[str, Any]
    metric: str
    fold_scores: list[float]
    cv_mean: float
    cv_std: float
    fit_seconds: float
    versions: dict[str, str] = Field(default_factory=dict)
    cv_seconds: float = Field(0.0, description="wall time of the whole cross-validation: fits and scoring")
    rows: int | None = Field(None, description="the subsample of the training part the scores are on (a lower "
                             "fidelity: never the job's winner); null: every row")
    oof_uri: str | None = Field(None, description="the trial's out-of-fold predictions (float32 .npy in the "
                                "artifact store, one row per training row in CV order), for ensembles; null "
                                "when none were kept")
    oof_sha256: str | None = Field(None, description="sha256 of the bytes at oof_uri")


class TrialFailed(_TrialEvent):
    type: Literal["TrialFailed"] = "TrialFailed"
    algorithm: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    reason: str
    error: str = ""
    seconds: float = Field(0.0, description="how long the trial occupied its trainer before it failed")
