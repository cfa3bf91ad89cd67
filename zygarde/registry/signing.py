"""Signed artifacts: the sha256 recorded beside an artifact proves its bytes did not change, not who
wrote them (whoever can write the store can replace both). Each artifact therefore gets an HMAC-SHA256
signature, by a key the services hold and never store beside it, over its place in the store and its
sha256; it is checked before anything is unpickled."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from zygarde.errors import ArtifactIntegrityError
from zygarde.settings import artifact_key

DOMAIN = b"zygarde-artifact-v1"
SUFFIX = ".sig"


def signature(key: bytes, relative: str, sha256: str) -> str:
    """HMAC-SHA256 over the artifact's path inside the store and its sha256: a signed artifact moved to
    another job's place, or another artifact put in its place, no longer verifies."""
    return hmac.new(key, b"\0".join([DOMAIN, relative.encode(), sha256.encode()]), hashlib.sha256).hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def sign(root: Path, path: Path, sha256: str, key: bytes | None = None) -> None:
    """Write the signature of the artifact at ``path`` (inside ``root``) next to it."""
    sig = signature(key if key is not None else artifact_key(), path.relative_to(root).as_posix(), sha256)
    tmp = _sidecar(path).with_suffix(".sigtmp")
    tmp.write_text(sig + "\n")
    tmp.replace(_sidecar(path))


def verify(root: Path, path: Path, sha256: str, key: bytes | None = None) -> None:
    """Raise ``ArtifactIntegrityError`` unless ``path``'s signature matches ``sha256`` (the digest of the
    bytes about to be loaded) under this deployment's key."""
    try:
        recorded = _sidecar(path).read_text().strip()
    except OSError as exc:
        raise ArtifactIntegrityError(f"{path.name}: no signature beside the artifact; refusing to load an "
                                     "artifact this deployment did not sign") from exc
    expected = signature(key if key is not None else artifact_key(), path.relative_to(root).as_posix(), sha256)
    if not hmac.compare_digest(recorded, expected):
        raise ArtifactIntegrityError(f"{path.name}: signature mismatch: the artifact was not stored by a "
                                     "service holding this deployment's key; refusing to load it")
