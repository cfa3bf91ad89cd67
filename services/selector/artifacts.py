"""The artifact store: fitted pipelines as joblib files with their sha256.

Artifacts are only ever loaded from our own store, and only after their bytes match the hash
recorded when they were written (joblib unpickles: never load anything else).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import joblib

from zygarde.errors import ArtifactIntegrityError, ZygardeError


def _root(root_uri: str) -> Path:
    if root_uri.startswith("s3://"):
        raise ZygardeError("s3:// artifact stores need the s3 extra (not configured here)")
    return Path(root_uri.removeprefix("file://")).expanduser().resolve()


def folder(root_uri: str, job_id: str) -> Path:
    return _root(root_uri) / job_id


def store(root_uri: str, job_id: str, model: Any) -> tuple[str, str]:
    """Write ``model`` under ``<root>/<job_id>/model.joblib``; returns (uri, sha256)."""
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    path = _root(root_uri) / job_id / "model.joblib"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path.as_uri(), sha


def load(root_uri: str, uri: str, sha256: str) -> Any:
    """Load an artifact of our store after checking its hash; refuse anything else."""
    root = _root(root_uri)
    path = Path(uri.removeprefix("file://")).resolve()
    if root not in path.parents:
        raise ArtifactIntegrityError(f"{uri} is not inside the artifact store {root}")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ArtifactIntegrityError(f"{uri}: sha256 mismatch, refusing to load")
    return joblib.load(io.BytesIO(data))
