"""Where artifacts live: one small interface, one file per implementation, one registry line each.

Every artifact a service writes (fitted pipelines, out-of-fold predictions, their signatures) and every
read of one goes through an :class:`ArtifactStore` picked by the scheme of the configured root
(``ZYGARDE_ARTIFACT_URI``): a folder (``file://`` or a plain path) or ``s3://bucket/prefix/``. A store
names its objects by *keys* relative to its root (``<job>/model.joblib``) and refuses any URI or key
outside that root. It moves bytes only: hashes and signatures are checked by ``artifacts`` and
``signing`` before anything is unpickled, the same way for every store.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from zygarde.errors import ArtifactIntegrityError, ZygardeError

# scheme -> "<module>:<class>" in this package
STORES = {
    "file": "file:FileStore",
    "s3": "s3:S3Store",
}


class ArtifactStore(ABC):
    """Bytes under keys inside one root; nothing outside it is ever read or written."""

    root_uri: str

    @classmethod
    @abstractmethod
    def from_uri(cls, root_uri: str) -> ArtifactStore:
        """The store rooted at ``root_uri``."""

    @abstractmethod
    def uri(self, key: str) -> str:
        """The URI recorded for the object at ``key`` (what events and the registry carry)."""

    @abstractmethod
    def key_of(self, uri: str) -> str:
        """The key a URI names; ``ArtifactIntegrityError`` unless it is inside this store."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> str:
        """Write ``data`` at ``key`` whole (a reader never sees part of it); returns its URI."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The object's bytes; ``ArtifactIntegrityError`` naming the URI when it cannot be read."""

    @abstractmethod
    def signed_name(self, key: str) -> str:
        """What an artifact's signature covers besides its sha256: where it lives in this store."""

    @abstractmethod
    def local_folder(self, key: str) -> Path:
        """A folder on this machine for files a service writes and serves itself (reports, Spark
        models): inside the store for a folder store, in a local working folder for a remote one."""


def check_key(key: str) -> str:
    """A relative key without empty, ``.`` or ``..`` parts (``""`` is the root)."""
    parts = PurePosixPath(key).parts
    if key.startswith("/") or "\\" in key or "//" in key or any(p in (".", "..") for p in parts) \
            or key != "/".join(parts):
        raise ArtifactIntegrityError(f"{key[:80]!r} cannot name an object in the artifact store")
    return key


def open_store(root: str | ArtifactStore) -> ArtifactStore:
    """The store for a root URI (a store is returned as it is)."""
    if isinstance(root, ArtifactStore):
        return root
    scheme = urlparse(root).scheme if "://" in root else "file"
    entry = STORES.get(scheme)
    if entry is None:
        raise ZygardeError(f"ZYGARDE_ARTIFACT_URI: no artifact store for {scheme}:// "
                           f"(known: {', '.join(sorted(STORES))})")
    module, cls = entry.split(":")
    store: ArtifactStore = getattr(importlib.import_module(f"{__name__}.{module}"), cls).from_uri(root)
    return store
