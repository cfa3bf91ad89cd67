"""s3:// artifact stores against a real S3 server process (moto's server mode, over HTTP on the loopback).

Models, their signatures and out-of-fold predictions go to objects under the configured prefix only;
a URI or key outside it is refused before any request, a missing object is named with its reason, and a
changed or forged object is refused before anything is unpickled: the signature covers the whole
``s3://`` URI, so a signed object copied to another prefix does not verify there.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression

from tests import s3server
from tests.forged_artifacts import forged_pickle
from zygarde.errors import ArtifactIntegrityError
from zygarde.ml import oof
from zygarde.registry import artifacts, signing
from zygarde.registry.stores import open_store, s3
from zygarde.registry.stores.s3 import S3Store
from zygarde.settings import Settings

pytestmark = pytest.mark.integration

BUCKET = "zygarde-artifacts"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    with s3server.s3_server() as url:
        yield url


@pytest.fixture
def client(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in s3server.CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(s3, "_clients", {})
    import boto3

    made = boto3.client("s3", endpoint_url=s3_server)
    if BUCKET not in {b["Name"] for b in made.list_buckets()["Buckets"]}:
        made.create_bucket(Bucket=BUCKET)
    return made


def _store(endpoint: str, tmp_path: Path, prefix: str = "team-a/") -> S3Store:
    return S3Store(BUCKET, prefix, endpoint, tmp_path / "local")


def _model() -> LogisticRegression:
    return LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])


def test_a_model_is_stored_signed_and_loaded_under_the_prefix(client: Any, s3_server: str, tmp_path: Path) -> None:
    store = _store(s3_server, tmp_path)
    uri, sha = artifacts.store(store, "job-1", _model())
    assert uri == f"s3://{BUCKET}/team-a/job-1/model.joblib"
    body = client.get_object(Bucket=BUCKET, Key="team-a/job-1/model.joblib")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == sha
    sig = client.get_object(Bucket=BUCKET, Key="team-a/job-1/model.joblib.sig")["Body"].read().decode().strip()
    # the signature covers the whole URI, bucket and prefix included
    assert sig == signing.signature(os.environ["ZYGARDE_ARTIFACT_KEY"].encode(), uri, sha)
    assert list(artifacts.load(store, uri, sha).predict([[0.0], [3.0]])) == [0, 1]
    assert not (tmp_path / "local").exists(), "nothing of the model is kept on the local disk"


@pytest.mark.parametrize("uri, reason", [
    (f"s3://{BUCKET}/team-b/job-1/model.joblib", "is not inside"),  # another prefix of the same bucket
    (f"s3://{BUCKET}/team-a-old/job-1/model.joblib", "is not inside"),  # a prefix that only starts like ours
    ("s3://elsewhere/team-a/job-1/model.joblib", "is not inside"),  # another bucket
    ("file:///tmp/team-a/job-1/model.joblib", "is not inside"),
    (f"s3://{BUCKET}/team-a/../team-b/job-1/model.joblib", "cannot name an object"),  # out through '..'
    (f"s3://{BUCKET}/team-a//job-1/model.joblib", "cannot name an object"),
])
def test_a_uri_outside_the_prefix_is_refused(client: Any, s3_server: str, tmp_path: Path, uri: str,
                                             reason: str) -> None:
    store = _store(s3_server, tmp_path)
    _, sha = artifacts.store(store, "job-1", _model())
    for prefix in ("team-b/", "team-a-old/", "team-"):  # a copy there must not be what gets read
        client.put_object(Bucket=BUCKET, Key=f"{prefix}job-1/model.joblib", Body=b"not ours")
    with pytest.raises(ArtifactIntegrityError, match=f"{reason} .*artifact store"):
        artifacts.load(store, uri, sha)


@pytest.mark.parametrize("job_id", ["..", "../team-b", "a//b", "/abs"])
def test_a_key_outside_the_prefix_is_never_written(client: Any, s3_server: str, tmp_path: Path, job_id: str) -> None:
    store = _store(s3_server, tmp_path)
    before = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    with pytest.raises(ArtifactIntegrityError, match="cannot name an object"):
        artifacts.store(store, job_id, _model())
    assert {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])} == before


def test_a_missing_object_gives_a_clear_error(client: Any, s3_server: str, tmp_path: Path) -> None:
    store = _store(s3_server, tmp_path)
    uri = f"s3://{BUCKET}/team-a/never-stored/model.joblib"
    with pytest.raises(ArtifactIntegrityError, match=f"{uri}: no such object in the artifact store \\(NoSuchKey\\)"):
        artifacts.load(store, uri, "0" * 64)


def test_a_changed_object_is_refused(client: Any, s3_server: str, tmp_path: Path) -> None:
    store = _store(s3_server, tmp_path)
    uri, sha = artifacts.store(store, "job-1", _model())
    body = client.get_object(Bucket=BUCKET, Key="team-a/job-1/model.joblib")["Body"].read()
    client.put_object(Bucket=BUCKET, Key="team-a/job-1/model.joblib", Body=body + b"\0")
    with pytest.raises(ArtifactIntegrityError, match="sha256 mismatch.*refusing to load"):
        artifacts.load(store, uri, sha)


def test_a_forged_object_with_its_matching_sha256_is_refused_unpickled(client: Any, s3_server: str,
                                                                       tmp_path: Path) -> None:
    store = _store(s3_server, tmp_path)
    uri, _ = artifacts.store(store, "job-1", _model())
    forged, forged_sha = forged_pickle()  # a forger writes the bytes and records their sha256
    client.put_object(Bucket=BUCKET, Key="team-a/job-1/model.joblib", Body=forged)
    with pytest.raises(ArtifactIntegrityError, match="signature mismatch.*refusing to load"):
        artifacts.load(store, uri, forged_sha)


def test_a_signed_object_copied_to_another_prefix_does_not_verify(client: Any, s3_server: str,
                                                                  tmp_path: Path) -> None:
    uri, sha = artifacts.store(_store(s3_server, tmp_path), "job-1", _model())
    for suffix in ("", ".sig"):
        client.copy_object(Bucket=BUCKET, Key=f"team-b/job-1/model.joblib{suffix}",
                           CopySource={"Bucket": BUCKET, "Key": f"team-a/job-1/model.joblib{suffix}"})
    other = _store(s3_server, tmp_path, "team-b/")
    with pytest.raises(ArtifactIntegrityError, match="signature mismatch"):
        artifacts.load(other, uri.replace("/team-a/", "/team-b/"), sha)


def test_an_object_without_a_signature_is_refused(client: Any, s3_server: str, tmp_path: Path) -> None:
    store = _store(s3_server, tmp_path)
    uri, sha = artifacts.store(store, "job-1", _model())
    client.delete_object(Bucket=BUCKET, Key="team-a/job-1/model.joblib.sig")
    with pytest.raises(ArtifactIntegrityError, match="no signature"):
        artifacts.load(store, uri, sha)


def test_out_of_fold_predictions_round_trip_and_are_checked(client: Any, s3_server: str, tmp_path: Path) -> None:
    store = _store(s3_server, tmp_path)
    preds = np.linspace(0, 1, 50, dtype=np.float32)
    uri, sha = oof.store(store, "job-1", "job-1-00003", 2, preds)
    assert uri == f"s3://{BUCKET}/team-a/job-1/oof/job-1-00003.2.npy"
    assert np.array_equal(oof.load(store, uri, sha), preds)
    client.put_object(Bucket=BUCKET, Key="team-a/job-1/oof/job-1-00003.2.npy", Body=b"\x93NUMPY not it")
    with pytest.raises(ArtifactIntegrityError, match="sha256 mismatch"):
        oof.load(store, uri, sha)
    with pytest.raises(ArtifactIntegrityError, match="not inside"):
        oof.load(store, f"s3://{BUCKET}/team-b/job-1/oof/job-1-00003.2.npy", sha)


def test_settings_configure_the_store_from_the_environment(client: Any, s3_server: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3, "_config", dict(s3._config))
    monkeypatch.setenv("ZYGARDE_ARTIFACT_URI", f"s3://{BUCKET}/from-env")
    monkeypatch.setenv("ZYGARDE_ARTIFACT_S3_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("ZYGARDE_HOME", str(tmp_path / "home"))
    settings = Settings()
    store = open_store(settings.artifact_root)
    assert isinstance(store, S3Store) and (store.bucket, store.prefix) == (BUCKET, "from-env/")
    uri, sha = artifacts.store(settings.artifact_root, "job-9", _model())
    assert uri == f"s3://{BUCKET}/from-env/job-9/model.joblib"
    assert artifacts.load(settings.artifact_root, uri, sha).predict([[3.0]])[0] == 1
    assert artifacts.folder(settings.artifact_root, "job-9") == tmp_path / "home" / "artifacts" / BUCKET / \
        "from-env" / "job-9"
    assert settings.child_env()["ZYGARDE_ARTIFACT_S3_ENDPOINT_URL"] == s3_server


@pytest.mark.parametrize("root", ["s3://", "s3:///prefix/", "s3://b/a/../c/", "s3://b/x?y=1"])
def test_a_malformed_s3_root_stops_the_settings(root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3, "_config", dict(s3._config))
    with pytest.raises(ValidationError, match="ZYGARDE_ARTIFACT_URI: .* is not s3://bucket/prefix/"):
        Settings(artifact_uri=root)
