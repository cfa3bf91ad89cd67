"""What the platform announces beyond jobs and trials: the selected model (``models``), scaling decisions
(``scaling``) and dead-lettered messages (``dlq``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zygarde.events.envelope import Event
from zygarde.events.spec import FinalRefit

# --- models, scaling, dlq


class EnsembleMember(BaseModel):
    """One trial of an announced ensemble and its weight (the weights sum to 1)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    trial_id: str
    algorithm: str
    weight: float


class ModelSelected(Event):
    type: Literal["ModelSelected"] = "ModelSelected"
    trial_id: str = Field(description="the best single trial (by CV); an ensemble's members are in members")
    algorithm: str
    params: dict[str, Any]
    metric: str
    cv_mean: float
    holdout_score: float | None = None
    artifact_uri: str | None = None
    sha256: str | None = None
    final: bool = True
    kind: Literal["single", "ensemble"] = Field("single", description="the announced model: the best trial "
                                                "alone, or a weighted ensemble of members")
    members: list[EnsembleMember] = Field(default_factory=list, description="an ensemble's trials and weights")
    final_refit: FinalRefit | None = Field(None, description="what final_artifact_uri was fitted on: every row "
                                           "(all) or the training part (train); artifact_uri is always the "
                                           "model fitted on the training part that holdout_score measured")
    final_artifact_uri: str | None = Field(None, description="the model the registry serves")
    final_sha256: str | None = None


class ScalingDecided(Event):
    type: Literal["ScalingDecided"] = "ScalingDecided"
    pool: str = "trainers"
    from_replicas: int
    to_replicas: int
    reason: str
    lag: int


class MessageDeadLettered(Event):
    type: Literal["MessageDeadLettered"] = "MessageDeadLettered"
    source_topic: str
    partition: int
    offset: int
    error: str
    raw_b64: str
    key: str | None = None
