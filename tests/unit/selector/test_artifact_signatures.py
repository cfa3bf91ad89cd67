"""Signed artifacts: a forged document + artifact pair (bytes and a matching sha256) is refused before
anything is unpickled, as is an artifact moved to another job's place, one without a signature, and
one signed with another deployment's key."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

from tests.forged_artifacts import forged_pickle
from zygarde.errors import ArtifactIntegrityError
from zygarde.registry import artifacts, signing


def _stored(root: Path) -> tuple[str, str]:
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    return artifacts.store(str(root), "job-1", model)


def test_a_stored_artifact_is_signed_and_loads(tmp_path: Path) -> None:
    uri, sha = _stored(tmp_path)
    sig = Path(artifacts.path_of(str(tmp_path), uri).as_posix() + ".sig").read_text().strip()
    assert sig == signing.signature(os.environ["ZYGARDE_ARTIFACT_KEY"].encode(), "job-1/model.joblib", sha)
    assert list(artifacts.load(str(tmp_path), uri, sha).predict([[0.0], [3.0]])) == [0, 1]


def test_a_forged_artifact_with_its_matching_sha256_is_refused_unpickled(tmp_path: Path) -> None:
    uri, _ = _stored(tmp_path)
    path = artifacts.path_of(str(tmp_path), uri)
    forged, forged_sha = forged_pickle()
    path.write_bytes(forged)  # what an attacker with the store and the folder writes (and the sha256)
    with pytest.raises(ArtifactIntegrityError, match="signature mismatch.*refusing to load"):
        artifacts.load(str(tmp_path), uri, forged_sha)


def test_an_artifact_without_a_signature_is_refused(tmp_path: Path) -> None:
    uri, sha = _stored(tmp_path)
    Path(artifacts.path_of(str(tmp_path), uri).as_posix() + ".sig").unlink()
    with pytest.raises(ArtifactIntegrityError, match="no signature"):
        artifacts.load(str(tmp_path), uri, sha)


def test_a_signed_artifact_moved_to_another_jobs_place_is_refused(tmp_path: Path) -> None:
    uri, sha = _stored(tmp_path)
    source = artifacts.path_of(str(tmp_path), uri)
    other = tmp_path / "job-2" / "model.joblib"
    other.parent.mkdir()
    shutil.copy(source, other)
    shutil.copy(source.as_posix() + ".sig", other.as_posix() + ".sig")
    with pytest.raises(ArtifactIntegrityError, match="signature mismatch"):
        artifacts.load(str(tmp_path), other.as_uri(), sha)


def test_another_deployments_key_does_not_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri, sha = _stored(tmp_path)
    monkeypatch.setenv("ZYGARDE_ARTIFACT_KEY", "the-key-of-another-deployment")
    with pytest.raises(ArtifactIntegrityError, match="signature mismatch"):
        artifacts.load(str(tmp_path), uri, sha)


def test_the_key_comes_from_the_home_when_not_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZYGARDE_ARTIFACT_KEY")
    monkeypatch.setenv("ZYGARDE_HOME", str(tmp_path / "home"))
    uri, sha = _stored(tmp_path / "store")
    key = tmp_path / "home" / "artifact-key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert artifacts.load(str(tmp_path / "store"), uri, sha) is not None
    key.write_text("x" * 43)  # another key in the same home: the old signature no longer holds
    with pytest.raises(ArtifactIntegrityError, match="signature mismatch"):
        artifacts.load(str(tmp_path / "store"), uri, sha)
