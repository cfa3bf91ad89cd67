"""The model registry on the real stack: versions and aliases from finished jobs, promotion over HTTP,
reports on request, and an evaluation on drifted data that retrains the model."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import matplotlib.image
import pandas as pd
import pytest
from PIL import Image
from sklearn.datasets import load_breast_cancer

from tests.e2e.conftest import Services
from tests.e2e.test_job_flow import AUTH, read_topic, wait_status
from zygarde import events as ev
from zygarde import topics
from zygarde.bus import EventProducer
from zygarde.registry.rules import beats, register_winner
from zygarde.store import connect

pytestmark = pytest.mark.e2e

FINAL = {"completed", "failed", "cancelled", "rejected"}


def tiny_spec(name: str, uri: str, seed: int, **extra: Any) -> dict[str, Any]:
    return {"name": name, "dataset": {"uri": uri, "target": "target"}, "metric": "roc_auc",
            "algorithms": ["logistic_regression"], "cv": {"folds": 3},
            "search": {"strategy": "random", "max_trials": 3, "max_parallel": 3, "seed": seed}, **extra}


def run_job(svc: Services, spec: dict[str, Any]) -> dict[str, Any]:
    resp = httpx.post(f"{svc.url}/jobs", json=spec, headers=AUTH)
    assert resp.status_code == 202, resp.text
    job = wait_status(svc, resp.json()["job_id"], FINAL, timeout=90)
    assert job["status"] == "completed", job
    return job


def png_opens(path: str) -> None:
    with Image.open(path) as img:
        img.verify()
    assert matplotlib.image.imread(path).shape[0] > 100


def test_versions_aliases_and_promotion(services: Services) -> None:
    url = services.url
    job1 = run_job(services, tiny_spec("reg-e2e", "builtin:breast_cancer", seed=1))
    listed = httpx.get(f"{url}/models").json()
    assert [(m["name"], m["latest_version"], m["aliases"]) for m in listed] == [
        ("reg-e2e", 1, {"champion": 1, "challenger": 1})]

    job2 = run_job(services, tiny_spec("reg-e2e", "builtin:breast_cancer", seed=2,
                                       registry={"auto_promote": True}))
    model = httpx.get(f"{url}/models/reg-e2e").json()
    v1, v2 = model["versions"]
    assert (v1["version"], v1["job_id"], v2["version"], v2["job_id"]) == (1, job1["job_id"], 2, job2["job_id"])
    # auto-promotion on for job 2: champion only if its holdout beats version 1's (roc_auc: higher is better)
    promoted = beats(v2["holdout_score"], v1["holdout_score"], True)
    assert model["aliases"] == {"champion": 2 if promoted else 1, "challenger": 2}

    # lineage: each version says where it came from, and matches the job's model
    for version, job in ((v1, job1), (v2, job2)):
        winner = httpx.get(f"{url}/jobs/{job['job_id']}/model").json()
        assert version["trial_id"] == winner["trial_id"] and version["params"] == winner["params"]
        assert version["artifact"] == {"uri": winner["artifact_uri"], "sha256": winner["sha256"]}
        assert version["holdout_score"] == pytest.approx(winner["holdout_score"])
        assert version["cv_mean"] == pytest.approx(winner["cv_mean"])
        assert version["dataset"]["uri"] == "builtin:breast_cancer" and len(version["dataset"]["sha256"]) == 64
        assert version["spec"]["name"] == "reg-e2e" and version["metric"] == "roc_auc"
        assert version["registered_at"] and version["trained_at"]

    # registration is idempotent by job id (what a re-delivery or a restarted selector does)
    db = connect(services.settings.mongo_uri)
    again = register_winner(db, db.jobs.find_one({"_id": job1["job_id"]}), db.models.find_one({"_id": job1["job_id"]}))
    assert again["version"] == 1 and db.model_versions.count_documents({"name": "reg-e2e"}) == 2

    # explicit promotion: token required, alias checked, name and version must exist
    other = 1 if promoted else 2
    path = f"{url}/models/reg-e2e/aliases/champion"
    assert httpx.post(path, json={"version": other}).status_code == 401
    assert httpx.post(path, json={"version": other}, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert httpx.post(f"{url}/models/reg-e2e/aliases/best", json={"version": other}, headers=AUTH).status_code == 422
    assert httpx.post(path, json={"version": "x"}, headers=AUTH).status_code == 422
    assert httpx.post(f"{url}/models/nope/aliases/champion", json={"version": 1}, headers=AUTH).status_code == 404
    assert httpx.post(path, json={"version": 9}, headers=AUTH).status_code == 404
    resp = httpx.post(path, json={"version": other}, headers=AUTH)
    assert resp.status_code == 200 and resp.json()["aliases"] == {"champion": other, "challenger": 2}
    shown = httpx.get(f"{url}/models/reg-e2e").json()
    assert shown["aliases"]["champion"] == other and shown["alias_history"][-1]["by"] == "api"
    # and the same through the command line
    env = {**services.env, "ZYGARDE_PLANNER_URL": url}
    cli = subprocess.run([sys.executable, "-m", "zygarde.cli", "promote", "reg-e2e", str(3 - other)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert httpx.get(f"{url}/models/reg-e2e").json()["aliases"]["champion"] == 3 - other

    # the winner's report compares the top trials; any other completed trial gets a report on request
    winner = httpx.get(f"{url}/jobs/{job1['job_id']}/model").json()
    page = httpx.get(f"{url}/jobs/{job1['job_id']}/report").text
    for section in ("model-card", "diagnostics", "plots", "comparison"):
        assert f"<section id='{section}'>" in page
    png_opens(winner["report"]["comparison"])
    board = httpx.get(f"{url}/jobs/{job1['job_id']}/leaderboard").json()["items"]
    trial = board[-1]["trial_id"]
    report_url = f"{url}/jobs/{job1['job_id']}/trials/{trial}/report"
    assert httpx.get(report_url).status_code == 404
    assert httpx.post(report_url).status_code == 401
    assert httpx.post(f"{url}/jobs/{job1['job_id']}/trials/nope/report", headers=AUTH).status_code == 404
    made = httpx.post(report_url, headers=AUTH, timeout=60)
    assert made.status_code == 200, made.text
    assert 0.5 < made.json()["diagnostics"]["roc_auc"] <= 1.0
    page = httpx.get(report_url).text
    assert trial in page and all(f"<section id='{s}'>" in page for s in ("model-card", "diagnostics", "plots"))
    for name in ("roc", "pr", "calibration"):
        png_opens(made.json()["report"][name])


def write_datasets(root: Path) -> tuple[str, str]:
    """The breast-cancer data as a CSV, and the same rows with every feature moved by 1.5 standard deviations."""
    root.mkdir(parents=True, exist_ok=True)
    frame = load_breast_cancer(as_frame=True).frame
    frame.to_csv(root / "cancer.csv", index=False)
    features = frame.columns.drop("target")
    shifted = frame.copy()
    shifted[features] = frame[features] + 1.5 * frame[features].std()
    shifted.to_csv(root / "cancer-shifted.csv", index=False)
    return (root / "cancer.csv").as_uri(), (root / "cancer-shifted.csv").as_uri()


def test_drift_asks_a_retrain_that_completes(services: Services) -> None:
    url = services.url
    train_uri, shifted_uri = write_datasets(services.settings.data_root_paths[0])
    job = run_job(services, tiny_spec("drift-e2e", train_uri, seed=3))
    evaluate = f"{url}/models/drift-e2e/evaluate"

    assert httpx.post(evaluate, json={"dataset_uri": shifted_uri}).status_code == 401
    assert httpx.post(f"{url}/models/nope/evaluate", json={"dataset_uri": train_uri}, headers=AUTH).status_code == 404
    outside = httpx.post(evaluate, json={"dataset_uri": "file:///etc/passwd.csv"}, headers=AUTH)
    assert outside.status_code == 422 and "outside the data roots" in outside.text

    same = httpx.post(evaluate, json={"dataset_uri": train_uri}, headers=AUTH, timeout=60).json()
    assert same["version"] == 1 and same["max_psi"] < 0.2 and not same["drifted"] and same["retrain"] is None
    assert same["score"] > 0.9

    drifted = httpx.post(evaluate, json={"dataset_uri": shifted_uri}, headers=AUTH, timeout=60).json()
    assert drifted["drifted"] and drifted["max_psi"] > 0.2
    assert any(r.startswith("psi of ") for r in drifted["reasons"])
    retrain_id = drifted["retrain"]["job_id"]

    retrained = wait_status(services, retrain_id, FINAL, timeout=90)
    assert retrained["status"] == "completed" and retrained["submitted_via"] == "retrain"
    assert retrained["spec"]["dataset"]["uri"] == shifted_uri
    model = httpx.get(f"{url}/models/drift-e2e").json()
    assert [v["version"] for v in model["versions"]] == [1, 2]
    assert model["versions"][1]["job_id"] == retrain_id and model["versions"][1]["retrain_of"] == job["job_id"]
    assert model["aliases"]["challenger"] == 2

    # exactly one RetrainRequested; delivering it again starts no second job
    requests = [e for e in read_topic(services, topics.JOBS) if isinstance(e, ev.RetrainRequested)]
    assert [e.event_id for e in requests] == [drifted["retrain"]["event_id"]]
    assert requests[0].retrain_job_id() == retrain_id
    producer = EventProducer(services.settings.kafka_bootstrap, services.settings.topic_prefix)
    producer.publish(requests[0])
    producer.flush()
    time.sleep(2)
    jobs = httpx.get(f"{url}/jobs").json()
    assert [j["job_id"] for j in jobs if j["submitted_via"] == "retrain"] == [retrain_id]

    history = httpx.get(f"{url}/models/drift-e2e/evaluations").json()
    assert [e["evaluation_id"] for e in history["items"]] == [same["evaluation_id"], drifted["evaluation_id"]]
    assert history["plot"] and Path(history["plot"]).name == "quality.png"
    png_opens(history["plot"])
    assert pd.read_json(io.StringIO(Path(history["plot"]).with_name("evaluations.json").read_text())).shape[0] == 2
