"""Ids and seeds every service derives the same way: a re-run of a step yields the same values."""

from __future__ import annotations

import hashlib
import uuid


def stable_event_id(*parts: str) -> str:
    """Deterministic event id: a re-run of the same step publishes the same id (idempotency key)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "zygarde:" + ":".join(parts)).hex


def trial_id(job_id: str, index: int) -> str:
    return f"{job_id}-{index:05d}"


def trial_seed(job_seed: int, index: int) -> int:
    digest = hashlib.sha256(f"{job_seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
