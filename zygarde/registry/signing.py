"""Signed artifacts: the sha256 recorded beside an artifact proves its bytes did not change, not who
wrote them (whoever can write the store can replace both). Each artifact therefore gets an HMAC-SHA256
signature, by a key the services hold and never store beside it, over its place in the store and its
sha256; it is checked before anything is unpickled."""

from __future__ import annotations

import hashlib
import hmac

from zygarde.errors import ArtifactIntegrityError
from zygarde.registry.stores import ArtifactStore
from zygarde.settings import artifact_key

DOMAIN = b"zygarde-artifact-v1"
SUFFIX = ".sig"


def signature(key: bytes, relative: str, sha256: str) -> str:
    """HMAC-SHA256 over the artifact's path inside the store and its sha256: a signed artifact moved to
    another job's place, or another artifact put in its place, no longer verifies."""
    return hmac.new(key, b"\0".join([DOMAIN, relative.encode(), sha256.encode()]), hashlib.sha256).hexdigest()


def sign_in(store: ArtifactStore, name: str, sha256: str, key: bytes | None = None) -> None:
    """Store the signature of the artifact at ``name`` beside it (``<name>.sig``), over the place the store
    gives it (a folder store: the path inside it; S3: the whole ``s3://`` URI) and ``sha256``."""
    sig = signature(key if key is not None else artifact_key(), store.signed_name(name), sha256)
    store.put(name + SUFFIX, (sig + "\n").encode())


def verify_in(store: ArtifactStore, name: str, sha256: str, key: bytes | None = None) -> None:
    """Raise ``ArtifactIntegrityError`` unless the signature beside ``name`` matches ``sha256`` (the digest
    of the bytes about to be loaded) under this deployment's key."""
    label = name.rsplit("/", 1)[-1]
    try:
        recorded = store.get(name + SUFFIX).decode(errors="replace").strip()
    except ArtifactIntegrityError as exc:
        raise ArtifactIntegrityError(f"{label}: no signature beside the artifact; refusing to load an "
                                     "artifact this deployment did not sign") from exc
    expected = signature(key if key is not None else artifact_key(), store.signed_name(name), sha256)
    if not hmac.compare_digest(recorded, expected):
        raise ArtifactIntegrityError(f"{label}: signature mismatch: the artifact was not stored by a "
                                     "service holding this deployment's key; refusing to load it")

