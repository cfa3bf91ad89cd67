"""Datasets in S3 (or an S3-compatible server: MinIO, Ceph, s3proxy), read through a local mirror.

Only configured ``s3://bucket/prefix/`` roots may be read (``ZYGARDE_S3_DATA_ROOTS``); each has a
mirror folder that is one of the data roots, so an ``s3://`` dataset goes through the same checks
as a ``file://`` one once fetched (inside a root, CSV/Parquet, size limit, sha256 of its bytes).
An object is fetched when the mirror's copy is missing or its ETag changed, to a temporary name and
renamed, so a reader never sees half a file. Credentials come from boto3's standard chain
(environment, shared files, instance or pod role), never from Zygarde's settings.

The roots are registered by :class:`zygarde.settings.Settings` when it computes its data roots.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

from zygarde.errors import DatasetError


@dataclass(frozen=True)
class S3Root:
    """``s3://bucket/prefix/`` and the local folder its objects are mirrored into."""

    bucket: str
    prefix: str  # "" or ends with "/"
    mirror: Path
    endpoint_url: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_roots(value: str, mirror_base: Path, endpoint_url: str | None) -> list[S3Root]:
    """``s3://a/x/,s3://b/`` -> roots mirrored under ``mirror_base/<bucket>/<prefix>``."""
    roots = []
    for item in (v.strip() for v in value.split(",")):
        if not item:
            continue
        parsed = urlparse(item)
        parts = PurePosixPath(parsed.path).parts[1:] if parsed.path else ()
        if parsed.scheme != "s3" or not parsed.netloc or ".." in parts or "." in parts:
            raise ValueError(f"ZYGARDE_S3_DATA_ROOTS: {item!r} is not s3://bucket/prefix/")
        prefix = "/".join(parts) + "/" if parts else ""
        roots.append(S3Root(parsed.netloc, prefix, mirror_base / parsed.netloc / prefix, endpoint_url))
    return roots


_roots: dict[str, S3Root] = {}
_lock = threading.Lock()
_clients: dict[str | None, Any] = {}


def register(roots: list[S3Root]) -> None:
    """Allow these roots (in addition to any registered before) in this process."""
    with _lock:
        for root in roots:
            _roots[root.uri] = root


def registered() -> list[S3Root]:
    with _lock:
        return list(_roots.values())


def _root_of(uri: str) -> tuple[S3Root, str]:
    parsed = urlparse(uri)
    key = parsed.path.lstrip("/")
    parts = PurePosixPath(key).parts
    if (not parsed.netloc or not key or key.endswith("/") or ".." in parts or "." in parts or "//" in key
            or parsed.query):
        raise DatasetError(f"dataset.uri: {uri} is not s3://bucket/key")
    roots = registered()
    if not roots:
        raise DatasetError("dataset.uri: s3:// needs ZYGARDE_S3_DATA_ROOTS (no bucket is configured)")
    for root in roots:
        if parsed.netloc == root.bucket and key.startswith(root.prefix):
            return root, key
    raise DatasetError(f"dataset.uri: {uri} is outside the configured s3 roots "
                       f"({', '.join(r.uri for r in roots)})")


def _client(endpoint_url: str | None) -> Any:
    with _lock:
        if endpoint_url not in _clients:
            import boto3

            _clients[endpoint_url] = boto3.client("s3", endpoint_url=endpoint_url)
        return _clients[endpoint_url]


def fetch(uri: str, max_bytes: int) -> Path:
    """The local copy of ``s3://bucket/key`` (inside its root's mirror), fetched if missing or changed."""
    root, key = _root_of(uri)
    local = root.mirror / key.removeprefix(root.prefix)
    client = _client(root.endpoint_url)
    try:
        head = client.head_object(Bucket=root.bucket, Key=key)
    except Exception as exc:  # noqa: BLE001 - missing object, denied, no server: one clear reason
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        raise DatasetError(f"dataset.uri: {uri} cannot be read ({code})") from exc
    size, etag = int(head["ContentLength"]), str(head["ETag"])
    if size > max_bytes:
        raise DatasetError(f"dataset.uri: {uri} is {size} bytes, over the limit of {max_bytes}")
    stamp = local.with_name(local.name + ".etag")
    if local.is_file() and stamp.is_file():
        try:
            if json.loads(stamp.read_text()) == {"etag": etag, "size": size} and local.stat().st_size == size:
                return local
        except (OSError, ValueError):
            pass  # an unreadable stamp: fetch again
    local.parent.mkdir(parents=True, exist_ok=True)
    tmp = local.with_name(f".{local.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        client.download_file(root.bucket, key, str(tmp))
        if tmp.stat().st_size != size:
            raise DatasetError(f"dataset.uri: {uri} changed while it was read; submit again")
        tmp.replace(local)
    finally:
        tmp.unlink(missing_ok=True)
    stamp.write_text(json.dumps({"etag": etag, "size": size}))
    return local
