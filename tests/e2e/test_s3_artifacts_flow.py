"""A job whose dataset and artifacts live only in S3 (a real S3 server process): the planner and the
selector share one home, and two trainers each have a home of their own; no directory is shared with a
trainer. The trainers' out-of-fold predictions reach the selector's ensemble selection through S3, the
winner is stored and signed there, loads and scores through the registry API, and a forged object in
its place is refused before anything is unpickled."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import httpx
import joblib
import pytest
from pymongo import MongoClient

from tests import s3server
from tests.e2e.test_job_flow import AUTH, wait_status
from tests.e2e.test_s3_flow import ARTIFACT_BUCKET, URI, s3_stack
from zygarde.ml import oof
from zygarde.registry.stores import s3
from zygarde.registry.stores.s3 import S3Store
from zygarde.settings import Settings

pytestmark = pytest.mark.e2e

PREFIX = "deploy-a/"
ARTIFACTS = f"s3://{ARTIFACT_BUCKET}/{PREFIX}"


def _forged_pickle() -> bytes:
    buf = io.BytesIO()
    joblib.dump({"forged": True}, buf)
    return buf.getvalue()


def test_a_job_with_s3_only_data_and_artifacts_runs_to_a_winner_that_scores(
        test_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in s3server.CREDENTIALS.items():  # this test reads the bucket as an auditor
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(s3, "_clients", {})
    with s3_stack(test_settings, tmp_path, ZYGARDE_ARTIFACT_URI=ARTIFACTS) as (svc, endpoint):
        spec = {"name": "s3-artifacts", "dataset": {"uri": URI, "target": "target"}, "metric": "roc_auc",
                "algorithms": ["logistic_regression", "random_forest"],
                "search": {"strategy": "random", "max_trials": 4, "max_parallel": 2, "seed": 5}, "cv": {"folds": 3}}
        resp = httpx.post(f"{svc.url}/jobs", json=spec, headers=AUTH)
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["job_id"]
        job = wait_status(svc, job_id, {"completed", "failed", "cancelled"})
        assert job["status"] == "completed", job
        assert job["trials"]["completed"] == 4 and job["trials"]["failed"] == 0, job["trials"]

        import boto3

        client = boto3.client("s3", endpoint_url=endpoint)
        keys = {o["Key"] for o in client.list_objects_v2(Bucket=ARTIFACT_BUCKET).get("Contents", [])}
        db: Any = MongoClient(svc.settings.mongo_uri)[svc.settings.mongo_database()]
        try:
            results = list(db.results.find({"job_id": job_id}))
            model = db.models.find_one({"_id": job_id})
            assert len(results) == 4, results
            store = S3Store(ARTIFACT_BUCKET, PREFIX, endpoint)
            for result in results:
                # each trainer wrote its out-of-fold predictions to S3, where the selector reads them
                ref = result["oof"]
                assert ref["uri"].startswith(ARTIFACTS + job_id + "/oof/"), ref
                assert len(oof.load(store, ref["uri"], ref["sha256"])) > 0
            assert model is not None
            assert model["ensemble"]["reason"] not in ("the best trial's out-of-fold predictions could not be read",
                                                       "fewer than two trials kept out-of-fold predictions"), model
            for uri in (model["artifact_uri"], model["final_artifact_uri"]):
                assert uri.startswith(ARTIFACTS + job_id + "/"), uri
                key = uri.removeprefix(f"s3://{ARTIFACT_BUCKET}/")
                assert {key, key + ".sig"} <= keys, sorted(keys)
            body = client.get_object(Bucket=ARTIFACT_BUCKET, Key=model["final_artifact_uri"].removeprefix(
                f"s3://{ARTIFACT_BUCKET}/"))["Body"].read()
            assert hashlib.sha256(body).hexdigest() == model["final_sha256"]
            # nothing of an artifact on any disk: the trainers' homes, the planner's and selector's
            on_disk = [p for p in tmp_path.rglob("*") if p.suffix in (".joblib", ".npy", ".sig")]
            assert on_disk == []
            trials = httpx.get(f"{svc.url}/jobs/{job_id}/trials", timeout=10).json()["items"]
            workers = {t["worker"] for t in trials}
            assert workers and workers <= {"trainer-1", "trainer-2"}, workers  # only the trainers of own homes

            # the registry loads the winner from S3 (hash and signature checked) and scores it
            scored = httpx.post(f"{svc.url}/models/s3-artifacts/evaluate", json={"dataset_uri": URI},
                                headers=AUTH, timeout=120)
            assert scored.status_code == 200, scored.text
            assert scored.json()["version"] == 1 and 0.9 < scored.json()["score"] <= 1.0, scored.json()

            # reports are pages the planner serves itself: kept in the shared home's local folder
            local = svc.settings.home / "artifacts" / ARTIFACT_BUCKET / PREFIX.rstrip("/") / job_id
            assert Path(model["report"]["html"]).parent == local / "report", model["report"]
            page = httpx.get(f"{svc.url}/jobs/{job_id}/report", timeout=10)
            assert page.status_code == 200 and "<html" in page.text.lower(), page.status_code
            made = httpx.post(f"{svc.url}/jobs/{job_id}/trials/{model['trial_id']}/report", headers=AUTH,
                              timeout=120)
            assert made.status_code == 200, made.text
            shown = httpx.get(f"{svc.url}/jobs/{job_id}/trials/{model['trial_id']}/report", timeout=10)
            assert shown.status_code == 200 and "<html" in shown.text.lower(), shown.status_code

            # a forged object in the winner's place, with its own sha256 written into the registry:
            # the signature over the s3:// URI refuses it, and nothing is unpickled
            forged = _forged_pickle()
            client.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=forged)
            version = db.model_versions.find_one({"name": "s3-artifacts", "version": 1})
            field = "final_artifact" if version.get("final_artifact") else "artifact"
            assert version[field]["uri"] == uri
            db.model_versions.update_one({"_id": version["_id"]},
                                         {"$set": {f"{field}.sha256": hashlib.sha256(forged).hexdigest()}})
            refused = httpx.post(f"{svc.url}/models/s3-artifacts/evaluate", json={"dataset_uri": URI},
                                 headers=AUTH, timeout=120)
            assert refused.status_code == 409, refused.text
            assert "signature mismatch" in refused.text and "refusing to load" in refused.text, refused.text
        finally:
            db.client.close()
