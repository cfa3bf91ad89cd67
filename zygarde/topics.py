"""Every topic, declared once: logical name, key, message types, partitions.

Physical names are ``<prefix><name>`` (``zygarde.trials`` by default) so that tests and several
installations can share one broker.
"""

from __future__ import annotations

from dataclasses import dataclass

from zygarde import events as ev


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    messages: tuple[type[ev.Event], ...]
    partitions: int = 3
    retention_ms: int | None = None

    def physical(self, prefix: str) -> str:
        return f"{prefix}{self.name}"

    def accepts(self, event: ev.Event) -> bool:
        return isinstance(event, self.messages)


JOBS = TopicSpec("jobs", "job_id", (ev.JobSubmitted, ev.JobCancelRequested, ev.RetrainRequested, ev.JobPauseRequested,
                                    ev.JobResumeRequested), partitions=3)
JOB_EVENTS = TopicSpec(
    "job-events",
    "job_id",
    (ev.JobAccepted, ev.JobRejected, ev.JobSearchFinished, ev.JobCompleted, ev.JobFailed, ev.JobCancelled,
     ev.JobPaused, ev.JobResumed),
    partitions=3,
)
TRIALS = TopicSpec("trials", "trial_id", (ev.TrialRequested,), partitions=12)
RESULTS = TopicSpec(
    "results", "job_id", (ev.TrialStarted, ev.TrialProgressed, ev.TrialCompleted, ev.TrialFailed), partitions=6
)
MODELS = TopicSpec("models", "job_id", (ev.ModelSelected,), partitions=3)
SCALING = TopicSpec("scaling", "pool", (ev.ScalingDecided,), partitions=1)
DLQ = TopicSpec("dlq", "key", (ev.MessageDeadLettered,), partitions=1)

ALL: tuple[TopicSpec, ...] = (JOBS, JOB_EVENTS, TRIALS, RESULTS, MODELS, SCALING, DLQ)
BY_NAME: dict[str, TopicSpec] = {t.name: t for t in ALL}


def for_event(event: ev.Event) -> TopicSpec:
    """The one topic an event type belongs on."""
    for topic in ALL:
        if topic.accepts(event):
            return topic
    raise KeyError(f"no topic declared for {type(event).__name__}")


def key_of(event: ev.Event, topic: TopicSpec) -> str:
    if topic is DLQ:
        return getattr(event, "key", None) or event.job_id
    value = getattr(event, topic.key, None)
    return str(value) if value is not None else event.job_id
