"""Compose's S3 mode (deploy/compose/s3.yml): the docker backend starts trainers with no volume at all
but their own credential files, and with the S3 settings that put datasets and artifacts in the bucket.

The compose end-to-end test (tests/compose/test_compose_s3.py) checks the same against a real engine.
"""

from __future__ import annotations

import pytest

from services.scaler.backends.docker import KAFKA_CLIENT_PATH, MONGO_URI_PATH, S3_CREDENTIALS_PATH, DockerBackend
from tests.unit.scaler.test_backend_settings import _Client
from zygarde.settings import ScalerBackendSettings, Settings

S3_ENV = {
    "ZYGARDE_KAFKA_BOOTSTRAP": "kafka:9092",
    "ZYGARDE_ARTIFACT_URI": "s3://zygarde/stack-a/artifacts/",
    "ZYGARDE_S3_DATA_ROOTS": "s3://zygarde/stack-a/data/",
    "ZYGARDE_S3_ENDPOINT_URL": "http://s3:5000",
    "AWS_SHARED_CREDENTIALS_FILE": "/run/secrets/s3-credentials",
    "ZYGARDE_SCALER_DOCKER_VOLUMES": "",
    "ZYGARDE_SCALER_DOCKER_NETWORK": "zygarde",
    "ZYGARDE_SCALER_DOCKER_KAFKA_CLIENT_PROPERTIES": "/srv/secrets/kafka-trainer.properties",
    "ZYGARDE_SCALER_DOCKER_MONGO_URI_FILE": "/srv/secrets/mongo-trainer.uri",
    "ZYGARDE_SCALER_DOCKER_S3_CREDENTIALS_FILE": "/srv/secrets/s3-trainer.credentials",
}


def test_s3_mode_trainers_get_their_credential_files_and_no_volume(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    client = _Client()
    options = ScalerBackendSettings().backend_options("docker", Settings())
    DockerBackend(client=client, **options).scale_to(1)  # type: ignore[arg-type]
    run = client.containers.runs[0]
    # the three read-only files of the trainer's own principals, and nothing a planner or selector also mounts
    assert sorted(run["volumes"]) == sorted([
        f"/srv/secrets/kafka-trainer.properties:{KAFKA_CLIENT_PATH}:ro",
        f"/srv/secrets/mongo-trainer.uri:{MONGO_URI_PATH}:ro",
        f"/srv/secrets/s3-trainer.credentials:{S3_CREDENTIALS_PATH}:ro"]), run["volumes"]
    env = run["environment"]
    assert env["AWS_SHARED_CREDENTIALS_FILE"] == S3_CREDENTIALS_PATH
    assert env["ZYGARDE_ARTIFACT_URI"] == "s3://zygarde/stack-a/artifacts/"
    assert env["ZYGARDE_S3_DATA_ROOTS"] == "s3://zygarde/stack-a/data/"
    assert env["ZYGARDE_S3_ENDPOINT_URL"] == "http://s3:5000"


def test_without_a_credentials_file_none_is_mounted_or_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scaler's own AWS_SHARED_CREDENTIALS_FILE never travels (only ZYGARDE_* settings do)."""
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ZYGARDE_SCALER_DOCKER_S3_CREDENTIALS_FILE")
    backend = DockerBackend(client=_Client(), **ScalerBackendSettings().backend_options("docker", Settings()))  # type: ignore[arg-type]
    assert "AWS_SHARED_CREDENTIALS_FILE" not in backend.environment
    assert not any(S3_CREDENTIALS_PATH in v for v in backend.volumes)
