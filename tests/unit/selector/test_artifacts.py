"""Artifacts load only from the store and only when their bytes match the recorded sha256."""

from __future__ import annotations

import re
from pathlib import Path

import joblib
import pytest
from sklearn.linear_model import LogisticRegression

from zygarde.errors import ArtifactIntegrityError
from zygarde.registry import artifacts


def _stored(tmp_path: Path) -> tuple[str, str, str]:
    root = str(tmp_path / "store with space")
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    uri, sha = artifacts.store(root, "job-1", model)
    return root, uri, sha


def test_untouched_artifact_loads(tmp_path: Path) -> None:
    root, uri, sha = _stored(tmp_path)
    assert list(artifacts.load(root, uri, sha).predict([[0.0], [3.0]])) == [0, 1]


def test_changed_bytes_are_refused(tmp_path: Path) -> None:
    root, uri, sha = _stored(tmp_path)
    path = artifacts.path_of(root, uri)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match="sha256 mismatch.*refusing to load"):
        artifacts.load(root, uri, sha)


def test_replaced_pickle_is_refused(tmp_path: Path) -> None:
    root, uri, sha = _stored(tmp_path)
    joblib.dump({"not": "the model"}, artifacts.path_of(root, uri))
    with pytest.raises(ArtifactIntegrityError, match="sha256 mismatch"):
        artifacts.load(root, uri, sha)


def test_outside_the_store_is_refused_even_with_the_right_hash(tmp_path: Path) -> None:
    root, uri, sha = _stored(tmp_path)
    outside = tmp_path / "elsewhere.joblib"
    outside.write_bytes(artifacts.path_of(root, uri).read_bytes())
    for sneaky in (outside.as_uri(), f"{uri.rsplit('/', 2)[0]}/../elsewhere.joblib", "http://example.com/m.joblib"):
        with pytest.raises(ArtifactIntegrityError, match="artifact store"):
            artifacts.load(root, sneaky, sha)
    link = Path(artifacts.folder(root, "job-2"))
    link.mkdir(parents=True)
    (link / "model.joblib").symlink_to(outside)
    with pytest.raises(ArtifactIntegrityError, match="artifact store"):
        artifacts.load(root, (link / "model.joblib").as_uri(), sha)


def test_no_recorded_hash_is_refused(tmp_path: Path) -> None:
    root, uri, _ = _stored(tmp_path)
    with pytest.raises(ArtifactIntegrityError, match="no sha256"):
        artifacts.load(root, uri, None)


def test_the_artifact_store_is_the_only_place_that_unpickles() -> None:
    root = Path(__file__).resolve().parents[3]
    pattern = re.compile(r"joblib\.load\(|pickle\.loads?\(|cloudpickle|dill\.load")
    offenders = [str(p.relative_to(root)) for folder in ("services", "zygarde", "bench")
                 for p in (root / folder).rglob("*.py")
                 if pattern.search(p.read_text()) and p != root / "zygarde" / "registry" / "artifacts.py"]
    assert offenders == []
