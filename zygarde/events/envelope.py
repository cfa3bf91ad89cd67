"""The envelope every message shares: ``type``, ``schema_version``, ``event_id``, ``occurred_at``, ``job_id``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


def now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Event(BaseModel):
    """Envelope of every message. Subclasses set ``type`` to their own class name."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str
    schema_version: int = SCHEMA_VERSION
    event_id: str = Field(default_factory=new_id)
    occurred_at: datetime = Field(default_factory=now)
    job_id: str

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()
