"""AutoML on a broad public benchmark: Zygarde with its defaults against what a user would run instead.

Per dataset of ``bench.public_data.BENCHMARK``, in one run, one tool after another on the same two
cores, every tool given the same fixed 80 % training part and scored on the same 20 % test part that
none of them saw (by the same scoring code, from each tool's own predictions):

- **Zygarde**: a job with its defaults (catalog, strategy; ``--strategy`` picks another) through a
  real local stack (planner → Kafka → 2 trainers → selector), ``max_trials`` 30, 5-fold CV; the job's
  dataset is the 80 % part, so its own holdout comes out of that; wall time from ``POST /jobs`` until
  the job is completed (winner announced, refitted and stored); the announced artifact is loaded
  (sha256 checked) and scored on the 20 %.
- **RandomizedSearchCV** (``n_iter`` 30, 5-fold, ``n_jobs=2``) over HistGradientBoosting and a linear
  model (logistic regression or ridge behind a scaler, categorical columns one-hot): what a user writes
  in ten lines. The baseline every time is divided by.
- **Optuna TPE**, in-process, 30 trials, the same two families and folds, ``n_jobs=2``.
- **FLAML AutoML** given exactly Zygarde's wall time on that dataset, 5-fold CV, ``n_jobs=2``.
- **AutoGluon-Tabular** (``medium_quality``) given RandomizedSearchCV's wall time, 2 CPUs, in its own
  virtualenv (``make bench-env``).

``python -m bench automl [--quick] [--datasets a,b] [--strategy NAME] [--tools a,b] [--repeats N [--append]]
[--report]``: with ``--repeats`` every tool runs N times on every dataset, round r with its seeds ``SEED + r``,
and the report shows the median round per tool and dataset (``--append`` adds rounds to the last run's).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import _quality as q
from bench import public_data
from bench._report import RESULTS, machine, write_markdown
from bench.public_data import PublicDataset, SplitFiles

ZYGARDE = "Zygarde"
BASELINE = "RandomizedSearchCV"
OPTUNA = "Optuna TPE"
FLAML = "FLAML"
AUTOGLUON = "AutoGluon"
TOOLS = (ZYGARDE, BASELINE, OPTUNA, FLAML, AUTOGLUON)
CONTENDERS = (ZYGARDE, BASELINE, OPTUNA, FLAML)  # AutoGluon is the bar beside them, not a contender
WORKERS = 2
SEED = 1
MAX_TRIALS, FOLDS = 30, 5
QUICK_TRIALS, QUICK_FOLDS = 8, 3
GOAL_REACH = 1 / 3  # Zygarde reaches RandomizedSearchCV's test score within this share of its wall time
GOAL_WALL = 1.5  # ... and never takes more than this times its wall time without a better score
GOAL_NORMALISED = 0.95
AUTOGLUON_PYTHON = Path(__file__).resolve().parent.parent / ".venv-autogluon" / "bin" / "python"


def default_strategy() -> str:
    """``auto`` once the planner's strategy registry has it, else ``tpe``."""
    from services.planner.strategies import STRATEGIES

    return "auto" if "auto" in STRATEGIES else "tpe"


# --- scoring: one function for every tool, from its predictions


@dataclass
class Output:
    """What a tool predicted on the test part: class names with probabilities and labels, or values."""

    classes: list[str] = field(default_factory=list)
    proba: Any = None  # (rows, classes) in ``classes`` order
    labels: list[str] = field(default_factory=list)
    values: Any = None


def output_of(model: Any, X: pd.DataFrame, task: str) -> Output:
    """Predictions of any scikit-learn-style fitted model."""
    if task == "regression":
        return Output(values=np.asarray(model.predict(X), dtype=float))
    return Output(classes=[str(c) for c in model.classes_], proba=np.asarray(model.predict_proba(X)),
                  labels=[str(v) for v in model.predict(X)])


def test_score(metric: str, y_true: Sequence[Any], out: Output) -> float:
    """The metric's natural value: roc_auc of the second class's probability (binary), balanced
    accuracy of the labels, rmse of the values. Labels are compared as text."""
    from sklearn import metrics as skm

    if metric == "rmse":
        return float(skm.root_mean_squared_error(np.asarray(y_true, dtype=float), out.values))
    truth = np.asarray([str(v) for v in y_true])
    if metric == "roc_auc":
        if len(out.classes) != 2:
            raise ValueError(f"roc_auc here is binary; got classes {out.classes}")
        return float(skm.roc_auc_score(truth == out.classes[1], np.asarray(out.proba)[:, 1]))
    if metric == "balanced_accuracy":
        return float(skm.balanced_accuracy_score(truth, np.asarray(out.labels)))
    raise ValueError(f"unsupported metric {metric!r}")


def greater_is_better(metric: str) -> bool:
    return metric != "rmse"


# --- the pure summary: normalisation, ratios, goals


def normalise(scores: Mapping[str, float | None], greater: bool) -> dict[str, float]:
    """0 = the worst tool, 1 = the best, on one dataset; tools without a score are left out; all equal → 1."""
    present = {k: v for k, v in scores.items() if v is not None and math.isfinite(v)}
    if not present:
        return {}
    best = max(present.values()) if greater else min(present.values())
    worst = min(present.values()) if greater else max(present.values())
    if best == worst:
        return dict.fromkeys(present, 1.0)
    return {k: (v - worst) / (best - worst) for k, v in present.items()}


@dataclass
class ToolRun:
    """One tool on one dataset: the test score (natural units), wall time, and what it did."""

    dataset: str
    tool: str
    score: float | None
    wall_s: float
    budget_s: float | None = None  # what the tool was given (FLAML, AutoGluon)
    detail: str = ""
    error: str = ""
    # Zygarde: (seconds since submit, test score of the best-so-far configuration refitted on the 80 %)
    curve: list[tuple[float, float]] = field(default_factory=list)
    repeat: int = 0  # the round of ``--repeats`` (its seeds are ``SEED + repeat``)


@dataclass
class DatasetSummary:
    dataset: str
    metric: str
    normalised: dict[str, float]  # among all tools that scored
    normalised_contenders: dict[str, float]  # among Zygarde, RandomizedSearchCV, Optuna, FLAML
    wall_ratio: dict[str, float]  # wall time ÷ RandomizedSearchCV's
    reach_ratio: float | None  # Zygarde's time to RandomizedSearchCV's test score ÷ its wall time
    zygarde_beats_baseline: bool | None


