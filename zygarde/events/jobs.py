"""Job messages: the requests on ``jobs`` (submit, cancel, pause, resume, retrain) and what the planner and
the selector say of a job on ``job-events``."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field

from zygarde.events.envelope import Event
from zygarde.events.spec import JobSpec, ResolvedTask

# --- jobs


class JobSubmitted(Event):
    type: Literal["JobSubmitted"] = "JobSubmitted"
    spec: dict[str, Any] = Field(description="the raw job spec; validated by the planner")
    submitted_via: str = "kafka"


class JobCancelRequested(Event):
    type: Literal["JobCancelRequested"] = "JobCancelRequested"
    reason: str = "requested by user"


class JobPauseRequested(Event):
    """Request no new trials for a running job; its running trials finish."""

    type: Literal["JobPauseRequested"] = "JobPauseRequested"
    reason: str = "requested by user"


class JobResumeRequested(Event):
    """Continue a paused job's search where it stopped (same strategy state, trial ids and budgets)."""

    type: Literal["JobResumeRequested"] = "JobResumeRequested"
    reason: str = "requested by user"


class RetrainRequested(Event):
    """A registered model's quality or inputs drifted: run ``spec`` (its job's spec on the new data).

    ``job_id`` is the job that trained the evaluated version; the planner runs the retrain as job
    :meth:`retrain_job_id`, derived from this event's id so a re-delivery never starts two jobs.
    """

    type: Literal["RetrainRequested"] = "RetrainRequested"
    model_name: str
    version: int
    spec: dict[str, Any] = Field(description="the job spec to run: the version's spec on the new dataset")
    reasons: list[str]
    evaluation_id: str = ""
    metric: str = ""
    score: float | None = None
    holdout_score: float | None = None
    max_psi: float | None = None

    def retrain_job_id(self) -> str:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"zygarde:retrain:{self.event_id}").hex


# --- job-events


class JobAccepted(Event):
    type: Literal["JobAccepted"] = "JobAccepted"
    spec: JobSpec
    task: ResolvedTask
    planned_trials: int
    warnings: list[str] = Field(default_factory=list, description="what validation noticed but accepted, "
                                "e.g. rows left out because their target is missing")


class JobRejected(Event):
    type: Literal["JobRejected"] = "JobRejected"
    reasons: list[str]


class JobSearchFinished(Event):
    """The planner will request no more trials; ``trials_total`` results close the job."""

    type: Literal["JobSearchFinished"] = "JobSearchFinished"
    trials_total: int
    ended_reason: str


class JobCompleted(Event):
    type: Literal["JobCompleted"] = "JobCompleted"
    best_trial_id: str | None
    best_score: float | None
    trials_completed: int
    trials_failed: int
    ended_reason: str


class JobFailed(Event):
    type: Literal["JobFailed"] = "JobFailed"
    reason: str


class JobCancelled(Event):
    type: Literal["JobCancelled"] = "JobCancelled"
    reason: str


class JobPaused(Event):
    """The planner requests no new trials for the job until a ``JobResumed``."""

    type: Literal["JobPaused"] = "JobPaused"
    reason: str = ""


class JobResumed(Event):
    """The job's search goes on; ``paused_s``: how long it was paused (not counted by its time budget)."""

    type: Literal["JobResumed"] = "JobResumed"
    reason: str = ""
    paused_s: float = 0.0
