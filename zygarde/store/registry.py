"""The model registry: ``registry`` (one document per model name, with its aliases), ``model_versions``
(one per registered job winner, ``_id`` = job id) and ``model_evaluations`` (quality over time).

Registering is idempotent by job id: a re-delivered or re-run registration finds the version it
made before. Version numbers come from the highest existing one, guarded by a unique
``(name, version)`` index, so a crash between two steps leaves no gap and no duplicate.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from zygarde.events import now


def ensure_registry_indexes(db: Database[dict[str, Any]]) -> None:
    db.model_versions.create_index([("name", ASCENDING), ("version", ASCENDING)], unique=True)
    db.model_evaluations.create_index([("name", ASCENDING), ("evaluated_at", ASCENDING)])
    db.registry_events.create_index([("name", ASCENDING), ("at", ASCENDING)])


class RegistryRepository:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self._models = db.registry
        self._versions = db.model_versions
        self._evaluations = db.model_evaluations
        self._events = db.registry_events

    # ------------------------------------------------------------------ models and versions

    def model(self, name: str) -> dict[str, Any] | None:
        return self._models.find_one({"_id": name})

    def models(self) -> list[dict[str, Any]]:
        return list(self._models.find({}).sort("_id", ASCENDING))

    def versions(self, name: str) -> list[dict[str, Any]]:
        return list(self._versions.find({"name": name}).sort("version", ASCENDING))

    def version(self, name: str, version: int) -> dict[str, Any] | None:
        return self._versions.find_one({"name": name, "version": version})

    def version_of_job(self, job_id: str) -> dict[str, Any] | None:
        return self._versions.find_one({"_id": job_id})

    def register(self, name: str, job_id: str, doc: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The version for ``job_id`` under ``name``: (document, True) when this call created it."""
        for _ in range(100):
            existing = self.version_of_job(job_id)
            if existing is not None:
                return existing, False
            last = list(self._versions.find({"name": name}).sort("version", DESCENDING).limit(1))
            version = int(last[0]["version"]) + 1 if last else 1
            new = {**doc, "_id": job_id, "name": name, "version": version, "registered_at": now(),
                   "aliases_applied": False}
            try:
                self._versions.insert_one(new)
            except DuplicateKeyError:
                continue  # same job registered meanwhile (found above next time) or the number was taken
            self._models.update_one(
                {"_id": name},
                {"$set": {"latest_version": version, "updated_at": now()},
                 "$setOnInsert": {"created_at": now(), "aliases": {}}},
                upsert=True)
            return new, True
        raise RuntimeError(f"could not allocate a version of {name!r}")

    def mark_aliases_applied(self, job_id: str) -> None:
        self._versions.find_one_and_update({"_id": job_id}, {"$set": {"aliases_applied": True}})

    # ------------------------------------------------------------------ aliases

    def set_alias(self, name: str, alias: str, version: int, by: str, reason: str = "") -> dict[str, Any] | None:
        """Point ``alias`` of ``name`` at ``version``; returns the model document after the change."""
        before = self.model(name)
        if before is None:
            return None
        previous = (before.get("aliases") or {}).get(alias)
        after = self._models.find_one_and_update(
            {"_id": name}, {"$set": {f"aliases.{alias}": version, "updated_at": now()}},
            return_document=ReturnDocument.AFTER)
        if previous != version:
            self._events.insert_one({"name": name, "alias": alias, "version": version, "previous": previous,
                                     "by": by, "reason": reason, "at": now()})
        return after

    def alias_history(self, name: str) -> list[dict[str, Any]]:
        return list(self._events.find({"name": name}).sort("at", ASCENDING))

    # ------------------------------------------------------------------ evaluations

    def add_evaluation(self, doc: dict[str, Any]) -> None:
        self._evaluations.insert_one(doc)

    def evaluations(self, name: str) -> list[dict[str, Any]]:
        return list(self._evaluations.find({"name": name}).sort("evaluated_at", ASCENDING))
