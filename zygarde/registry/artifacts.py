"""The artifact store: fitted pipelines as joblib files with their sha256.

Artifacts are only ever loaded from our own store, and only after their bytes match the hash
recorded when they were written and that hash's signature verifies under this deployment's key
(joblib unpickles: never load anything else; see signing).
"""

from __future__ import annotations

import hashlib
import hmac
import io
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import joblib

from zygarde.errors import ArtifactIntegrityError, ZygardeError
from zygarde.registry import signing


def _root(root_uri: str) -> Path:
    if root_uri.startswith("s3://"):
        raise ZygardeError("s3:// artifact stores need the s3 extra (not configured here)")
    return Path(root_uri.removeprefix("file://")).expanduser().resolve()


def folder(root_uri: str, job_id: str) -> Path:
    return _root(root_uri) / job_id


def store(root_uri: str, job_id: str, model: Any, name: str = "model.joblib") -> tuple[str, str]:
    """Write ``model`` under ``<root>/<job_id>/<name>``; returns (uri, sha256)."""
    if "/" in name or name.startswith(".") or not name.endswith(".joblib"):
        raise ArtifactIntegrityError(f"{name!r} cannot name an artifact")
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    path = _root(root_uri) / job_id / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    signing.sign(_root(root_uri), path, sha)
    return path.as_uri(), sha


def path_of(root_uri: str, uri: str) -> Path:
    """The file an artifact URI names, after symlinks and ``..``; refused unless inside the store."""
    root = _root(root_uri)
    parsed = urlparse(uri)
    if parsed.scheme not in ("file", "") or parsed.netloc not in ("", "localhost"):
        raise ArtifactIntegrityError(f"{uri} is not a file in the artifact store {root}")
    path = Path(unquote(parsed.path)).resolve()
    if root not in path.parents:
        raise ArtifactIntegrityError(f"{uri} is not inside the artifact store {root}")
    return path


def load(root_uri: str, uri: str, sha256: str | None) -> Any:
    """The one way to load an artifact: from our store only, and only once the bytes read match the
    sha256 recorded when it was stored (joblib unpickles, so nothing else may ever be loaded)."""
    path = path_of(root_uri, uri)
    if not sha256:
        raise ArtifactIntegrityError(f"{uri}: no sha256 recorded, refusing to load")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactIntegrityError(f"{uri}: cannot read the artifact ({type(exc).__name__})") from exc
    actual = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(actual, sha256):
        raise ArtifactIntegrityError(f"{uri}: sha256 mismatch (recorded {sha256[:12]}…, file {actual[:12]}…): "
                                     "the artifact was changed after it was stored; refusing to load it")
    signing.verify(_root(root_uri), path, actual)  # who stored it: the hash alone proves no origin
    return joblib.load(io.BytesIO(data))  # the bytes checked, never a second read of the file
