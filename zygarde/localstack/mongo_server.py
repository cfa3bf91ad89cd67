"""The MongoDB-wire server of the local stack: FerretDB (SQLite backend) built from ``deploy/local/mongowire``."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from zygarde.errors import StackError
from zygarde.localstack.component import LOCAL, Component, port_open, run_install_step


class MongoComponent(Component):
    """FerretDB v1 with its SQLite backend, built from ``deploy/local/mongowire`` (a Go module of ours)."""

    name = "mongo"
    marker = "ferretdb-sqlite"

    @property
    def binary(self) -> Path:
        return self.settings.cache_dir / "bin" / "ferretdb-sqlite"

    @property
    def address(self) -> str:
        return self.settings.mongo_uri

    def _source_hash(self) -> str:
        """The Go module's sources: the server is rebuilt when they change, not only when missing."""
        digest = hashlib.sha256()
        module = LOCAL / "mongowire"
        for path in sorted([*module.glob("*.go"), module / "go.mod", module / "go.sum"]):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def install(self) -> None:
        stamp = self.binary.with_name(self.binary.name + ".src-sha256")
        source = self._source_hash()
        if self.binary.exists() and stamp.exists() and stamp.read_text() == source:
            return
        if shutil.which("go") is None:
            raise StackError("mongo", "Go is needed to build the FerretDB (SQLite) server")
        self.binary.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(GOMODCACHE=str(self.settings.cache_dir / "go" / "mod"),
                   GOCACHE=str(self.settings.cache_dir / "go" / "build"), GOFLAGS="-mod=mod", CGO_ENABLED="0")
        run_install_step("mongo", ["go", "build", "-trimpath", "-o", str(self.binary), "."], self.install_log,
                         cwd=LOCAL / "mongowire", env=env)
        stamp.write_text(source)

    def _hostport(self) -> tuple[str, int]:
        parsed = urlparse(self.settings.mongo_uri)
        return parsed.hostname or "127.0.0.1", parsed.port or 27017

    def ports(self) -> list[tuple[str, int]]:
        return [self._hostport()]

    def command(self) -> list[str]:
        host, port = self._hostport()
        return [str(self.binary), "-listen", f"{host}:{port}", "-dir", str(self.settings.home / "mongo")]

    def ready(self) -> bool:
        host, port = self._hostport()
        if not port_open(host, port):
            return False
        from pymongo import MongoClient

        try:
            client: MongoClient[dict[str, Any]] = MongoClient(self.settings.mongo_uri, serverSelectionTimeoutMS=2000)
            client.admin.command("ping")
            client.close()
            return True
        except Exception:  # noqa: BLE001
            return False
