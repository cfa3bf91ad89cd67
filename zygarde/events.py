"""Every message Zygarde puts on Kafka: frozen pydantic models sharing one envelope.

Rules (docs/contract.md): JSON, UTF-8; envelope ``type``, ``schema_version``, ``event_id``,
``occurred_at``, ``job_id`` on every message; readers ignore unknown fields; fields are only ever
added, with defaults. ``zygarde schemas`` writes one JSON Schema per message type.
"""

from __future__ import annotations

import functools
import json
import types
import typing
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from zygarde.errors import DecodeError

SCHEMA_VERSION = 1

Task = Literal["auto", "binary", "multiclass", "regression"]
ResolvedTask = Literal["binary", "multiclass", "regression"]
# A search strategy: a name of the planner's registry (STRATEGIES, services/planner/strategies), carried as a
# string and checked where a job enters (``check_job_details(strategies=...)``); the published schemas list
# the registry's names (``json_schemas(strategies=...)``), so a new strategy is one file and one registry line.
Strategy = str
CvStrategy = Literal["auto", "stratified", "kfold", "timeseries", "group", "repeated_stratified", "repeated_kfold"]
ImbalanceStrategy = Literal["none", "class_weight", "undersample", "oversample", "smote"]
Engine = Literal["auto", "local", "spark"]
FinalRefit = Literal["all", "train"]
# "paused" (added): a running job that requests no new trials until it is resumed
JobStatus = Literal["queued", "running", "paused", "completed", "failed", "cancelled", "rejected"]


def now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


# --------------------------------------------------------------------------- the job spec


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatasetSpec(_Spec):
    uri: str = Field(description="file:///abs/path.csv|.parquet inside the data roots, or builtin:NAME")
    target: str = Field(min_length=1, description="the column to predict")
    drop: list[str] = Field(default_factory=list, description="columns never used as features")
    holdout: float = Field(0.2, gt=0.0, le=0.5, description="fraction kept aside to score the winner")


class AlgorithmChoice(_Spec):
    name: str = Field(description="an algorithm of the catalog (zygarde algorithms lists them)")
    space: dict[str, Any] | None = Field(None, description="overrides the algorithm's default space")


class SearchSpec(_Spec):
    strategy: Strategy = Field("auto", description="auto: cost-aware search across algorithms, a learned "
                               "warm-start portfolio first, subsampled rows on large data (docs/contract.md)")
    max_trials: int = Field(20, ge=1, le=10_000, description="most trials the search requests")
    max_parallel: int = Field(4, ge=1, le=1_000, description="most trials in flight at once (shared by "
                              "priority while several jobs run)")
    time_budget_s: float | None = Field(None, gt=0, le=7 * 24 * 3600, description="seconds from the start: "
                                        "no trial requested after them; queued and running ones stop at "
                                        "their next check (null: no time limit)")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="seeds the search, the folds and every "
                      "trial's model")
    patience: int | None = Field(None, ge=1, description="end the search after this many finished trials "
                                 "in a row without a better score")
    cost_budget: float | None = Field(None, gt=0, description="instance-seconds the job's trials may occupy "
                                      "trainers; queued and running trials stop once it is spent")
    defaults_first: bool = Field(True, description="random, tpe and asha first try each algorithm's own default "
                                 "configuration (moved into its space), then search from what they scored")
    trial_timeout_s: float | None = Field(None, gt=0, le=24 * 3600, description="a trial running longer fails")
    trial_memory_mb: int | None = Field(None, ge=64, description="address-space limit of a trial's process")


class CvSpec(_Spec):
    folds: int = Field(5, ge=2, le=20, description="cross-validation folds every trial is scored on")
    strategy: CvStrategy = Field("auto", description="auto: stratified for classification, kfold for "
                                 "regression; timeseries and group need column")
    repeats: int = Field(1, ge=1, le=10, description="times the folds are drawn again (repeated_* strategies)")
    column: str | None = Field(None, description="order column (timeseries) or group column (group)")


class ImbalanceSpec(_Spec):
    strategy: ImbalanceStrategy = Field("none", description="for classification: class_weight (balanced "
                                        "weights where the algorithm takes them), or resampling of each "
                                        "training fold (undersample, oversample, smote)")


class RegistrySpec(_Spec):
    """How the winner enters the model registry under the job's ``name``."""

    auto_promote: bool | None = Field(
        None, description="make the winner champion when it beats the champion on holdout "
        "(null: the ZYGARDE_REGISTRY_AUTO_PROMOTE default)")
    min_improvement: float = Field(0.0, ge=0.0, description="how much better (in the metric's units) it must be")


