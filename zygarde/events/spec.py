"""The job spec: the body of ``POST /jobs``, carried inside ``JobSubmitted``, ``JobAccepted`` and
``TrialRequested``. Strict where a person writes it: a misspelt field is an error, not a silent default."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Task = Literal["auto", "binary", "multiclass", "regression"]
ResolvedTask = Literal["binary", "multiclass", "regression"]
# A search strategy: a name of the planner's registry (STRATEGIES, services/planner/strategies), carried as a
# string and checked where a job enters (``check_job_details(strategies=...)``); the published schemas list
# the registry's names (``json_schemas(strategies=...)``), so a new strategy is one file and one registry line.
Strategy = str
CvStrategy = Literal["auto", "stratified", "kfold", "timeseries", "group", "repeated_stratified", "repeated_kfold"]
ImbalanceStrategy = Literal["auto", "none", "class_weight", "undersample", "oversample", "smote"]
Engine = Literal["auto", "local", "spark"]
FinalRefit = Literal["all", "train"]
# "paused" (added): a running job that requests no new trials until it is resumed
JobStatus = Literal["queued", "running", "paused", "completed", "failed", "cancelled", "rejected"]


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
    strategy: ImbalanceStrategy = Field("auto", description="for classification: class_weight (balanced "
                                        "weights where the algorithm takes them), or resampling of each "
                                        "training fold (undersample, oversample, smote); auto: class_weight "
                                        "when the metric counts every class equally (balanced_accuracy), "
                                        "else none, written into the accepted spec")


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
    engine: Engine = Field("auto", description="the trainers' engine: local (scikit-learn, LightGBM, CatBoost in one "
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
