"""A new user's own file, as docs/own-csv.md walks through it, on the real stack: a ';'-separated
spreadsheet export with decimal commas and a few rows without a target, a spec with no metric,
submitted with the CLI, and the winner loaded back in Python."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from tests.e2e.conftest import Services
from tests.e2e.test_job_flow import AUTH
from zygarde.registry import artifacts

pytestmark = pytest.mark.e2e


def spreadsheet_export(path: Path) -> pd.DataFrame:
    X, y = make_classification(n_samples=300, n_features=4, n_informative=3, n_redundant=0, random_state=4)
    frame = pd.DataFrame(X, columns=["tenure", "spend", "calls", "discount"])
    frame["city"] = np.random.default_rng(4).choice(["Lyon", "Nice", "Metz"], size=len(frame))
    frame["churned"] = np.where(y == 1, "yes", "no").astype(object)
    frame.loc[frame.index[:6], "churned"] = None
    frame.to_csv(path, sep=";", decimal=",", index=False)
    return frame


def cli(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**services.env, "ZYGARDE_PLANNER_URL": services.url, "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "zygarde.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)


def test_a_semicolon_csv_without_a_metric_trains_and_loads(services: Services, tmp_path: Path) -> None:
    root = services.settings.data_root_paths[0]
    root.mkdir(parents=True, exist_ok=True)
    frame = spreadsheet_export(root / "churn.csv")
    assert ";" in (root / "churn.csv").read_text().splitlines()[1] and "," in (root / "churn.csv").read_text()
    spec = tmp_path / "churn.json"
    spec.write_text(json.dumps({"name": "churn", "dataset": {"uri": (root / "churn.csv").as_uri(),
                                                             "target": "churned"},
                                "algorithms": ["logistic_regression", "knn"],
                                "search": {"max_trials": 4, "max_parallel": 2}, "cv": {"folds": 3}}))

    submitted = cli(services, "submit", str(spec), "--json")
    assert submitted.returncode == 0, submitted.stderr
    accepted = json.loads(submitted.stdout)
    assert accepted["task"] == "binary" and accepted["metric"] == "roc_auc"
    assert accepted["warnings"] == ["dataset.target: 6 of 300 rows have no 'churned' value and are left out "
                                    "of training and scoring"]
    job_id = accepted["job_id"]
    waited = cli(services, "submit", str(spec), "--wait", "--json")  # the same spec again, followed to the end
    assert waited.returncode == 0, waited.stderr
    assert json.loads(waited.stdout)["status"] == "completed"

    job = httpx.get(f"{services.url}/jobs/{job_id}").json()
    assert job["warnings"] == accepted["warnings"] and job["spec"]["metric"] == "roc_auc"
    board = cli(services, "leaderboard", job_id)
    assert board.returncode == 0 and max(len(line) for line in board.stdout.splitlines()) <= 80
    model = httpx.get(f"{services.url}/jobs/{job_id}/model", headers=AUTH, timeout=30).json()
    assert model["holdout_score"] > 0.8, model  # the numbers were read as numbers, not as text
    pipeline = artifacts.load(services.settings.artifact_root, model["artifact_uri"], model["sha256"])
    rows = frame.dropna(subset=["churned"]).head(20)
    proba = pipeline.predict_proba(rows.drop(columns=["churned"]))
    assert proba.shape == (20, 2) and np.all((proba >= 0) & (proba <= 1))
