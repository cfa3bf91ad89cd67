"""Connection and indexes."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.database import Database
from pymongo.uri_parser import parse_uri

Doc = dict[str, Any]


def connect(uri: str, database: str | None = None, timeout_ms: int = 5000) -> Database[Doc]:
    """A database handle; the database is the URI's (``zygarde`` when it names none)."""
    client: MongoClient[Doc] = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=True)
    name = database or parse_uri(uri).get("database") or "zygarde"
    return client[name]


def ping(db: Database[Doc]) -> None:
    db.client.admin.command("ping")


def ensure_indexes(db: Database[Doc]) -> None:
    """Idempotent: unique keys are what make every consumer safe to re-run."""
    db.trials.create_index([("job_id", ASCENDING), ("index", ASCENDING)], unique=True)
    db.trials.create_index([("status", ASCENDING)])
    db.results.create_index([("job_id", ASCENDING), ("sort_key", DESCENDING)])
    db.jobs.create_index([("created_at", DESCENDING)])
