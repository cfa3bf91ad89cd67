"""``zygarde export-optuna``: the real CLI process against an HTTP server that answers like the planner,
the study then read back with Optuna itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

from tests.unit.cli.test_cli_output import Planner, zygarde

JOB = "fedcba9876543210fedcba9876543210"
SPEC: dict[str, Any] = {"name": "churn", "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
        "algorithms": ["logistic_regression", {"name": "random_forest", "space": None}], "metric": "logloss"}
VIEW: dict[str, Any] = {"job_id": JOB, "name": "churn", "status": "completed", "spec": SPEC, "task": "binary",
        "metric": "logloss", "trials": {"requested": 0, "running": 0, "completed": 4, "failed": 0},
        "best": None, "budget": {}, "reasons": []}
RF: dict[str, Any] = {"n_estimators": 120, "max_depth": None, "min_samples_leaf": 3, "max_features": "sqrt",
                      "bootstrap": True, "max_samples": 0.7}
ITEMS = [
    {"rank": 1, "trial_id": f"{JOB}-00002", "algorithm": "random_forest", "params": RF, "cv_mean": 0.21,
     "cv_std": 0.01, "fit_seconds": 2.5, "fold_scores": [0.2, 0.22], "attempt": 1},
    {"rank": 2, "trial_id": f"{JOB}-00000", "algorithm": "logistic_regression",
     "params": {"C": 1.5, "l1_ratio": 0.5}, "cv_mean": 0.25, "cv_std": 0.02, "fit_seconds": 0.5,
     "fold_scores": [0.24, 0.26], "attempt": 2},
    {"rank": 3, "trial_id": f"{JOB}-00003", "algorithm": "random_forest",
     "params": {**{k: v for k, v in RF.items() if k != "max_samples"}, "bootstrap": False, "max_depth": 8},
     "cv_mean": 0.3, "cv_std": 0.03, "fit_seconds": 1.0, "fold_scores": [0.3, 0.3], "attempt": 1},
    {"rank": 4, "trial_id": f"{JOB}-00001", "algorithm": "logistic_regression",
     "params": {"C": 0.01, "l1_ratio": 1.0}, "cv_mean": 0.4, "cv_std": 0.0, "fit_seconds": 0.25,
     "fold_scores": [0.4, 0.4], "attempt": 1, "status": "pruned"},
]


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"job_id": JOB, "metric": "logloss", "greater_is_better": False, "items": items, "total": len(ITEMS),
            "offset": 0}


@pytest.fixture
def planner() -> Iterator[Planner]:
    fake = Planner()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    fake.answers[f"GET /jobs/{JOB}"] = (200, VIEW)
    # a planner that gives fewer trials than asked per page: the export follows the pages to the total
    fake.answers[f"GET /jobs/{JOB}/leaderboard?limit=1000&offset=0"] = (200, page(ITEMS[:3]))
    fake.answers[f"GET /jobs/{JOB}/leaderboard?limit=1000&offset=3"] = (200, page(ITEMS[3:]))
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_a_job_loads_back_as_an_optuna_study(planner: Planner, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'job.db'}"
    out = zygarde(planner.url, "export-optuna", JOB, "--storage", storage)
    assert out.returncode == 0, out.stderr
    assert "wrote 4 trials" in out.stdout

    summaries = optuna.get_all_study_summaries(storage)
    assert [s.study_name for s in summaries] == [f"churn-{JOB[:12]}"]
    study = optuna.load_study(study_name=f"churn-{JOB[:12]}", storage=storage)
    assert study.direction == optuna.study.StudyDirection.MINIMIZE  # logloss
    assert study.user_attrs == {"job_id": JOB, "metric": "logloss", "task": "binary"}
    trials = {t.user_attrs["trial_id"]: t for t in study.trials}
    assert len(study.trials) == 4 and set(trials) == {i["trial_id"] for i in ITEMS}

    states = {tid: t.state for tid, t in trials.items()}
    assert states == {f"{JOB}-00000": TrialState.COMPLETE, f"{JOB}-00001": TrialState.PRUNED,
                      f"{JOB}-00002": TrialState.COMPLETE, f"{JOB}-00003": TrialState.COMPLETE}
    assert [trials[f"{JOB}-0000{i}"].value for i in range(4)] == [0.25, None, 0.21, 0.3]
    assert study.best_trial.user_attrs["trial_id"] == f"{JOB}-00002"

    lr = trials[f"{JOB}-00000"]
    assert lr.params == {"algorithm": "logistic_regression", "logistic_regression__C": 1.5,
                         "logistic_regression__l1_ratio": 0.5}
    assert lr.distributions == {
        "algorithm": CategoricalDistribution(["logistic_regression", "random_forest"]),
        "logistic_regression__C": FloatDistribution(0.001, 100.0, log=True),
        "logistic_regression__l1_ratio": CategoricalDistribution([0.0, 0.5, 1.0])}
    assert lr.user_attrs == {"trial_id": f"{JOB}-00000", "trial": "0", "fold_scores": [0.24, 0.26],
                             "cv_std": 0.02, "fit_seconds": 0.5, "attempt": 2}

    rf = trials[f"{JOB}-00002"]
    assert rf.params == {"algorithm": "random_forest", **{f"random_forest__{k}": v for k, v in RF.items()}}
    assert rf.distributions["random_forest__n_estimators"] == IntDistribution(50, 200, log=True)
    assert rf.distributions["random_forest__max_depth"] == CategoricalDistribution([None, 4, 8, 16])
    # a conditional parameter is absent where its condition does not hold (bootstrap off)
    assert "random_forest__max_samples" not in trials[f"{JOB}-00003"].params
    assert "random_forest__max_samples" in rf.params


def test_a_second_export_to_the_same_study_is_refused(planner: Planner, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'job.db'}"
    planner.answers["GET /jobs?limit=1000"] = (200, [VIEW])  # a job id prefix is looked up among the jobs
    first = zygarde(planner.url, "export-optuna", JOB, "--storage", storage, "--study-name", "mine")
    again = zygarde(planner.url, "export-optuna", JOB[:8], "--storage", storage, "--study-name", "mine")
    assert first.returncode == 0, first.stderr
    assert again.returncode == 6 and "already has a study named 'mine'" in again.stderr, again.stderr
    assert len(optuna.load_study(study_name="mine", storage=storage).trials) == 4


def test_a_storage_password_is_never_printed(planner: Planner) -> None:
    out = zygarde(planner.url, "export-optuna", JOB, "--storage",
                  "postgresql://zyg:s3cr3t-pw@127.0.0.1:9/optuna")
    assert out.returncode == 1, out.stderr
    assert "cannot open the Optuna storage" in out.stderr
    assert "s3cr3t-pw" not in out.stderr + out.stdout