def summarise_dataset(data: PublicDataset, runs: Mapping[str, ToolRun]) -> DatasetSummary:
    greater = greater_is_better(data.metric)
    scores = {t: r.score for t, r in runs.items()}
    base = runs.get(BASELINE)
    zyg = runs.get(ZYGARDE)
    ratios: dict[str, float] = {}
    if base is not None and base.wall_s > 0:
        ratios = {t: r.wall_s / base.wall_s for t, r in runs.items() if r.score is not None}
    reach = None
    beats = None
    if base is not None and base.score is not None and zyg is not None and zyg.score is not None:
        t = q.time_to_reach(zyg.curve, base.score, greater)
        reach = None if t is None else t / base.wall_s
        # the same model found by both (a float's last bit apart) is a tie, not a better score
        beats = q.better(zyg.score, base.score, greater) and not math.isclose(zyg.score, base.score, rel_tol=1e-9)
    return DatasetSummary(data.name, data.metric, normalise(scores, greater),
                          normalise({t: s for t, s in scores.items() if t in CONTENDERS}, greater), ratios,
                          reach, beats)


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def goals(summaries: Sequence[DatasetSummary]) -> list[list[str]]:
    """Issue 19's acceptance figures: ``[figure, measured, goal, met]``."""
    z_norm = [s.normalised_contenders[ZYGARDE] for s in summaries if ZYGARDE in s.normalised_contenders]
    worst = min(z_norm) if z_norm else None
    med = _median(z_norm)
    wins = sum(1 for v in z_norm if v >= 1.0)
    reach = q.median_time([s.reach_ratio for s in summaries]) if summaries else None
    slow = [s.dataset for s in summaries
            if s.wall_ratio.get(ZYGARDE, 0.0) > GOAL_WALL and not s.zygarde_beats_baseline]
    out = [
        ["Zygarde's normalised test score among Zygarde, RandomizedSearchCV, Optuna and FLAML, worst dataset",
         _fmt(worst), f"≥ {GOAL_NORMALISED} on every dataset", _met(worst is not None and worst >= GOAL_NORMALISED)],
        ["... median over datasets (1 = the best of the four; best on " + f"{wins} of {len(z_norm)})",
         _fmt(med), "1.00 (best on the median dataset)", _met(med is not None and med >= 1.0)],
        ["time for Zygarde's best-so-far model to reach RandomizedSearchCV's test score ÷ RandomizedSearchCV's "
         "wall time, median dataset", "not reached" if reach is None else f"{reach:.2f}", f"≤ {GOAL_REACH:.2f}",
         _met(reach is not None and reach <= GOAL_REACH)],
        [f"datasets where Zygarde took > {GOAL_WALL}× RandomizedSearchCV's wall time without a better score",
         ", ".join(slow) or "none", "none", _met(not slow and bool(summaries))],
    ]
    return out


