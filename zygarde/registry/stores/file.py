"""The folder store: artifacts as files under one directory (``file:///path`` or a plain path)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from zygarde.errors import ArtifactIntegrityError
from zygarde.registry.stores import ArtifactStore, check_key


class FileStore(ArtifactStore):
    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        self.root_uri = str(self.root)

    @classmethod
    def from_uri(cls, root_uri: str) -> FileStore:
        return cls(Path(unquote(root_uri.removeprefix("file://"))))

    def path(self, key: str) -> Path:
        """The file at ``key``, after symlinks; refused unless inside the root."""
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise ArtifactIntegrityError(f"{key} is not inside the artifact store {self.root}")
        return path

    def uri(self, key: str) -> str:
        return self.path(key).as_uri()

    def key_of(self, uri: str) -> str:
        parsed = urlparse(uri)
        if parsed.scheme not in ("file", "") or parsed.netloc not in ("", "localhost"):
            raise ArtifactIntegrityError(f"{uri} is not a file in the artifact store {self.root}")
        path = Path(unquote(parsed.path)).resolve()
        if self.root not in path.parents:
            raise ArtifactIntegrityError(f"{uri} is not inside the artifact store {self.root}")
        return path.relative_to(self.root).as_posix()

    def put(self, key: str, data: bytes) -> str:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return path.as_uri()

    def get(self, key: str) -> bytes:
        path = self.path(key)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ArtifactIntegrityError(f"{path.as_uri()}: cannot read it from the artifact store "
                                         f"({type(exc).__name__})") from exc

    def signed_name(self, key: str) -> str:
        return self.path(key).relative_to(self.root).as_posix()  # as signed since signatures began

    def local_folder(self, key: str) -> Path:
        return self.path(key) if key else self.root
