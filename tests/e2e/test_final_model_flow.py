"""The model a user gets, on the real stack: trials keep out-of-fold predictions, the selector announces
an ensemble of the top trials when it beats the best one, and the registry serves it refitted on every
row (final_refit=all), with its lineage; final_refit=train serves the model the holdout measured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_friedman1

from tests.e2e.conftest import Services
from tests.e2e.test_job_flow import AUTH, read_topic, wait_status
from zygarde import events as ev
from zygarde import topics
from zygarde.ml import cv, ensemble, metrics
from zygarde.registry import artifacts

pytestmark = pytest.mark.e2e

ROWS = 400


def write_dataset(root: Path) -> str:
    """Friedman #1: a linear part a ridge regression gets and a non-linear one a forest gets, so
    averaging the two beats either (checked out of fold and on the holdout by the selector)."""
    X, y = make_friedman1(n_samples=ROWS, noise=1.0, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(10)])
    frame["y"] = y
    root.mkdir(parents=True, exist_ok=True)
    frame.to_csv(root / "friedman.csv", index=False)
    return (root / "friedman.csv").as_uri()


def spec(name: str, uri: str, final_refit: str) -> dict[str, Any]:
    return {"name": name, "dataset": {"uri": uri, "target": "y"}, "metric": "rmse", "final_refit": final_refit,
            "algorithms": [{"name": "ridge", "space": {"alpha": [1.0]}},
                           {"name": "knn", "space": {"n_neighbors": [7]}},
                           {"name": "random_forest", "space": {"n_estimators": [40]}}],
            "search": {"strategy": "grid", "max_trials": 3, "max_parallel": 3, "seed": 0}, "cv": {"folds": 3}}


def medians(pipeline: Any) -> np.ndarray:
    """The imputer's medians: what a pipeline learnt of the rows it was fitted on."""
    return np.asarray(pipeline.named_steps["prep"].named_transformers_["num"].named_steps["impute"].statistics_)


def test_an_ensemble_is_announced_and_served_refitted_on_every_row(services: Services) -> None:
    url, settings = services.url, services.settings
    uri = write_dataset(settings.data_root_paths[0])
    ids = {}
    for refit in ("all", "train"):
        resp = httpx.post(f"{url}/jobs", json=spec(f"final-{refit}", uri, refit), headers=AUTH)
        assert resp.status_code == 202, resp.text
        ids[refit] = resp.json()["job_id"]
    jobs = {refit: wait_status(services, job_id, {"completed", "failed", "cancelled", "rejected"})
            for refit, job_id in ids.items()}
    assert all(job["status"] == "completed" for job in jobs.values()), jobs

    frame = pd.read_csv(uri.removeprefix("file://"))
    job_spec = ev.JobSpec.model_validate(jobs["all"]["spec"])
    train, holdout = cv.split_holdout(frame, job_spec.dataset, "regression", job_spec.search.seed)
    x_all, x_train = frame.drop(columns="y").to_numpy(), train.drop(columns="y").to_numpy()
    features = cv.features(holdout, job_spec.dataset)
    rmse = metrics.get("rmse")

    # every trial kept its out-of-fold predictions in the artifact store
    board = httpx.get(f"{url}/jobs/{ids['all']}/leaderboard").json()["items"]
    assert len(board) == 3
    oof_files = sorted((Path(settings.artifact_root.removeprefix("file://")) / ids["all"] / "oof").glob("*.npy"))
    assert len(oof_files) == 3

    # the announced model: an ensemble of the top trials, measured on the holdout as fitted on the training part
    model = httpx.get(f"{url}/jobs/{ids['all']}/model").json()
    assert model["kind"] == "ensemble", model.get("ensemble")
    assert model["trial_id"] == board[0]["trial_id"], "trial_id still names the best single trial"
    members = model["members"]
    assert len(members) >= 2 and {m["trial_id"] for m in members} <= {b["trial_id"] for b in board}
    assert sum(m["weight"] for m in members) == pytest.approx(1.0)
    assert model["ensemble"]["holdout_score"] < model["ensemble"]["best_holdout_score"]
    assert model["ensemble"]["oof_score"] < model["ensemble"]["best_oof_score"]
    measured = artifacts.load(settings.artifact_root, model["artifact_uri"], model["sha256"])
    assert isinstance(measured, ensemble.WeightedEnsemble)
    assert metrics.score(rmse, measured, features, holdout["y"]) == pytest.approx(model["holdout_score"])
    for member in measured.members:
        assert np.allclose(medians(member), np.median(x_train, axis=0))

    # what is served: the same members and weights, each fitted on every row the user gave
    assert model["final_refit"] == "all" and model["rows_final"] == ROWS
    assert model["final_artifact_uri"] != model["artifact_uri"]
    served = artifacts.load(settings.artifact_root, model["final_artifact_uri"], model["final_sha256"])
    assert isinstance(served, ensemble.WeightedEnsemble)
    # a seed-dependent member (the forest) may be fitted with several seeds, its weight shared by its fits
    fits = {f["trial_id"]: f["fits"] for f in model["ensemble"]["final_fits"]}
    assert sorted(fits) == sorted(m["trial_id"] for m in members)
    assert served.weights == pytest.approx([m["weight"] / fits[m["trial_id"]] for m in members
                                            for _ in range(fits[m["trial_id"]])])
    for member in served.members:
        assert np.allclose(medians(member), np.median(x_all, axis=0))
    assert not np.allclose(np.median(x_all, axis=0), np.median(x_train, axis=0))

    final = [e for e in read_topic(services, topics.MODELS) if e.job_id == ids["all"]
             and isinstance(e, ev.ModelSelected) and e.final]
    assert len(final) == 1 and isinstance(final[0], ev.ModelSelected)
    assert final[0].kind == "ensemble" and final[0].final_refit == "all"
    assert [(m.trial_id, m.weight) for m in final[0].members] == [(m["trial_id"], m["weight"]) for m in members]
    assert (final[0].final_artifact_uri, final[0].final_sha256) == (model["final_artifact_uri"],
                                                                    model["final_sha256"])

    # the registry version records the lineage and serves the refitted model
    version = httpx.get(f"{url}/models/final-all").json()["versions"][0]
    assert version["kind"] == "ensemble" and version["final_refit"] == "all"
    assert [(m["trial_id"], m["weight"]) for m in version["members"]] == [(m["trial_id"], m["weight"]) for m in members]
    assert version["final_artifact"] == {"uri": model["final_artifact_uri"], "sha256": model["final_sha256"],
                                         "rows": ROWS}
    assert version["holdout"] == {"score": pytest.approx(model["holdout_score"]), "fitted_on": "train",
                                  "rows_fitted": len(train), "rows_scored": len(holdout),
                                  "artifact_uri": model["artifact_uri"], "sha256": model["sha256"]}
    evaluated = httpx.post(f"{url}/models/final-all/evaluate", json={"dataset_uri": uri}, headers=AUTH, timeout=60)
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json()["score"] == pytest.approx(
        metrics.score(rmse, served, cv.features(frame, job_spec.dataset), frame["y"]))

    # final_refit=train: the registry serves the very model the holdout measured
    kept = httpx.get(f"{url}/jobs/{ids['train']}/model").json()
    assert kept["final_refit"] == "train" and kept["rows_final"] == len(train)
    assert (kept["final_artifact_uri"], kept["final_sha256"]) == (kept["artifact_uri"], kept["sha256"])
    version = httpx.get(f"{url}/models/final-train").json()["versions"][0]
    assert version["final_artifact"]["uri"] == version["artifact"]["uri"] == kept["artifact_uri"]
