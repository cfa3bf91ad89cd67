"""A service's MongoDB URI from its own secret file (``ZYGARDE_MONGO_URI_FILE``, docs/security.md "MongoDB-wire"):
it overrides ``ZYGARDE_MONGO_URI``, never shows in the settings' repr nor travels to processes the service
starts, and the scaler's docker trainers get the trainer's file, not the scaler's URI."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.scaler.backends.docker import MONGO_URI_PATH, DockerBackend
from tests.unit.scaler.test_backend_settings import _Client
from zygarde.settings import ScalerBackendSettings, Settings

URI = "mongodb://zygarde-scaler:s3cret-pass-word@mongo:27017/zygarde?authSource=zygarde"


def test_the_file_overrides_the_variable_and_stays_out_of_repr_and_children(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mongo-uri").write_text(URI + "\n")
    monkeypatch.setenv("ZYGARDE_MONGO_URI", "mongodb://mongo:27017/zygarde")
    monkeypatch.setenv("ZYGARDE_MONGO_URI_FILE", str(tmp_path / "mongo-uri"))
    settings = Settings(home=tmp_path)
    assert settings.mongo_uri == URI and settings.mongo_database() == "zygarde"
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)
    child = settings.child_env()
    assert "ZYGARDE_MONGO_URI" not in child and "ZYGARDE_MONGO_URI_FILE" not in child
    # without a file, children get the variable's URI as before
    monkeypatch.delenv("ZYGARDE_MONGO_URI_FILE")
    assert Settings(home=tmp_path).child_env()["ZYGARDE_MONGO_URI"] == "mongodb://mongo:27017/zygarde"


@pytest.mark.parametrize("content", [None, "", "not a uri"])
def test_a_missing_or_bad_file_is_refused_by_path(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "mongo-uri"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValidationError, match="ZYGARDE_MONGO_URI_FILE") as err:
        Settings(home=tmp_path, mongo_uri_file=path)
    assert str(path) in str(err.value)


def test_docker_trainers_get_the_trainers_uri_file_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mongo-uri").write_text(URI)
    monkeypatch.setenv("ZYGARDE_MONGO_URI_FILE", str(tmp_path / "mongo-uri"))
    monkeypatch.setenv("ZYGARDE_SCALER_DOCKER_MONGO_URI_FILE", "/srv/secrets/mongo-trainer.uri")
    client = _Client()
    options = ScalerBackendSettings().backend_options("docker", Settings(home=tmp_path))
    DockerBackend(client=client, **options).scale_to(1)  # type: ignore[arg-type]
    run = client.containers.runs[0]
    assert run["environment"]["ZYGARDE_MONGO_URI_FILE"] == MONGO_URI_PATH
    assert "ZYGARDE_MONGO_URI" not in run["environment"]
    assert "s3cret" not in repr(run)
    assert f"/srv/secrets/mongo-trainer.uri:{MONGO_URI_PATH}:ro" in run["volumes"]