def _fmt(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def table_rows(datasets: Sequence[PublicDataset], runs: Mapping[tuple[str, str], ToolRun],
               summaries: Mapping[str, DatasetSummary]) -> list[list[str]]:
    """One row per dataset and tool: score, wall time, normalised score, ÷ RS wall time, notes."""
    rows = []
    for data in datasets:
        s = summaries.get(data.name)
        for tool in TOOLS:
            r = runs.get((data.name, tool))
            base = runs.get((data.name, BASELINE))
            if r is None:
                continue
            score = "failed" if r.score is None else f"{r.score:.4f}" if data.metric != "rmse" else f"{r.score:.3f}"
            norm = "-" if s is None or tool not in s.normalised else f"{s.normalised[tool] + 0.0:.2f}"
            ratio = "-" if s is None or tool not in s.wall_ratio else f"{s.wall_ratio[tool]:.2f}"
            note = r.error[:120] if r.error else r.detail
            if r.budget_s is not None:
                note = f"budget {r.budget_s:.0f} s; {note}"
            rows.append([f"{data.name} ({data.metric})", tool, score, f"{r.wall_s:.1f}", norm, ratio,
                         _versus(data.metric, r.score, base.score if base else None), note])
    return rows


def _versus(metric: str, score: float | None, base: float | None) -> str:
    """The score's difference from RandomizedSearchCV's, signed so positive is better (rmse: in %)."""
    if score is None or base is None:
        return "-"
    if metric == "rmse":
        return f"{(base - score) / base * 100 + 0.0:+.2f} %"
    return f"{score - base + 0.0:+.4f}"


def median_rows(summaries: Sequence[DatasetSummary]) -> list[list[str]]:
    """Per tool: median normalised score and median wall-time ratio over datasets, and wins."""
    rows = []
    for tool in TOOLS:
        norms = [s.normalised[tool] for s in summaries if tool in s.normalised]
        ratios = [s.wall_ratio[tool] for s in summaries if tool in s.wall_ratio]
        wins = sum(1 for v in norms if v >= 1.0)
        rows.append([tool, _fmt(_median(norms)), _fmt(_median(ratios)), f"{wins} of {len(norms)}",
                     f"{sum(1 for v in norms if v >= GOAL_NORMALISED)} of {len(norms)}"])
    return rows


# --- the tools


@dataclass
class Problem:
    data: PublicDataset
    files: SplitFiles
    train: pd.DataFrame  # both read back from the CSV files, as every tool sees them
    test: pd.DataFrame

    @property
    def X(self) -> pd.DataFrame:
        return self.train.drop(columns=[self.data.target])

    @property
    def y(self) -> pd.Series:
        return self.train[self.data.target]

    @property
    def X_test(self) -> pd.DataFrame:
        return self.test.drop(columns=[self.data.target])

    @property
    def y_test(self) -> pd.Series:
        return self.test[self.data.target]

    def score(self, out: Output) -> float:
        return test_score(self.data.metric, list(self.y_test), out)


def problem_of(data: PublicDataset, root: Path | None = None) -> Problem:
    files = public_data.write_split(data, root)
    return Problem(data, files, pd.read_csv(files.train), pd.read_csv(files.test))


@dataclass(frozen=True)
class Config:
    trials: int = MAX_TRIALS
    folds: int = FOLDS
    strategy: str = "tpe"
    seed: int = SEED  # every tool's seed (a round of ``--repeats`` adds its number)


def _folds(problem: Problem, config: Config) -> Any:
    from sklearn.model_selection import KFold, StratifiedKFold

    cls = KFold if problem.data.task == "regression" else StratifiedKFold
    return cls(n_splits=config.folds, shuffle=True, random_state=config.seed)


def _sklearn_scoring(metric: str) -> str:
    return {"roc_auc": "roc_auc", "balanced_accuracy": "balanced_accuracy",
            "rmse": "neg_root_mean_squared_error"}[metric]


def user_pipelines(problem: Problem, seed: int = SEED) -> dict[str, Any]:
    """The two model families a user would write: gradient boosting on ordinal-coded categories, and a
    linear model on scaled numbers and one-hot categories (missing values imputed for it)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    X = problem.X
    cat = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    num = [c for c in X.columns if c not in cat]
    regression = problem.data.task == "regression"
    trees = ColumnTransformer([("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                                      encoded_missing_value=-1), cat), ("num", "passthrough", num)])
    hgb_cls = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
    hgb = hgb_cls(categorical_features=list(range(len(cat))) or None, random_state=seed)
    linear = ColumnTransformer([
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), cat),
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), num)])
    lin = Ridge() if regression else LogisticRegression(max_iter=2000)
    return {"hgb": Pipeline([("prep", trees), ("model", hgb)]), "linear": Pipeline([("prep", linear), ("model", lin)])}


def user_space(problem: Problem, seed: int = SEED) -> list[dict[str, Any]]:
    """``param_distributions``: one dict per family (RandomizedSearchCV picks a dict uniformly)."""
    from scipy import stats

    pipes = user_pipelines(problem, seed)
    linear_param = "model__alpha" if problem.data.task == "regression" else "model__C"
    return [
        {"prep": [pipes["hgb"].named_steps["prep"]], "model": [pipes["hgb"].named_steps["model"]],
         "model__learning_rate": stats.loguniform(0.01, 0.3), "model__max_leaf_nodes": stats.randint(8, 128),
         "model__min_samples_leaf": stats.randint(5, 100), "model__l2_regularization": stats.loguniform(1e-6, 10)},
        {"prep": [pipes["linear"].named_steps["prep"]], "model": [pipes["linear"].named_steps["model"]],
         linear_param: stats.loguniform(1e-3, 1e3)},
    ]


def _timed(fn: Callable[[], tuple[Output, str]], problem: Problem, tool: str) -> ToolRun:
    t0 = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, detail = fn()
    wall = time.time() - t0
    return ToolRun(problem.data.name, tool, problem.score(out), wall, detail=detail)


def run_randomized(problem: Problem, config: Config) -> ToolRun:
    from sklearn.model_selection import RandomizedSearchCV

    def fit() -> tuple[Output, str]:
        search = RandomizedSearchCV(user_pipelines(problem, config.seed)["hgb"], user_space(problem, config.seed),
                                    n_iter=config.trials,
                                    cv=_folds(problem, config), scoring=_sklearn_scoring(problem.data.metric),
                                    n_jobs=WORKERS, random_state=config.seed, error_score=np.nan)
        search.fit(problem.X, problem.y)
        family = type(search.best_estimator_.named_steps["model"]).__name__
        return output_of(search.best_estimator_, problem.X_test, problem.data.task), f"winner {family}"

    return _timed(fit, problem, BASELINE)


def run_optuna(problem: Problem, config: Config) -> ToolRun:
    import optuna
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score
    from threadpoolctl import threadpool_limits

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    regression = problem.data.task == "regression"

    def build(trial: optuna.trial.BaseTrial) -> Any:
        pipes = user_pipelines(problem, config.seed)
        if trial.suggest_categorical("family", ["hgb", "linear"]) == "hgb":
            return clone(pipes["hgb"]).set_params(
                model__learning_rate=trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
                model__max_leaf_nodes=trial.suggest_int("max_leaf_nodes", 8, 128),
                model__min_samples_leaf=trial.suggest_int("min_samples_leaf", 5, 100),
                model__l2_regularization=trial.suggest_float("l2_regularization", 1e-6, 10, log=True))
        value = trial.suggest_float("alpha" if regression else "C", 1e-3, 1e3, log=True)
        return clone(pipes["linear"]).set_params(**{"model__alpha" if regression else "model__C": value})

    def objective(trial: optuna.Trial) -> float:
        with threadpool_limits(limits=1):  # one thread per trial, two trials at a time
            return float(np.mean(cross_val_score(build(trial), problem.X, problem.y, cv=_folds(problem, config),
                                                 scoring=_sklearn_scoring(problem.data.metric))))

    def fit() -> tuple[Output, str]:
        sampler = optuna.samplers.TPESampler(seed=config.seed, multivariate=True, group=True, constant_liar=True)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(objective, n_trials=config.trials, n_jobs=WORKERS, catch=(Exception,))
        model = build(optuna.trial.FixedTrial(study.best_params)).fit(problem.X, problem.y)
        return output_of(model, problem.X_test, problem.data.task), f"winner {study.best_params['family']}"

    return _timed(fit, problem, OPTUNA)


def _flaml_balanced_accuracy(X_val: Any, y_val: Any, estimator: Any, labels: Any, X_train: Any, y_train: Any,
                             *args: Any, **kwargs: Any) -> tuple[float, dict[str, float]]:
    from sklearn.metrics import balanced_accuracy_score

    score = float(balanced_accuracy_score(y_val, estimator.predict(X_val)))
    return 1.0 - score, {"balanced_accuracy": score}


def run_flaml(problem: Problem, config: Config, budget_s: float) -> ToolRun:
    from flaml.automl import AutoML

    def fit() -> tuple[Output, str]:
        automl = AutoML()  # type: ignore[no-untyped-call]  # flaml leaves AutoML.__init__ unannotated
        metric: Any = {"roc_auc": "roc_auc", "rmse": "rmse"}.get(problem.data.metric, _flaml_balanced_accuracy)
        automl.fit(problem.X, problem.y, task="regression" if problem.data.task == "regression" else "classification",
                   metric=metric, time_budget=budget_s, eval_method="cv", n_splits=config.folds, n_jobs=WORKERS,
                   seed=config.seed, verbose=0)
        return output_of(automl, problem.X_test, problem.data.task), f"winner {automl.best_estimator}"

    run = _timed(fit, problem, FLAML)
    run.budget_s = budget_s
    return run


def run_autogluon(problem: Problem, budget_s: float, workdir: Path) -> ToolRun:
    if not AUTOGLUON_PYTHON.exists():
        raise RuntimeError(f"{AUTOGLUON_PYTHON} missing: run `make bench-env`")
    problem_type = {"binary": "binary", "multiclass": "multiclass", "regression": "regression"}[problem.data.task]
    eval_metric = {"roc_auc": "roc_auc", "balanced_accuracy": "balanced_accuracy",
                   "rmse": "root_mean_squared_error"}[problem.data.metric]
    folder = Path(tempfile.mkdtemp(prefix=f"ag-{problem.data.name}-", dir=workdir))
    request = {"train": str(problem.files.train), "test": str(problem.files.test), "target": problem.data.target,
               "problem_type": problem_type, "eval_metric": eval_metric, "time_limit": budget_s,
               "presets": "medium_quality", "cpus": WORKERS, "workdir": str(folder / "model"),
               "out": str(folder / "answer.json")}
    (folder / "request.json").write_text(json.dumps(request))
    script = Path(__file__).with_name("_autogluon_fit.py")
    proc = subprocess.run([str(AUTOGLUON_PYTHON), "-I", str(script), str(folder / "request.json")], capture_output=True,
                          text=True, timeout=budget_s * 3 + 300, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"AutoGluon exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    answer = json.loads((folder / "answer.json").read_text())
    out = Output(values=np.asarray(answer["values"])) if "values" in answer else \
        Output(classes=answer["classes"], proba=np.asarray(answer["proba"]), labels=answer["labels"])
    return ToolRun(problem.data.name, AUTOGLUON, problem.score(out), float(answer["wall_s"]), budget_s=budget_s,
                   detail=f"winner {answer['best_model']} of {answer['models']} models")


def zygarde_spec(problem: Problem, config: Config) -> dict[str, Any]:
    return {"name": f"automl-{problem.data.name}", "task": problem.data.task, "metric": problem.data.metric,
            "dataset": {"uri": problem.files.train_uri, "target": problem.data.target},
            "cv": {"folds": config.folds},
            "search": {"strategy": config.strategy, "max_trials": config.trials, "max_parallel": WORKERS,
                       "seed": config.seed}}


def run_zygarde(stack: Any, problem: Problem, config: Config) -> ToolRun:
    """One job with the defaults through the stack; the announced artifact (sha256 checked) scored on the
    test part; the best-so-far configurations refitted afterwards (untimed) for the time-to-score curve."""
    from zygarde import events as ev

    spec = zygarde_spec(problem, config)
    t0 = time.time()
    job_id = stack.submit(spec)
    job, restarts = _wait(stack, job_id, timeout=3600)
    done_at = time.time()
    if job["status"] != "completed":
        raise RuntimeError(f"job {job_id} ended {job['status']}; logs in {stack.logs}")
    model_doc = stack.db.models.find_one({"_id": job_id})
    if model_doc is None:
        raise RuntimeError(f"job {job_id} completed without a model")
    wall = max(job["finished_at"].timestamp(), done_at - 0.1) - t0
    model = final_model(stack.settings.artifact_root, model_doc)
    score = problem.score(output_of(model, problem.X_test, problem.data.task))
    every = list(stack.db.results.find({"job_id": job_id}))
    results = [r for r in every if r.get("status") == "completed"]
    stopped = sum(1 for r in every if r.get("status") == "failed" and r.get("reason") == "pruned")
    failed = sum(1 for r in every if r.get("status") == "failed") - stopped
    full = [r for r in results if r.get("rows") is None]  # a subsample's score is never ranked with these
    greater = greater_is_better(problem.data.metric)
    best = q.best_configs([(r["stored_at"].timestamp() - t0, float(r["cv_mean"]),
                            q.config_key(r["algorithm"], r["params"])) for r in full], greater)
    job_spec = ev.JobSpec.model_validate(spec)
    curve = [(t, _refit_score(problem, job_spec, key)) for t, _, key in best]
    algos: dict[str, int] = {}
    for r in results:
        algos[r["algorithm"]] = algos.get(r["algorithm"], 0) + 1
    kind = model_doc.get("kind")
    winner = f"{kind} of {len(model_doc.get('members') or [])}" if kind and kind != "single" else \
        model_doc.get("algorithm", "?")
    detail = (f"winner {winner}; {len(results)} trials completed: "
              + ", ".join(f"{n} {a}" for a, n in sorted(algos.items(), key=lambda kv: -kv[1])))
    if stopped or failed:
        from services.planner.strategies._pruning import PRUNE_AT

        detail += f" ({stopped} more stopped after {PRUNE_AT} folds, {failed} failed)"
    if restarts:
        detail += f"; services restarted: {', '.join(restarts)}"
    return ToolRun(problem.data.name, ZYGARDE, score, wall, detail=detail, curve=curve)


def final_model(artifact_root: str, model_doc: Mapping[str, Any]) -> Any:
    """What the user gets: the final refit (``final_refit: all``, every row the job was given) when the job
    made one, else the artifact measured on the holdout; loaded only after its sha256 matched."""
    from zygarde.registry import artifacts

    if model_doc.get("final_artifact_uri"):
        return artifacts.load(artifact_root, model_doc["final_artifact_uri"], model_doc.get("final_sha256"))
    return artifacts.load(artifact_root, model_doc["artifact_uri"], model_doc["sha256"])


MAX_RESTARTS = 2


def _wait(stack: Any, job_id: str, timeout: float) -> tuple[dict[str, Any], list[str]]:
    """Until the job ends. A service that exits (they exit to be restarted when they cannot go on) is started
    again, as a supervisor would, at most ``MAX_RESTARTS`` times; then the job counts as failed with the reason
    from the service's log."""
    deadline = time.monotonic() + timeout
    restarts: list[str] = []
    while time.monotonic() < deadline:
        job = stack.db.jobs.find_one({"_id": job_id}, {"status": 1, "finished_at": 1})
        if job is not None and job["status"] in ("completed", "failed", "cancelled", "rejected"):
            return dict(job), restarts
        for proc in list(stack.procs):
            if proc.poll() is None:
                continue
            service = str(proc.args[-1])
            reason = _last_error(stack.logs, service)
            if len(restarts) >= MAX_RESTARTS:
                raise RuntimeError(f"{service} exited {len(restarts) + 1} times; last: {reason}")
            restarts.append(f"{service} ({reason[:160]})")
            stack.procs.remove(proc)
            extra = {"ZYGARDE_TRAINER_METRICS_PORT": "0", "ZYGARDE_TRAINER_WORKER_ID": f"bench-r{len(restarts)}"} \
                if service == "trainer" else {}
            stack.start(service, **extra)
        time.sleep(0.1)
    raise TimeoutError(f"job {job_id} not finished in {timeout:.0f} s")


def _last_error(logs: Path, service: str) -> str:
    """The last error a service logged (its JSON lines: ``msg`` and the exception's last line)."""
    for path in sorted(logs.glob(f"{service}-*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
        for line in reversed(path.read_text(errors="replace").splitlines()):
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if doc.get("level") in ("ERROR", "CRITICAL"):
                exc = str(doc.get("exc", "")).strip().splitlines()
                return f"{doc.get('msg', '')}: {exc[-1] if exc else ''}"
    return "no error logged"


def _refit_score(problem: Problem, spec: Any, key: str) -> float:
    from threadpoolctl import threadpool_limits

    from zygarde.ml import cv

    algorithm, params = q.config_of(key)
    with threadpool_limits(limits=WORKERS), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cv.fit_final(spec, problem.data.task, algorithm, params, problem.train, spec.search.seed)
    return problem.score(output_of(model, problem.X_test, problem.data.task))


# --- the run


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _commit() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "zygarde", "services", "bench"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes under zygarde/, services/ or bench/)" if dirty else "")


def _warm_up(problem: Problem, config: Config) -> None:
    """Start the loky workers and import the libraries, untimed (the stack's services are warm too)."""
    import flaml  # noqa: F401

    run_randomized(problem, Config(trials=2, folds=2, strategy=config.strategy))


def measure(datasets: Sequence[PublicDataset], config: Config, tools: Sequence[str],
            command: str = "python -m bench automl", by_size: bool = True, rounds: Sequence[int] = (0,),
            before: Mapping[str, Any] | None = None, kept: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every tool on every dataset, once per round of ``rounds`` (seeds ``SEED + round``); ``before``: an
    earlier run's raw figures (``--append``) whose runs and rounds are kept ahead of these; ``kept``: other
    datasets' runs from an earlier run (``--replace``, :func:`kept_from`), merged in that run's dataset order."""
    from bench._stack import bench_stack

    started = time.time()
    meta: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)),
                            "commit": _commit(), "strategy": config.strategy, "trials": config.trials,
                            "folds": config.folds, "command": command,
                            "load_before": _load(), "load_during": [], "machine": machine(), "tools": list(tools),
                            "rounds": list(rounds_of(before)) if before else []}
    runs = [tool_run(doc) for doc in (before or {}).get("runs", [])]
    if kept:
        meta["kept"] = {k: v for k, v in kept.items() if k != "runs"}
    problems = [problem_of(d) for d in datasets]
    if by_size:  # smallest first: a run cut short (results are saved after every dataset) still covers most
        problems.sort(key=lambda p: len(p.train))
    with tempfile.TemporaryDirectory() as tmp, bench_stack(trainers=2) as stack:
        _warm_up(problems[0], config)
        warm = zygarde_spec(problems[0], config) | {"algorithms": ["noop"]}
        warm["search"] = {"strategy": "random", "max_trials": 2, "max_parallel": 2}
        stack.wait(stack.submit(warm), timeout=300)
        for repeat in rounds:
            config = replace(config, seed=SEED + repeat)
            meta["rounds"].append({"repeat": repeat, "seed": config.seed, "commit": meta["commit"],
                                   "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                                   "load_before": _load()[0]})
            round_started, loads_before = time.time(), len(meta["load_during"])
            for problem in problems:
                _measure_dataset(stack, problem, config, tools, Path(tmp), repeat, runs, meta)
                meta["rounds"][-1].update(elapsed_s=time.time() - round_started,
                                          load_max=max(meta["load_during"][loads_before:]))
                _save(meta | {"elapsed_s": time.time() - started, "partial": True}, runs)
    meta["load_after"] = _load()
    meta["elapsed_s"] = time.time() - started
    return {**meta, "runs": merged(kept["runs"], runs, kept["order"]) if kept else [asdict(r) for r in runs]}


def kept_from(earlier: Mapping[str, Any], rerun: set[str]) -> dict[str, Any]:
    """What ``--replace`` keeps of an earlier run: the runs of every dataset not in ``rerun``, that run's
    dataset order, and where they came from (its start, commit and rounds, or its own ``kept`` note)."""
    docs = list(earlier.get("runs", []))
    order = list(dict.fromkeys(str(d["dataset"]) for d in docs))
    datasets = [n for n in order if n not in rerun]
    previous = earlier.get("kept")
    source: dict[str, Any] = dict(previous) if previous and set(datasets) <= set(previous["datasets"]) else {
        "started": earlier.get("started", "?"), "commit": earlier.get("commit", "?"), "rounds": rounds_of(earlier)}
    return {**source, "datasets": datasets, "order": order, "runs": [d for d in docs if d["dataset"] not in rerun]}


def merged(kept: Sequence[Mapping[str, Any]], new: Sequence[ToolRun], order: Sequence[str]) -> list[dict[str, Any]]:
    """Kept runs and new ones, by dataset in the earlier run's order (new datasets last), then round, then tool."""
    rank = {name: i for i, name in enumerate(order)}
    docs = [dict(d) for d in kept] + [asdict(r) for r in new]
    return sorted(docs, key=lambda d: (rank.get(d["dataset"], len(rank)), d.get("repeat", 0), TOOLS.index(d["tool"])))


def rounds_of(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rounds an earlier run recorded; a run from before ``--repeats`` was one round, seed ``SEED``."""
    if raw.get("rounds"):
        return [dict(r) for r in raw["rounds"]]
    return [{"repeat": 0, "seed": SEED, "commit": raw.get("commit", "?"), "started": raw.get("started", "?"),
             "load_before": (raw.get("load_before") or [math.nan])[0], "elapsed_s": raw.get("elapsed_s", 0.0),
             "load_max": max(raw.get("load_during") or [math.nan])}]


def _measure_dataset(stack: Any, problem: Problem, config: Config, tools: Sequence[str], tmp: Path, repeat: int,
                     runs: list[ToolRun], meta: dict[str, Any]) -> None:
    """Every tool of ``tools`` on one dataset, in ``TOOLS`` order (FLAML and AutoGluon need the budgets
    the tools before them set); each run appended to ``runs``."""
    done: dict[str, ToolRun] = {}
    for tool in TOOLS:
        if tool not in tools:
            continue
        meta["load_during"].append(_load()[0])
        base = done.get(BASELINE)
        zyg = done.get(ZYGARDE)
        try:
            if tool == BASELINE:
                run = run_randomized(problem, config)
            elif tool == ZYGARDE:
                run = run_zygarde(stack, problem, config)
            elif tool == OPTUNA:
                run = run_optuna(problem, config)
            elif tool == FLAML:
                if zyg is None or zyg.score is None:
                    raise RuntimeError("no Zygarde wall time to give FLAML")
                run = run_flaml(problem, config, zyg.wall_s)
            else:
                if base is None:
                    raise RuntimeError("no RandomizedSearchCV wall time to give AutoGluon")
                run = run_autogluon(problem, base.wall_s, tmp)
        except Exception as exc:  # noqa: BLE001 - one tool failing must not lose the others' results
            run = ToolRun(problem.data.name, tool, None, 0.0, error=f"{type(exc).__name__}: {exc}")
        run.repeat = repeat
        done[tool] = run
        runs.append(run)
        print(f"  {problem.data.name:18s} {tool:18s} score {_fmt(run.score, 4):>9s}  wall {run.wall_s:7.1f} s  "
              f"{run.error or run.detail}", flush=True)


def _save(meta: Mapping[str, Any], runs: Sequence[ToolRun]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "automl.json").write_text(json.dumps({**meta, "runs": [asdict(r) for r in runs]}, indent=1) + "\n")


def load_raw(path: Path) -> tuple[dict[str, Any], dict[tuple[str, str], list[ToolRun]]]:
    """The run's meta and every tool's runs per (dataset, tool), one a round."""
    raw = json.loads(path.read_text())
    runs: dict[tuple[str, str], list[ToolRun]] = {}
    for doc in raw.pop("runs"):
        run = tool_run(doc)
        runs.setdefault((run.dataset, run.tool), []).append(run)
    return raw, runs


def tool_run(doc: Mapping[str, Any]) -> ToolRun:
    """A run as ``automl.json`` keeps it (its curve's points are JSON lists)."""
    return ToolRun(**{**doc, "curve": [tuple(p) for p in doc.get("curve", [])]})


def median_run(runs: Sequence[ToolRun], greater: bool) -> ToolRun:
    """One tool's rounds on one dataset as one: the round whose score is the median (the lower-ranked of the
    middle two for an even count; a failed round ranks last), with the median wall time of the rounds and
    the range of their scores in its notes. One round is itself."""
    if len(runs) == 1:
        return runs[0]
    scored = sorted([r for r in runs if r.score is not None], key=lambda r: float(r.score or 0.0), reverse=greater)
    ranked = scored + [r for r in runs if r.score is None]
    chosen = ranked[(len(ranked) - 1) // 2] if len(ranked) % 2 else ranked[len(ranked) // 2]
    values = [float(r.score) for r in scored if r.score is not None]
    digits = 4 if greater else 3
    spread = (f"median of {len(runs)} rounds, scores {min(values):.{digits}f}-{max(values):.{digits}f}" if values
              else f"{len(runs)} rounds, none scored")
    if len(values) < len(runs):
        spread += f", {len(runs) - len(values)} failed"
    return replace(chosen, wall_s=float(statistics.median(r.wall_s for r in runs)),
                   detail=f"{spread}; its run: {chosen.detail}" if chosen.detail else spread)


def medians(runs: Mapping[tuple[str, str], Sequence[ToolRun]]) -> dict[tuple[str, str], ToolRun]:
    return {key: median_run(rs, greater_is_better(public_data.get(key[0]).metric)) for key, rs in runs.items()}


# --- the report


# Written after reading the results of the run in bench/results (re-read them after a new run).
NOTES: list[str] = [
    "## What the run says (all eleven datasets, three rounds, 2026-12-07 23:42 to 2026-12-08 01:42 UTC, "
    "code at 8e2fcce)",
    "",
    "- **Why this run:** the same code as the run before (a312b9c's search; 8e2fcce only rewrote the page), run again "
    "with the machine kept quiet. The run before had met every figure, but its worst dataset sat at the goal line "
    "(health_insurance 0.95) and its round 0 shared the machine with niced tests. Every dataset was rerun; no row is "
    "kept from an earlier run.",
    "- **Machine:** nothing but the bench and its stack ran (no tests, no builds). Load before the rounds 1.56, 1.79, "
    "1.97; at most 2.78, 2.30, 2.54 at a tool's start: that is the bench's own two workers plus its broker, store "
    "and services.",
    "- **On the medians:** Zygarde is the best of the four on 10 of 11 datasets, median 1.00 (met); worst dataset "
    "1.00 (met). The one dataset where it is not the best is digits: FLAML's median balanced accuracy is higher by "
    "0.000004 (0.986111 vs 0.986107), which the page shows as 1.00. Health_insurance: Zygarde 0.8882 "
    "(0.8869-0.8884) against FLAML's 0.8874, RandomizedSearchCV's and Optuna's 0.8867; in the run before 0.8879 "
    "against Optuna's 0.8879 (0.95).",
    "- Zygarde's medians against the run before (same code): oj 0.8989 -> 0.8984, hdma 0.8138 -> 0.8138, wage "
    "29.31 -> 29.31, benefits 0.6748 -> 0.6748, caravan 0.7899 -> 0.7880, computers 140.95 -> 141.06, "
    "verbal_aggression 0.6359 -> 0.6383, bikeshare 27.01 -> 27.28, default 0.9462 -> 0.9462, health_insurance "
    "0.8879 -> 0.8882, digits 0.9888 -> 0.9861. The other tools' medians moved too (health_insurance: Optuna 0.8879 -> "
    "0.8867), which is what decides the normalised score on a dataset where all four lie within 0.0015.",
    "- **Round by round** (table above) still no single round has Zygarde ≥ 0.95 everywhere: round 0 misses on oj "
    "(0.18: 0.8970 vs FLAML's 0.9021) and hdma (0.74: 0.7963 vs Optuna's 0.8047); round 1 on wage (0.93) and "
    "default (0.79: 0.9455 vs 0.9462); round 2 on health_insurance (0.66: 0.8869 vs FLAML's 0.8874). Each dataset "
    "misses in at most one round of three. One tool beats Zygarde in two rounds of three on one dataset: FLAML on "
    "wage, by 0.035 rmse in round 1 (0.93) and by 0.005 in round 2 (still ≥ 0.95); Zygarde's round 0 (29.17) "
    "gives it the better median.",
    "- **Wall time:** median 1.32x RandomizedSearchCV's (1.59x in the run before, whose round 0 was not quiet); "
    "no dataset above 1.5x without a better score (met). Above 1.5x, all with a better score than "
    "RandomizedSearchCV's: health_insurance 4.05x (123 s), bikeshare 2.78x, digits 2.57x, verbal_aggression 2.32x, "
    "computers 1.85x.",
    "- **Time to RandomizedSearchCV's test score:** median 0.13 of its wall time (met; 0.14 in the run before).",
    "- AutoGluon (a stacked ensemble, given RandomizedSearchCV's time) remains the bar to reach next: best of all "
    "five on oj, digits, health_insurance and computers (140.82 vs Zygarde's 141.06).",
]


def kept_note(meta: Mapping[str, Any]) -> str:
    """For a ``--replace`` run: which datasets' rows come from the earlier run, and from which code."""
    kept = meta.get("kept")
    if not kept:
        return ""
    rounds = "; ".join(f"{r['repeat']}: {r.get('started', '?')}, code at {r.get('commit', '?')}"
                       for r in kept.get("rounds", []))
    return (f"**Rows of {', '.join(kept['datasets'])} are kept from an earlier run** (started {kept['started']}, code "
            f"at {kept['commit']}; rounds {rounds}): this run (`--replace`) measured only the other datasets, after a "
            "change that could not touch the kept ones; every tool on a dataset still ran in the same round. ")


def round_rows(datasets: Sequence[PublicDataset], grouped: Mapping[tuple[str, str], Sequence[ToolRun]],
               rounds: Sequence[int]) -> list[list[str]]:
    """Per dataset, Zygarde's normalised score among the four contenders in each round, then a last row:
    in how many rounds it was ≥ ``GOAL_NORMALISED`` on every dataset."""
    rows, every = [], dict.fromkeys(rounds, True)
    for data in datasets:
        cells = []
        for r in rounds:
            same = {t: run for (d, t), rs in grouped.items() if d == data.name for run in rs if run.repeat == r}
            norm = summarise_dataset(data, same).normalised_contenders.get(ZYGARDE)
            every[r] = every[r] and norm is not None and norm >= GOAL_NORMALISED
            cells.append(_fmt(norm))
        rows.append([data.name, *cells])
    rows.append([f"≥ {GOAL_NORMALISED} on every dataset", *(_met(every[r]) for r in rounds)])
    return rows


def report(meta: Mapping[str, Any], grouped: Mapping[tuple[str, str], Sequence[ToolRun]]) -> list[list[str]]:
    runs = medians(grouped)
    names = list(dict.fromkeys(d for d, _ in runs))
    datasets = [public_data.get(n) for n in names]
    summaries = {d.name: summarise_dataset(d, {t: r for (dn, t), r in runs.items() if dn == d.name})
                 for d in datasets}
    ordered = [summaries[d.name] for d in datasets]
    gl = goals(ordered)
    rounds = rounds_of(meta)
    numbers = sorted({r.repeat for rs in grouped.values() for r in rs})
    load_during = [*(meta.get("load_during") or [math.nan]), *(r.get("load_max", math.nan) for r in rounds)]
    over_cores = max([*meta.get("load_before", [0])[:1], *load_during, *meta.get("load_after", [0])[:1]]) > 2.5
    by_round = [] if len(numbers) < 2 else [
        "## Zygarde's normalised score among the four, round by round", "",
        f"Each tool ran {len(numbers)} times on each dataset, round r with every tool's seed {SEED} + r (Zygarde's "
        "search seed, so its holdout and folds too; RandomizedSearchCV's, Optuna's and FLAML's seeds; the same "
        "80/20 split). The tables above show, per tool and dataset, the round whose score is the median (the worse "
        "of the middle two for an even count) with the median wall time of the rounds; the normalised scores and "
        "the acceptance figures are computed from those medians. Rounds: "
        + "; ".join(f"{r['repeat']}: {r.get('started', '?')}, code at {r.get('commit', '?')}, "
                    f"{float(r.get('elapsed_s') or 0) / 60:.1f} min, load {r.get('load_before', '?')} before, "
                    f"{r.get('load_max', math.nan):.2f} at most" for r in rounds) + ".", "",
        "| dataset | " + " | ".join(f"round {r}" for r in numbers) + " |", "|---|" + "---|" * len(numbers),
        *["| " + " | ".join(row) + " |" for row in round_rows(datasets, grouped, numbers)], ""]
    rs = public_data.TEST_SIZE
    missing = [d.name for d in public_data.BENCHMARK if d.name not in summaries]
    notes = [
        *([f"**Partial run: {len(summaries)} of {len(public_data.BENCHMARK)} datasets measured** (not measured: "
           f"{', '.join(missing)}); every figure below is over the measured ones only.", ""] if missing else []),
        "## Medians over datasets", "",
        "| tool | median normalised test score | median wall ÷ RandomizedSearchCV's | best on | ≥ 0.95 on |",
        "|---|---|---|---|---|", *["| " + " | ".join(r) + " |" for r in median_rows(ordered)], "",
        "## Acceptance (issue 19)", "", "| figure | measured | goal | |", "|---|---|---|---|",
        *["| " + " | ".join(g) + " |" for g in gl], "", *by_round,
        "Time for Zygarde to reach RandomizedSearchCV's test score ÷ RandomizedSearchCV's wall time, per dataset: "
        + ", ".join(f"{s.dataset} {'not reached' if s.reach_ratio is None else f'{s.reach_ratio:.2f}'}"
                    for s in ordered) + ".", "",
        "## How it was measured", "",
        f"Run of {meta.get('started', '?')}, code at commit {meta.get('commit', '?')}, "
        f"`{meta.get('command', 'python -m bench automl')}`: {float(meta.get('elapsed_s', 0)) / 60:.1f} min in all. "
        + kept_note(meta) +
        f"Zygarde strategy `{meta.get('strategy')}`, `max_trials` {meta.get('trials')}, "
        f"{meta.get('folds')}-fold CV; RandomizedSearchCV `n_iter` {meta.get('trials')} and Optuna "
        f"{meta.get('trials')} trials on the same {meta.get('folds')} folds; everything on 2 workers "
        "(Zygarde: 2 trainers, `max_parallel` 2; sklearn: `n_jobs=2`; Optuna: 2 threads, one BLAS/OpenMP thread "
        "each; FLAML: `n_jobs=2`; AutoGluon: `num_cpus=2`), one tool after another, never side by side.",
        "",
        f"Every tool got the same fixed {1 - rs:.0%} training part of each dataset (`bench/public_data.py`, seeded, "
        f"stratified for classification) and was scored by the same code on the same {rs:.0%} test part that no "
        "tool saw, from its own predictions (roc_auc of the second class's probability; balanced accuracy of the "
        "labels; rmse). Zygarde's job names the training part's CSV as its dataset, so the selector's own "
        "holdout comes out of that part; the model a user gets (the final refit on every row of that part, "
        "`final_refit: all`) is loaded from the artifact store (its sha256 checked) and scored. *wall*: Zygarde "
        "from just before `POST /jobs` until the job is completed (winner announced, "
        "refitted and stored); the in-process tools from the search's start to the refitted winner's test "
        "predictions; AutoGluon from `fit` to its test predictions (its own process, imports not counted). "
        "FLAML's `time_budget` is Zygarde's wall time on the dataset, AutoGluon's `time_limit` "
        "RandomizedSearchCV's. *normalised*: 0 = the worst tool on the dataset, 1 = the best (of the tools "
        "that finished); the acceptance rows normalise among the four contenders only. *reach*: after the run "
        "(untimed) every configuration that was Zygarde's best-so-far by CV at some moment is refitted on "
        "the training part (`cv.fit_final`) and scored on the test part; the time is when that best-so-far "
        "model first scored at least RandomizedSearchCV's final test score.",
        "",
        f"Load average (1 min) before the run {meta.get('load_before', ['?'])[0]}, highest at a tool's start "
        f"{max(load_during):.2f}, after {meta.get('load_after', ['?'])[0]}: "
        + ("**load rose above 2.5 on 2 cores**: more runnable processes than cores, from the bench's own "
           "stack (broker, store, Zygarde's services) or from other work (the notes below say which), which "
           "stretches wall times and the budgets derived from them unevenly; compare within a dataset."
           if over_cores else "nothing else ran to speak of."),
        "",
        *NOTES,
        "",
        "Raw figures: `automl.json` (`python -m bench automl --report` rewrites this page and the plot from it).",
        "",
        "![normalised test score per dataset and tool; wall time ÷ RandomizedSearchCV's](automl.png)",
    ]
    header = ["dataset (metric)", "tool", "test score", "wall s", "normalised", "wall ÷ RS", "vs RS (+ better)",
              "notes"]
    write_markdown("automl", "AutoML on public datasets: Zygarde with defaults vs RandomizedSearchCV, Optuna, "
                   "FLAML and AutoGluon", header, table_rows(datasets, runs, summaries), notes)
    plot(datasets, ordered)
    return gl


COLORS = {ZYGARDE: "#e07b39", BASELINE: "#555555", OPTUNA: "#8e44ad", FLAML: "#2a7ab9", AUTOGLUON: "#3a9e5c"}


def plot(datasets: Sequence[PublicDataset], summaries: Sequence[DatasetSummary]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(2, 1, figsize=(max(9.0, 1.1 * len(datasets) + 3), 8.5), sharex=True)
    x = np.arange(len(summaries))
    width = 0.8 / len(TOOLS)
    for i, tool in enumerate(TOOLS):
        offs = x - 0.4 + width * (i + 0.5)
        norms = [s.normalised.get(tool, np.nan) for s in summaries]
        ratios = [s.wall_ratio.get(tool, np.nan) for s in summaries]
        axes[0].bar(offs, norms, width, color=COLORS[tool], label=tool)
        axes[1].bar(offs, ratios, width, color=COLORS[tool], label=tool)
    axes[0].set_ylabel("normalised test score (0 worst, 1 best)")
    axes[0].set_ylim(0, 1.05)
    axes[0].axhline(GOAL_NORMALISED, color="black", linewidth=0.8, linestyle=":")
    axes[0].legend(ncol=len(TOOLS), fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    axes[1].set_yscale("log")
    axes[1].yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    axes[1].yaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    axes[1].axhline(1.0, color="black", linewidth=0.8)
    axes[1].axhline(GOAL_WALL, color="black", linewidth=0.8, linestyle=":")
    axes[1].set_ylabel("wall time ÷ RandomizedSearchCV's (log)")
    axes[1].set_xticks(x)
    axes[1].set_xticklabels([f"{s.dataset}\n{s.metric}" for s in summaries], fontsize=8)
    for ax in axes:
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Public datasets, 2 cores: test score on the 20 % no tool saw, and wall time", y=0.995)
    fig.tight_layout()
    path = RESULTS / "automl.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench automl", description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="", help="comma-separated benchmark datasets (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_TRIALS} trials and {QUICK_FOLDS} folds instead of {MAX_TRIALS} and {FOLDS}")
    parser.add_argument("--strategy", default=None, help="Zygarde's search strategy (default: auto, else tpe)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated tools to run")
    parser.add_argument("--report", action="store_true", help="rewrite the page and plot from automl.json")
    parser.add_argument("--repeats", type=int, default=1,
                        help="rounds over every dataset and tool, round r with seeds SEED + r (the report: medians)")
    parser.add_argument("--append", action="store_true",
                        help="keep automl.json's runs and add the new rounds after its last one")
    parser.add_argument("--replace", action="store_true",
                        help="rerun only --datasets (rounds 0 to REPEATS - 1) and keep automl.json's runs of "
                             "every other dataset, for a change that cannot touch those (the page says which "
                             "rows come from which run)")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    argv = [] if argv is None else list(argv)  # `python -m bench automl` calls main() with no options
    args = parse(argv)
    if args.report:
        meta, grouped = load_raw(RESULTS / "automl.json")
        for g in report(meta, grouped):
            print(" · ".join(g))
        return 0
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        print(f"unknown tool(s) {', '.join(unknown)}; choose from {', '.join(TOOLS)}", file=sys.stderr)
        return 2
    config = Config(QUICK_TRIALS if args.quick else MAX_TRIALS, QUICK_FOLDS if args.quick else FOLDS,
                    args.strategy or default_strategy())
    # SIGTERM unwinds like an exception, so the bench stack's processes, topics and database go too
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.replace and (args.append or not args.datasets):
        print("--replace needs --datasets and cannot go with --append", file=sys.stderr)
        return 2
    earlier = json.loads((RESULTS / "automl.json").read_text()) if args.append or args.replace else None
    before = earlier if args.append else None
    first = 1 + max([r["repeat"] for r in rounds_of(before)]) if before else 0
    chosen = public_data.select(args.datasets)
    raw = measure(chosen, config, tools, " ".join(["python -m bench automl", *argv]),
                  by_size=not args.datasets, rounds=range(first, first + args.repeats), before=before,
                  kept=kept_from(earlier, {d.name for d in chosen}) if args.replace and earlier else None)
    (RESULTS / "automl.json").write_text(json.dumps(raw, indent=1) + "\n")
    meta, grouped = load_raw(RESULTS / "automl.json")
    for g in report(meta, grouped):
        print(" · ".join(g))
    print(f"wrote {RESULTS / 'automl.md'}, .png and .json ({float(meta['elapsed_s']) / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