class JobSpec(_Spec):
    """The body of ``POST /jobs`` and the ``spec`` inside ``JobSubmitted``."""

    name: str = Field("job", min_length=1, max_length=128, description="the job's name, and the model "
                      "registry name its winner is registered under")
    dataset: DatasetSpec = Field(description="where the data is and which column to predict")
    task: Task = Field("auto", description="auto: binary, multiclass or regression decided from the target")
    metric: str = Field("", description="the score every trial is ranked by (zygarde metrics lists them); "
                        "left out, empty or null: the task's usual one, roc_auc (binary), logloss "
                        "(multiclass) or rmse (regression), written into the accepted spec")
    algorithms: list[str | AlgorithmChoice] | None = Field(
        None, description="default: every algorithm of the catalog that fits the task"
    )
    search: SearchSpec = Field(default_factory=SearchSpec, description="the strategy and its budgets")
    cv: CvSpec = Field(default_factory=CvSpec, description="how each trial is cross-validated")
    imbalance: ImbalanceSpec = Field(default_factory=ImbalanceSpec, description="how rare classes are handled")
    registry: RegistrySpec = Field(default_factory=RegistrySpec, description="how the winner enters the "
                                   "model registry")
    priority: int = Field(0, ge=-10, le=10, description="while several jobs run, each keeps a share of the "
                          "trainers weighted 2 ** (priority / 2)")
    engine: Engine = Field("auto", description="the trainers' engine: local (scikit-learn/CatBoost in one "
                           "process) or spark (MLlib); auto decides at validation, see docs/spark.md")
    final_refit: FinalRefit = Field("all", description="what the model the registry serves is fitted on once "
                                    "its holdout score is measured (always on the training part): every row "
                                    "given (all) or the training part only (train)")

    @field_validator("metric", mode="before")
    @classmethod
    def _no_metric_is_the_default(cls, value: Any) -> Any:
        return "" if value is None else value

    def algorithm_names(self) -> list[str]:
        return [a if isinstance(a, str) else a.name for a in self.algorithms or []]


def spec_errors(exc: ValidationError) -> list[str]:
    """Readable reasons from a pydantic error: ``search.max_trials: Input should be ...``."""
    reasons = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        reasons.append(f"{loc or 'spec'}: {err['msg']}")
    return reasons


# --------------------------------------------------------------------------- the envelope


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


# --- trials


class TrialRequested(Event):
    type: Literal["TrialRequested"] = "TrialRequested"
    trial_id: str
    attempt: int = 1
    index: int
    algorithm: str
    params: dict[str, Any]
    spec: JobSpec
    task: ResolvedTask
    seed: int
    # True: the planner judges every fold's score (a pruning strategy such as ASHA), so the trainer
    # publishes TrialProgressed after each fold. False: fold scores are progress only, published at
    # most once a second (a 2-fold trial of 20 ms then sends 3 messages, not 5); heartbeats go on.
    report_folds: bool = True
    rows: int | None = Field(None, ge=1, description="cross-validate only this many rows of the training part: "
                             "a fixed, nested, stratified subsample (a lower fidelity); null: every row")


# --- results


class _TrialEvent(Event):
    trial_id: str
    attempt: int = 1
    worker: str = ""


class TrialStarted(_TrialEvent):
    type: Literal["TrialStarted"] = "TrialStarted"
    algorithm: str = ""


class TrialProgressed(_TrialEvent):
    type: Literal["TrialProgressed"] = "TrialProgressed"
    fold: int
    folds: int
    score_so_far: float | None = None
    heartbeat: bool = Field(False, description="a liveness beat between folds, not a new fold result")


class TrialCompleted(_TrialEvent):
    type: Literal["TrialCompleted"] = "TrialCompleted"
    algorithm: str
    params: dict[str, Any]
    metric: str
    fold_scores: list[float]
    cv_mean: float
    cv_std: float
    fit_seconds: float
    versions: dict[str, str] = Field(default_factory=dict)
    cv_seconds: float = Field(0.0, description="wall time of the whole cross-validation: fits and scoring")
    rows: int | None = Field(None, description="the subsample of the training part the scores are on (a lower "
                             "fidelity: never the job's winner); null: every row")
    oof_uri: str | None = Field(None, description="the trial's out-of-fold predictions (float32 .npy in the "
                                "artifact store, one row per training row in CV order), for ensembles; null "
                                "when none were kept")
    oof_sha256: str | None = Field(None, description="sha256 of the bytes at oof_uri")


class TrialFailed(_TrialEvent):
    type: Literal["TrialFailed"] = "TrialFailed"
    algorithm: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    reason: str
    error: str = ""
    seconds: float = Field(0.0, description="how long the trial occupied its trainer before it failed")


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


