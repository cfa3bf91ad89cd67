"""The model registry's rules: every job winner becomes a numbered version of its job's ``name``, with
MLflow-style aliases ``champion`` (what serves) and ``challenger`` (the newest winner).

Rules when a winner is registered (:func:`aliases_after_registration`, pure and table-tested):
the new version becomes ``challenger``; it also becomes ``champion`` when the name has none yet,
or when auto-promotion is on (the spec's ``registry.auto_promote``, else
``ZYGARDE_REGISTRY_AUTO_PROMOTE``) and it beats the champion's holdout score by more than
``registry.min_improvement`` in the metric's direction. Anything else is an explicit promotion
(``POST /models/{name}/aliases/{alias}``).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo.database import Database

from zygarde import events as ev
from zygarde.ml import metrics
from zygarde.settings import Settings
from zygarde.store.registry import RegistryRepository, ensure_registry_indexes

log = logging.getLogger(__name__)

ALIASES = ("champion", "challenger")


class RegistrySettings(BaseSettings):
    """Every registry and monitoring knob, from ``ZYGARDE_REGISTRY_*``, in one place."""

    model_config = SettingsConfigDict(env_prefix="ZYGARDE_REGISTRY_", extra="ignore")

    auto_promote: bool = Field(False, description="default of the spec's registry.auto_promote")
    psi_threshold: float = Field(0.2, gt=0, description="a feature whose PSI passes this has drifted")
    psi_bins: int = Field(10, ge=2, le=100, description="quantile bins of the training data per numeric feature")
    metric_drop: float = Field(0.05, gt=0, description="relative fall below the holdout score that asks a retrain")
    compare_top: int = Field(3, ge=0, le=20, description="trials refitted for the winner report's comparison")


@functools.cache
def registry_settings() -> RegistrySettings:
    return RegistrySettings()


def beats(score: float | None, reference: float | None, greater_is_better: bool, min_improvement: float = 0.0) -> bool:
    """True when ``score`` is strictly better than ``reference`` by more than ``min_improvement``."""
    if score is None or reference is None:
        return False
    return score - reference > min_improvement if greater_is_better else reference - score > min_improvement


def aliases_after_registration(aliases: dict[str, int], new_version: int, new_holdout: float | None,
                               champion_holdout: float | None, greater_is_better: bool, auto_promote: bool,
                               min_improvement: float = 0.0) -> tuple[dict[str, int], str]:
    """The aliases once ``new_version`` is registered, and why the champion is what it is."""
    out = dict(aliases)
    out["challenger"] = new_version
    champion = out.get("champion")
    if champion is None:
        out["champion"] = new_version
        return out, "first version of the name"
    if champion == new_version:
        return out, "already champion"
    if not auto_promote:
        return out, "auto-promotion off: promote explicitly"
    if beats(new_holdout, champion_holdout, greater_is_better, min_improvement):
        out["champion"] = new_version
        return out, f"auto-promoted: holdout {new_holdout} beats the champion's {champion_holdout}"
    return out, f"kept champion {champion}: holdout {new_holdout} does not beat {champion_holdout}"


def lineage(job: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    """What a version records of where it came from."""
    card = model.get("model_card") or {}
    spec = job.get("spec") or card.get("spec") or {}
    return {
        "job_id": job["_id"], "trial_id": model["trial_id"], "algorithm": model["algorithm"],
        "params": model["params"], "metric": model["metric"],
        "greater_is_better": metrics.get(model["metric"]).greater_is_better, "task": job.get("task"),
        "cv_mean": model["cv_mean"], "cv_std": model.get("cv_std"), "holdout_score": model.get("holdout_score"),
        "dataset": {"uri": (spec.get("dataset") or {}).get("uri", model.get("dataset_uri")),
                    "sha256": card.get("dataset_sha256"), "target": (spec.get("dataset") or {}).get("target"),
                    "rows_train": card.get("rows_train"), "rows_holdout": card.get("rows_holdout")},
        "spec": spec, "artifact": {"uri": model["artifact_uri"], "sha256": model["sha256"]},
        "report": model.get("report") or {}, "trained_at": model.get("created_at"),
        "versions": model.get("versions") or {}, "code_version": card.get("code_version"),
        "submitted_via": job.get("submitted_via"), "retrain_of": job.get("retrain_of"),
        # what is served: the best trial or an ensemble (members and weights), fitted on every row
        # (final_refit=all) or the training part; the holdout score is always the training part's model's
        "kind": model.get("kind", "single"),
        "members": model.get("members") or [{"trial_id": model["trial_id"], "algorithm": model["algorithm"],
                                             "params": model["params"], "weight": 1.0}],
        "final_refit": model.get("final_refit"),
        "final_artifact": {"uri": model.get("final_artifact_uri") or model["artifact_uri"],
                           "sha256": model.get("final_sha256") or model["sha256"],
                           "rows": model.get("rows_final") or card.get("rows_train")},
        "holdout": model.get("holdout") or {"score": model.get("holdout_score"), "fitted_on": "train",
                                            "rows_fitted": card.get("rows_train"),
                                            "rows_scored": card.get("rows_holdout")},
        "ensemble": model.get("ensemble") or {},
    }


def register_winner(db: Database[dict[str, Any]], job: dict[str, Any], model: dict[str, Any],
                    settings: RegistrySettings | None = None) -> dict[str, Any]:
    """Register a job's winner (idempotent by job id) and apply the alias rules once."""
    settings = settings or registry_settings()
    repo = RegistryRepository(db)
    spec = ev.JobSpec.model_validate(job["spec"])
    version, created = repo.register(spec.name, job["_id"], lineage(job, model))
    if version.get("aliases_applied"):
        return version
    current = (repo.model(spec.name) or {}).get("aliases") or {}
    champion = repo.version(spec.name, current["champion"]) if "champion" in current else None
    auto = spec.registry.auto_promote if spec.registry.auto_promote is not None else settings.auto_promote
    aliases, reason = aliases_after_registration(
        current, version["version"], version.get("holdout_score"), (champion or {}).get("holdout_score"),
        bool(version["greater_is_better"]), auto, spec.registry.min_improvement)
    for alias in ALIASES:
        if alias in aliases and aliases[alias] != current.get(alias):
            repo.set_alias(spec.name, alias, aliases[alias], by="registration", reason=reason)
    repo.mark_aliases_applied(job["_id"])
    log.info("registered %s version %d (%s)", spec.name, version["version"], reason, extra={"job_id": job["_id"]})
    return version


def on_winner(db: Database[dict[str, Any]], settings: Settings, job: dict[str, Any], model: dict[str, Any],
              fitted: dict[str, Any] | None = None) -> None:
    """Called by the selector once a job's winner is stored and before it is announced; idempotent, so
    a re-delivered message or a selector restarted after kill -9 runs it again harmlessly. ``fitted``:
    trials the selector has just fitted on the training split, which the comparison need not refit."""
    from zygarde.registry import comparison

    ensure_registry_indexes(db)
    own = registry_settings()
    local = (job.get("spec") or {}).get("engine") != "spark"  # the comparison refits with scikit-learn
    if own.compare_top and local and not (model.get("report") or {}).get("comparison"):
        comparison.add_to_report(db, settings, job, model, own.compare_top, fitted)
    register_winner(db, job, model, own)
