"""Configuration from the environment, read once at start-up (pydantic-settings).

Every variable of CONTRACT.md lives here, with the contract's default. Services build one
settings object in ``__main__`` and pass it down; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Shared settings; each service subclasses it with its own prefix for its own knobs."""

    model_config = SettingsConfigDict(env_prefix="ZYGARDE_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_uri: str = "mongodb://127.0.0.1:27017/zygarde"
    planner_url: str = "http://127.0.0.1:8080"
    prometheus_url: str = "http://127.0.0.1:9090"
    topic_prefix: str = "zygarde."
    admin_token: SecretStr | None = None
    data_roots: str = ""
    home: Path = Path(".zygarde")
    artifact_uri: str = ""
    cache_dir: Path = Field(default=REPO_ROOT / ".cache", description="installed jars, binaries, datasets")
    log_level: str = "INFO"
    log_json: bool = True
    metrics_addr: str = Field("127.0.0.1", description="interface the services' /metrics ports listen on")
    # the spark engine (docs/spark.md): read by the planner (auto), the trainers and the selector
    spark_min_bytes: int = Field(1024**3, ge=0, description="engine auto picks spark for datasets this big")
    spark_master: str = Field("local[2]", description="spark.master: local[N], spark://host:7077, k8s://...")
    spark_driver_memory: str = "2g"
    spark_conf: dict[str, str] = Field(default_factory=dict, description="more spark.* settings (JSON object)")
    spark_max_bytes: int = Field(1024**4, ge=1, description="largest dataset file the spark engine reads")
    spark_s3a_roots: str = Field("", description="comma-separated s3a://bucket/prefix/ roots spark may read")

    @model_validator(mode="after")
    def _absolute_home(self) -> Settings:
        object.__setattr__(self, "home", self.home.expanduser().resolve())
        object.__setattr__(self, "cache_dir", self.cache_dir.expanduser().resolve())
        if not self.topic_prefix or any(c.isspace() for c in self.topic_prefix):
            raise ValueError("ZYGARDE_TOPIC_PREFIX must be a non-empty name without spaces")
        return self

    @cached_property
    def data_root_paths(self) -> list[Path]:
        """Folders datasets may be read from: the variable, else ``$HOME/data`` + bundled examples."""
        if self.data_roots:
            roots = [Path(p) for p in self.data_roots.split(":") if p]
        else:
            roots = [self.home / "data", REPO_ROOT / "examples" / "data"]
        return [r.expanduser().resolve() for r in roots]

    @property
    def artifact_root(self) -> str:
        return self.artifact_uri or str(self.home / "artifacts")

    @property
    def dataset_cache(self) -> Path:
        return self.home / "cache" / "datasets"

    def token(self) -> str:
        """The admin bearer token: the variable, else the file the first ``up`` generated."""
        if self.admin_token is not None:
            return self.admin_token.get_secret_value()
        path = self.home / "admin-token"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32))
        return path.read_text().strip()

    def consumer_group(self, role: str) -> str:
        """The Kafka consumer group of a service role, derived from the topic prefix, so two
        deployments (or two tests) on one broker never share a group: ``zygarde.`` gives
        ``zygarde-trainers``, the name the deploy manifests and KEDA use."""
        return f"{self.topic_prefix.rstrip('.').replace('.', '-')}-{role}"

    def mongo_database(self) -> str:
        from pymongo.uri_parser import parse_uri

        return parse_uri(self.mongo_uri).get("database") or "zygarde"

    def child_env(self) -> dict[str, str]:
        """Environment for processes we start, so they see the same configuration."""
        env = dict(os.environ)
        env.update(
            ZYGARDE_KAFKA_BOOTSTRAP=self.kafka_bootstrap,
            ZYGARDE_MONGO_URI=self.mongo_uri,
            ZYGARDE_TOPIC_PREFIX=self.topic_prefix,
            ZYGARDE_HOME=str(self.home),
            ZYGARDE_PLANNER_URL=self.planner_url,
            ZYGARDE_PROMETHEUS_URL=self.prometheus_url,
        )
        if self.data_roots:
            env["ZYGARDE_DATA_ROOTS"] = self.data_roots
        if self.artifact_uri:
            env["ZYGARDE_ARTIFACT_URI"] = self.artifact_uri
        return env


def load() -> Settings:
    return Settings()
