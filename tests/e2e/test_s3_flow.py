"""A job whose dataset lives only in S3 (a real S3 server process), on trainers that share no folder
with the planner, the selector or each other: each reads the object itself, through its own mirror."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sklearn.datasets import load_breast_cancer

from tests import s3server
from tests.e2e.conftest import Services, free_port
from tests.e2e.test_job_flow import AUTH, wait_status
from zygarde.settings import Settings

pytestmark = pytest.mark.e2e

ROOT = "s3://zygarde-data/datasets/"
URI = ROOT + "cancer.csv"


def dataset_bytes() -> bytes:
    frame = load_breast_cancer(as_frame=True).frame
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


ARTIFACT_BUCKET = "zygarde-artifacts"


@contextmanager
def s3_stack(test_settings: Settings, tmp_path: Path, **extra_env: str) -> Iterator[tuple[Services, str]]:
    """A real S3 server holding the dataset (and an empty artifact bucket), the planner and the selector in
    the test's home, and two trainers each in a home of its own: nothing on disk is shared with them."""
    with s3server.s3_server() as endpoint:
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id=s3server.CREDENTIALS["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=s3server.CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        client.create_bucket(Bucket="zygarde-data")
        client.create_bucket(Bucket=ARTIFACT_BUCKET)
        client.put_object(Bucket="zygarde-data", Key="datasets/cancer.csv", Body=dataset_bytes())
        settings = test_settings.model_copy(update={"planner_url": f"http://127.0.0.1:{free_port()}"})
        env = settings.child_env()
        env.update(s3server.CREDENTIALS, ZYGARDE_S3_DATA_ROOTS=ROOT, ZYGARDE_S3_ENDPOINT_URL=endpoint,
                   ZYGARDE_ADMIN_TOKEN="test-token", ZYGARDE_API_OPEN_READS="1",
                   ZYGARDE_SELECTOR_METRICS_PORT=str(free_port()), PYTHONUNBUFFERED="1", **extra_env)
        env.pop("ZYGARDE_TRAINER_METRICS_PORT", None)
        logs = tmp_path / "logs"
        logs.mkdir()
        svc = Services(settings, env, logs)
        svc.start("planner", "planner")
        svc.start("selector", "selector")
        for name in ("trainer-1", "trainer-2"):
            # a home and a data root of its own: nothing on disk is shared with another service
            home = tmp_path / name
            credentials = settings.home / "kafka" / "trainer.properties"
            if credentials.is_file():  # an authenticating broker: the trainer's own copy, as a mounted Secret
                (home / "kafka").mkdir(parents=True)
                shutil.copy(credentials, home / "kafka" / "trainer.properties")
            svc.trainer_ports[name] = port = free_port()
            svc.start(name, "trainer", ZYGARDE_HOME=str(home), ZYGARDE_DATA_ROOTS=str(home / "data"),
                      ZYGARDE_TRAINER_METRICS_PORT=str(port), ZYGARDE_TRAINER_WORKER_ID=name)
        try:
            svc.wait_healthy()
            yield svc, endpoint
        finally:
            svc.stop_all()
            if os.environ.get("ZYGARDE_TEST_SHOW_LOGS") == "1":
                for log in logs.iterdir():
                    print(log.name, log.read_text()[-3000:])


@pytest.fixture
def s3_services(test_settings: Settings, tmp_path: Path) -> Iterator[tuple[Services, Path]]:
    with s3_stack(test_settings, tmp_path) as (svc, _):
        yield svc, tmp_path


def test_a_job_on_an_s3_dataset_completes_on_trainers_that_share_no_folder(
        s3_services: tuple[Services, Path]) -> None:
    svc, tmp_path = s3_services
    spec = {"name": "s3", "dataset": {"uri": URI, "target": "target"}, "metric": "roc_auc",
            "algorithms": ["logistic_regression", "random_forest"],
            "search": {"strategy": "random", "max_trials": 4, "max_parallel": 2, "seed": 5}, "cv": {"folds": 3}}
    resp = httpx.post(f"{svc.url}/jobs", json=spec, headers=AUTH)
    assert resp.status_code == 202, resp.text
    job = wait_status(svc, resp.json()["job_id"], {"completed", "failed", "cancelled"})
    assert job["status"] == "completed", job
    assert job["trials"]["completed"] == 4 and job["trials"]["failed"] == 0, job["trials"]
    board = httpx.get(f"{svc.url}/jobs/{job['job_id']}/leaderboard", timeout=10).json()
    assert len(board["items"]) == 4
    expected = hashlib.sha256(dataset_bytes()).hexdigest()
    fetched = [name for name in ("trainer-1", "trainer-2")
               if (tmp_path / name / "s3" / "zygarde-data" / "datasets" / "cancer.csv").exists()]
    # a trainer that ran a trial read the object into its own mirror, with the object's bytes
    assert fetched, "no trainer fetched the dataset from S3"
    for name in fetched:
        data = (tmp_path / name / "s3" / "zygarde-data" / "datasets" / "cancer.csv").read_bytes()
        assert hashlib.sha256(data).hexdigest() == expected
    assert not list((tmp_path / "trainer-1").rglob("model.joblib")), "trainers write no artifact"
