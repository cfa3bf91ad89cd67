"""Every message Zygarde puts on Kafka: frozen pydantic models sharing one envelope.

Rules (docs/contract.md): JSON, UTF-8; envelope ``type``, ``schema_version``, ``event_id``,
``occurred_at``, ``job_id`` on every message; readers ignore unknown fields; fields are only ever
added, with defaults. ``zygarde schemas`` writes one JSON Schema per message type.

One module per part, every name re-exported here (``from zygarde import events as ev``; ``ev.JobSpec``):
``envelope`` (the fields every message shares), ``spec`` (the job spec), ``jobs`` (the ``jobs`` and
``job-events`` topics), ``trials`` (``trials`` and ``results``), ``outcomes`` (``models``, ``scaling``,
``dlq``), ``codec`` (every type by name, ``decode``, ``json_schemas``). Which topic carries which
message is declared once, in ``zygarde.topics``.
"""

from __future__ import annotations

from zygarde.events.codec import EVENT_TYPES, AnyEvent, decode, json_schemas, known_fields
from zygarde.events.envelope import SCHEMA_VERSION, Event, new_id, now
from zygarde.events.jobs import (
    JobAccepted,
    JobCancelled,
    JobCancelRequested,
    JobCompleted,
    JobFailed,
    JobPaused,
    JobPauseRequested,
    JobRejected,
    JobResumed,
    JobResumeRequested,
    JobSearchFinished,
    JobSubmitted,
    RetrainRequested,
)
from zygarde.events.outcomes import EnsembleMember, MessageDeadLettered, ModelSelected, ScalingDecided
from zygarde.events.spec import (
    AlgorithmChoice,
    CvSpec,
    CvStrategy,
    DatasetSpec,
    Engine,
    FinalRefit,
    ImbalanceSpec,
    ImbalanceStrategy,
    JobSpec,
    JobStatus,
    RegistrySpec,
    ResolvedTask,
    SearchSpec,
    Strategy,
    Task,
    spec_errors,
)
from zygarde.events.trials import TrialCompleted, TrialFailed, TrialProgressed, TrialRequested, TrialStarted

__all__ = [
    "EVENT_TYPES", "SCHEMA_VERSION", "AlgorithmChoice", "AnyEvent", "CvSpec", "CvStrategy", "DatasetSpec", "Engine",
    "EnsembleMember", "Event", "FinalRefit", "ImbalanceSpec", "ImbalanceStrategy", "JobAccepted", "JobCancelRequested",
    "JobCancelled", "JobCompleted", "JobFailed", "JobPauseRequested", "JobPaused", "JobRejected", "JobResumeRequested",
    "JobResumed", "JobSearchFinished", "JobSpec", "JobStatus", "JobSubmitted", "MessageDeadLettered", "ModelSelected",
    "RegistrySpec", "ResolvedTask", "RetrainRequested", "ScalingDecided", "SearchSpec", "Strategy", "Task",
    "TrialCompleted", "TrialFailed", "TrialProgressed", "TrialRequested", "TrialStarted", "decode", "json_schemas",
    "known_fields", "new_id", "now", "spec_errors",
]