AnyEvent = Annotated[
    JobSubmitted
    | JobCancelRequested
    | JobPauseRequested
    | JobResumeRequested
    | RetrainRequested
    | JobAccepted
    | JobRejected
    | JobSearchFinished
    | JobCompleted
    | JobFailed
    | JobCancelled
    | JobPaused
    | JobResumed
    | TrialRequested
    | TrialStarted
    | TrialProgressed
    | TrialCompleted
    | TrialFailed
    | ModelSelected
    | ScalingDecided
    | MessageDeadLettered,
    Field(discriminator="type"),
]

EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        JobSubmitted,
        JobCancelRequested,
        JobPauseRequested,
        JobResumeRequested,
        RetrainRequested,
        JobAccepted,
        JobRejected,
        JobSearchFinished,
        JobCompleted,
        JobFailed,
        JobCancelled,
        JobPaused,
        JobResumed,
        TrialRequested,
        TrialStarted,
        TrialProgressed,
        TrialCompleted,
        TrialFailed,
        ModelSelected,
        ScalingDecided,
        MessageDeadLettered,
    )
}

_adapter: TypeAdapter[Any] = TypeAdapter(AnyEvent)


def known_fields(model: type[BaseModel], data: Any) -> Any:
    """``data`` without the fields ``model`` does not know, at every depth of its job spec parts.

    A job spec is strict where a person writes it (a misspelt field is an error, not a silent
    default), but inside an event it was already accepted by a planner: a field a newer planner added
    must not make an older trainer dead-letter its trials during a rolling upgrade ("readers ignore
    unknown fields"). So ``decode`` drops them before validating, as the envelope's own config does."""
    if not isinstance(data, dict):
        return data
    known, nested = _fields_of(model)
    if not nested and not issubclass(model, _Spec):
        return data  # an envelope without spec parts ignores unknown fields by itself
    return {key: (_known_in(nested[key], value) if key in nested else value)
            for key, value in data.items() if key in known or not issubclass(model, _Spec)}


@functools.cache
def _fields_of(model: type[BaseModel]) -> tuple[frozenset[str], dict[str, Any]]:
    """The keys ``model`` reads (names and aliases), and the annotation of each that holds spec parts."""
    known: set[str] = set()
    nested: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        keys = {name, field.alias or name}
        known |= keys
        if _mentions_spec(field.annotation):
            nested.update(dict.fromkeys(keys, field.annotation))
    return frozenset(known), nested


def _mentions_spec(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, _Spec):
        return True
    return any(_mentions_spec(arg) for arg in typing.get_args(annotation))


def _known_in(annotation: Any, value: Any) -> Any:
    """``known_fields`` for one field's value, following lists and unions to the spec models in it."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _known_in(typing.get_args(annotation)[0], value)
    if isinstance(annotation, type) and issubclass(annotation, _Spec):
        return known_fields(annotation, value)
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(annotation) or (Any,)
        return [_known_in(item, v) for v in value]
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        if isinstance(value, dict):
            specs = [a for a in args if isinstance(a, type) and issubclass(a, _Spec)]
            if len(specs) == 1:
                return known_fields(specs[0], value)
        if isinstance(value, list):
            lists = [a for a in args if typing.get_origin(a) is list]
            if len(lists) == 1:
                return _known_in(lists[0], value)
    return value


def decode(raw: bytes | str) -> Event:
    """Bytes from Kafka to an event; anything else raises ``DecodeError`` with the reason."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, absurd numbers, absurd nesting
        raise DecodeError(f"not JSON: {str(exc)[:200]}") from exc
    if not isinstance(doc, dict):
        raise DecodeError("not a JSON object")
    if doc.get("type") not in EVENT_TYPES:
        raise DecodeError(f"unknown message type {doc.get('type')!r}")
    try:
        event: Event = _adapter.validate_python(known_fields(EVENT_TYPES[doc["type"]], doc))
    except ValidationError as exc:
        raise DecodeError(f"invalid {doc['type']}: " + "; ".join(spec_errors(exc))) from exc
    return event


def json_schemas(strategies: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """One JSON Schema per message type, plus the job spec; ``strategies``: the names a job's
    ``search.strategy`` may take (the planner's registry), listed as the field's ``enum``."""
    schemas = {name: cls.model_json_schema() for name, cls in EVENT_TYPES.items()}
    schemas["JobSpec"] = JobSpec.model_json_schema()
    if strategies:
        for schema in schemas.values():
            search = schema.get("$defs", {}).get("SearchSpec")
            if search is not None:
                search["properties"]["strategy"]["enum"] = list(strategies)
    return schemas
