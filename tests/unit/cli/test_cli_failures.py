"""A job whose trials failed, as the CLI shows it at 80 columns: ``zygarde job`` and ``submit --wait``
print each way the trials failed with what was raised, ``zygarde trials --status failed`` each failed
trial's error; ``--json`` is the planner's answer. The real ``zygarde`` process against a stand-in planner."""

from __future__ import annotations

import json
from typing import Any

from tests.unit.cli.test_cli_output import JOB, Planner, planner, zygarde

__all__ = ["planner"]  # the fixture, used by name

KNN = ("ValueError: Expected n_neighbors <= n_samples_fit, but n_neighbors = 2000, n_samples_fit = 303, "
       "n_samples = 152")
FAILED_JOB: dict[str, Any] = {
    "job_id": JOB, "name": "fails", "status": "completed", "ended_reason": "max_trials", "task": "binary",
    "metric": "roc_auc", "strategy": "random", "trials": {"requested": 0, "running": 0, "completed": 2, "failed": 4},
    "best": {"trial_id": f"{JOB}-00000", "algorithm": "logistic_regression", "params": {}, "score": 0.9956},
    "budget": {"max_trials": 6, "trials_used": 6}, "reasons": [], "warnings": [],
    "failures": [{"reason": "error", "error": KNN, "count": 3, "algorithms": ["knn"],
                  "trial_ids": [f"{JOB}-00001", f"{JOB}-00002", f"{JOB}-00003"]},
                 {"reason": "timeout", "error": "ran past its limit of 5s", "count": 1,
                  "algorithms": ["random_forest"], "trial_ids": [f"{JOB}-00005"]}]}
TRIALS = {"job_id": JOB, "status": "failed", "total": 2, "offset": 0, "items": [
    {"trial_id": f"{JOB}-00001", "index": 1, "algorithm": "knn", "params": {"n_neighbors": 2000}, "status": "failed",
     "attempt": 1, "score": None, "reason": "error", "error": KNN, "seconds": 0.09},
    {"trial_id": f"{JOB}-00005", "index": 5, "algorithm": "random_forest", "params": {"n_estimators": 300},
     "status": "failed", "attempt": 1, "score": None, "reason": "timeout", "error": "ran past its limit of 5s",
     "seconds": 5.2}]}


def _joined(text: str) -> str:
    """The output with the terminal's line breaks taken out (a long error wraps at 80 columns)."""
    return " ".join(text.split())


def test_job_shows_which_trials_failed_and_why(planner: Planner) -> None:
    planner.answers[f"GET /jobs/{JOB}"] = (200, FAILED_JOB)
    out = zygarde(planner.url, "job", JOB)
    assert out.returncode == 0, out.stderr
    assert max(len(line) for line in out.stdout.splitlines()) <= 80, out.stdout
    text = _joined(out.stdout)
    assert "failed trials: 4 of 6" in text
    assert f"✗ 3 × error (knn): {KNN}" in text, out.stdout
    assert "trial# 1, 2, 3" in text
    assert "✗ 1 × timeout (random_forest): ran past its limit of 5s" in text
    as_json = zygarde(planner.url, "job", JOB, "--json")
    assert json.loads(as_json.stdout) == FAILED_JOB


def test_trials_lists_each_failed_trial_with_its_error(planner: Planner) -> None:
    planner.answers[f"GET /jobs/{JOB}/trials?limit=50&status=failed"] = (200, TRIALS)
    out = zygarde(planner.url, "trials", JOB, "--status", "failed")
    assert out.returncode == 0, out.stderr
    assert max(len(line) for line in out.stdout.splitlines()) <= 80, out.stdout
    rows = [line.split()[:4] for line in out.stdout.splitlines()
            if line.split()[1:3] in (["knn", "failed"], ["random_forest", "failed"])]
    assert rows == [["1", "knn", "failed", "error"], ["5", "random_forest", "failed", "timeout"]], out.stdout
    text = _joined(out.stdout)
    assert f"#1 error: {KNN}" in text and "#5 timeout: ran past its limit of 5s" in text, out.stdout
    assert json.loads(zygarde(planner.url, "trials", JOB, "--status", "failed", "--json").stdout) == TRIALS
    refused = zygarde(planner.url, "trials", JOB, "--status", "broken")
    assert refused.returncode == 1 and "--status must be one of" in refused.stderr


def test_submit_wait_prints_the_failures_of_the_job_it_followed(planner: Planner, tmp_path: Any) -> None:
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps({"dataset": {"uri": "builtin:breast_cancer", "target": "target"}}))
    planner.answers["POST /jobs"] = (202, {"job_id": JOB, "status": "queued", "task": "binary",
                                           "metric": "roc_auc", "warnings": []})
    planner.answers[f"GET /jobs/{JOB}"] = (200, FAILED_JOB)
    out = zygarde(planner.url, "submit", str(spec), "--wait")
    assert out.returncode == 0, out.stderr
    assert f"✗ 3 × error (knn): {KNN}" in _joined(out.stdout), out.stdout
