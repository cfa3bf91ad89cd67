"""The S3 store: artifacts as objects under ``s3://bucket/prefix/`` (AWS S3 or an S3-compatible server).

Only keys under the configured prefix are read or written. Credentials come from boto3's standard chain
(environment, shared files, instance or pod role), never from Zygarde's settings; the endpoint and the
local working folder (reports, Spark models) are set by :class:`zygarde.settings.Settings` through
:func:`configure`. A ``put`` is one PUT request, so a reader sees the whole object or none of it.
"""

from __future__ import annotations

import threading
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

from zygarde.errors import ArtifactIntegrityError, ZygardeError
from zygarde.registry.stores import ArtifactStore, check_key

_config: dict[str, Any] = {"endpoint_url": None, "local_base": None}
_clients: dict[str | None, Any] = {}
_lock = threading.Lock()


def configure(endpoint_url: str | None, local_base: Path) -> None:
    """This process's S3 endpoint (None: AWS) and the folder remote stores keep local files in."""
    with _lock:
        _config.update(endpoint_url=endpoint_url, local_base=local_base)


def parse(root_uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> (``bucket``, ``a/b/``); anything else is refused."""
    parsed = urlparse(root_uri)
    path = parsed.path.strip("/")
    parts = PurePosixPath(path).parts if path else ()
    if parsed.scheme != "s3" or not parsed.netloc or parsed.query or "//" in parsed.path.rstrip("/") \
            or any(p in (".", "..") for p in parts):
        raise ZygardeError(f"ZYGARDE_ARTIFACT_URI: {root_uri!r} is not s3://bucket/prefix/")
    return parsed.netloc, "/".join(parts) + "/" if parts else ""


def _client(endpoint_url: str | None) -> Any:
    with _lock:
        if endpoint_url not in _clients:
            import boto3

            _clients[endpoint_url] = boto3.client("s3", endpoint_url=endpoint_url)
        return _clients[endpoint_url]


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__)


class S3Store(ArtifactStore):
    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None = None,
                 local_base: Path | None = None) -> None:
        self.bucket, self.prefix = bucket, prefix
        self.endpoint_url = endpoint_url
        self.local_base = local_base
        self.root_uri = f"s3://{bucket}/{prefix}"

    @classmethod
    def from_uri(cls, root_uri: str) -> S3Store:
        bucket, prefix = parse(root_uri)
        with _lock:
            return cls(bucket, prefix, _config["endpoint_url"], _config["local_base"])

    def _object(self, key: str) -> str:
        if not check_key(key) or key.endswith("/"):
            raise ArtifactIntegrityError(f"{key!r} cannot name an object in the artifact store {self.root_uri}")
        return self.prefix + key

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._object(key)}"

    def key_of(self, uri: str) -> str:
        parsed = urlparse(uri)
        name = parsed.path.removeprefix("/")
        if parsed.scheme != "s3" or parsed.netloc != self.bucket or parsed.query or parsed.fragment \
                or not name.startswith(self.prefix):
            raise ArtifactIntegrityError(f"{uri} is not inside the artifact store {self.root_uri}")
        key = name.removeprefix(self.prefix)
        self._object(key)
        return key

    def put(self, key: str, data: bytes) -> str:
        name = self._object(key)
        try:
            _client(self.endpoint_url).put_object(Bucket=self.bucket, Key=name, Body=data)
        except Exception as exc:  # noqa: BLE001 - denied, no bucket, no server: one clear reason
            raise ArtifactIntegrityError(f"{self.uri(key)}: cannot write it to the artifact store "
                                         f"({_code(exc)})") from exc
        return self.uri(key)

    def get(self, key: str) -> bytes:
        name = self._object(key)
        try:
            data: bytes = _client(self.endpoint_url).get_object(Bucket=self.bucket, Key=name)["Body"].read()
        except Exception as exc:  # noqa: BLE001 - missing, denied, no server: one clear reason
            code = _code(exc)
            what = "no such object in" if code in ("NoSuchKey", "404") else "cannot read it from"
            raise ArtifactIntegrityError(f"{self.uri(key)}: {what} the artifact store ({code})") from exc
        return data

    def signed_name(self, key: str) -> str:
        return self.uri(key)  # bucket and prefix included: a signed object copied elsewhere never verifies

    def local_folder(self, key: str) -> Path:
        if self.local_base is None:
            raise ZygardeError("the s3 artifact store has no local folder (Settings configures it)")
        base = self.local_base / self.bucket / self.prefix
        return base / check_key(key) if key else base
