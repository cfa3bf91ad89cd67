"""The artifacts: fitted pipelines as joblib objects with their sha256, in the artifact store
(``zygarde.registry.stores``: a folder or ``s3://bucket/prefix/``).

Artifacts are only ever loaded from our own store, and only after their bytes match the hash
recorded when they were written and that hash's signature verifies under this deployment's key
(joblib unpickles: never load anything else; see signing). The checks are the same for every store.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from pathlib import Path
from typing import Any

import joblib

from zygarde.errors import ArtifactIntegrityError
from zygarde.registry import signing
from zygarde.registry.stores import ArtifactStore, open_store
from zygarde.registry.stores.file import FileStore


def folder(root_uri: str | ArtifactStore, job_id: str) -> Path:
    """The job's local folder for files a service writes and serves itself (reports, Spark models)."""
    return open_store(root_uri).local_folder(job_id)


def local_root(root_uri: str | ArtifactStore) -> Path:
    """The folder every :func:`folder` is inside (reports are confined to it when served)."""
    return open_store(root_uri).local_folder("")


def store(root_uri: str | ArtifactStore, job_id: str, model: Any, name: str = "model.joblib") -> tuple[str, str]:
    """Write and sign ``model`` as ``<root>/<job_id>/<name>``; returns (uri, sha256)."""
    if "/" in name or name.startswith(".") or not name.endswith(".joblib"):
        raise ArtifactIntegrityError(f"{name!r} cannot name an artifact")
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    target = open_store(root_uri)
    key = f"{job_id}/{name}"
    uri = target.put(key, data)
    signing.sign_in(target, key, sha)
    return uri, sha


def path_of(root_uri: str | ArtifactStore, uri: str) -> Path:
    """The file an artifact URI names in a folder store, after symlinks and ``..``; refused unless inside."""
    target = open_store(root_uri)
    if not isinstance(target, FileStore):
        raise ArtifactIntegrityError(f"{uri}: the artifact store {target.root_uri} holds no local files")
    return target.path(target.key_of(uri))


def load(root_uri: str | ArtifactStore, uri: str, sha256: str | None) -> Any:
    """The one way to load an artifact: from our store only, and only once the bytes read match the
    sha256 recorded when it was stored (joblib unpickles, so nothing else may ever be loaded)."""
    source = open_store(root_uri)
    key = source.key_of(uri)
    if not sha256:
        raise ArtifactIntegrityError(f"{uri}: no sha256 recorded, refusing to load")
    data = source.get(key)
    actual = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(actual, sha256):
        raise ArtifactIntegrityError(f"{uri}: sha256 mismatch (recorded {sha256[:12]}…, file {actual[:12]}…): "
                                     "the artifact was changed after it was stored; refusing to load it")
    signing.verify_in(source, key, actual)  # who stored it: the hash alone proves no origin
    return joblib.load(io.BytesIO(data))  # the bytes checked, never a second read of the object
