"""A ``RetrainRequested`` becomes a new job: the evaluated version's spec on the new data.

The new job's id is derived from the request's event id (``RetrainRequested.retrain_job_id``), and
``Planner.on_submitted`` ignores a job it already has, so a re-delivered request starts one job.
"""

from __future__ import annotations

import uuid
from typing import Any

from zygarde import events as ev


def submission(event: ev.RetrainRequested) -> ev.JobSubmitted:
    job_id = event.retrain_job_id()
    return ev.JobSubmitted(job_id=job_id, spec=event.spec, submitted_via="retrain",
                           event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"zygarde:{job_id}:submitted").hex)


def lineage(event: ev.RetrainRequested) -> dict[str, Any]:
    """What the new job records of why it exists."""
    return {"retrain_of": event.job_id, "retrain": {"event_id": event.event_id, "model_name": event.model_name,
                                                    "version": event.version, "reasons": event.reasons,
                                                    "evaluation_id": event.evaluation_id}}
