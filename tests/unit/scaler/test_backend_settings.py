"""Each backend's options come from the environment (zygarde/settings/), and the docker backend
starts trainers that can reach the stack: network, environment, volumes, role label, no auto-remove.

The docker client here records what the backend asks of the engine; the compose end-to-end test
(tests/compose) runs the same backend against a real engine.
"""

from __future__ import annotations

import builtins
import logging
from typing import Any

import pytest

from services.scaler.backends import make_backend
from services.scaler.backends.docker import KAFKA_CLIENT_PATH, LABEL, SCALED_LABEL, DockerBackend
from zygarde.settings import ScalerBackendSettings, Settings


class _Container:
    def __init__(self, name: str, labels: dict[str, str], status: str = "running", code: int = 0) -> None:
        self.name, self.labels, self.status = name, labels, status
        self.attrs = {"Created": name, "State": {"ExitCode": code}}
        self.removed = self.stopped = False

    def logs(self, tail: int) -> bytes:
        return b"KafkaException: no broker at 127.0.0.1:9092\n"

    def stop(self, timeout: int) -> None:
        self.stopped, self.status = True, "exited"

    def remove(self) -> None:
        self.removed = True


class _Containers:
    def __init__(self) -> None:
        self.all: list[_Container] = []
        self.runs: list[dict[str, Any]] = []

    def _match(self, c: _Container, filters: dict[str, Any]) -> bool:
        wanted = filters.get("label", [])
        for label in [wanted] if isinstance(wanted, str) else wanted:
            key, _, value = label.partition("=")
            if key not in c.labels or (value and c.labels[key] != value):
                return False
        return "status" not in filters or c.status == filters["status"]

    def list(self, all: bool = False, filters: dict[str, Any] | None = None) -> builtins.list[_Container]:
        return [c for c in self.all if not c.removed and self._match(c, filters or {})]

    def run(self, image: str, command: builtins.list[str], **kwargs: Any) -> _Container:
        self.runs.append({"image": image, "command": command, **kwargs})
        container = _Container(f"c{len(self.all)}", kwargs.get("labels", {}))
        self.all.append(container)
        return container


class _Client:
    def __init__(self) -> None:
        self.containers = _Containers()

    def close(self) -> None:
        pass


ENV = {
    "ZYGARDE_KAFKA_BOOTSTRAP": "kafka:9092",
    "ZYGARDE_MONGO_URI": "mongodb://mongo:27017/zygarde",
    "ZYGARDE_ADMIN_TOKEN": "s3cret-admin-token",
    "ZYGARDE_SCALER_BACKEND": "docker",
    "ZYGARDE_SCALER_DOCKER_IMAGE": "zygarde:0.1.0",
    "ZYGARDE_SCALER_DOCKER_NETWORK": "zygarde",
    "ZYGARDE_SCALER_DOCKER_VOLUMES": "zygarde-artifacts:/var/lib/zygarde/artifacts, /srv/data:/data:ro",
    "ZYGARDE_METRICS_ADDR": "0.0.0.0",
}


def test_docker_options_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    options = ScalerBackendSettings().backend_options("docker", Settings())
    assert options["image"] == "zygarde:0.1.0" and options["network"] == "zygarde"
    assert options["volumes"] == ["zygarde-artifacts:/var/lib/zygarde/artifacts", "/srv/data:/data:ro"]
    env = options["environment"]
    assert isinstance(env, dict)
    assert env["ZYGARDE_KAFKA_BOOTSTRAP"] == "kafka:9092" and env["ZYGARDE_METRICS_ADDR"] == "0.0.0.0"
    assert env["ZYGARDE_MONGO_URI"] == "mongodb://mongo:27017/zygarde"
    assert "ZYGARDE_ADMIN_TOKEN" not in env, "a trainer never needs the admin token"
    assert not any(k.startswith("ZYGARDE_SCALER_") for k in env)
    assert not any(not k.startswith("ZYGARDE_") for k in env), "only the shared settings travel"


def test_aws_group_region_and_endpoint_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYGARDE_SCALER_AWS_GROUP", "ml-trainers")
    monkeypatch.setenv("ZYGARDE_SCALER_AWS_REGION", "us-east-2")
    monkeypatch.setenv("ZYGARDE_SCALER_AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    options = ScalerBackendSettings().backend_options("aws", Settings())
    assert options == {"group": "ml-trainers", "region": "us-east-2", "endpoint_url": "http://127.0.0.1:5999"}
    backend: Any = make_backend("aws", **options)
    assert backend.group == "ml-trainers"
    assert backend.client.meta.region_name == "us-east-2"
    assert backend.client.meta.endpoint_url == "http://127.0.0.1:5999"


def test_kubernetes_and_local_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYGARDE_SCALER_K8S_NAMESPACE", "ml")
    settings = ScalerBackendSettings()
    assert settings.backend_options("kubernetes", Settings()) == {"deployment": "zygarde-trainer", "namespace": "ml"}
    shared = Settings()
    local = settings.backend_options("local", shared)
    assert local["log_dir"] == shared.home / "logs" and "env" in local


def test_docker_backend_starts_trainers_that_reach_the_stack() -> None:
    client = _Client()
    options = {"image": "zygarde:0.1.0", "network": "zygarde", "environment": {"ZYGARDE_KAFKA_BOOTSTRAP": "kafka:9092"},
               "volumes": ["zygarde-artifacts:/var/lib/zygarde/artifacts"]}
    backend = DockerBackend(client=client, **options)  # type: ignore[arg-type]
    # compose's own trainer replica carries the role label: it is counted
    client.containers.all.append(_Container("a-compose", {"dev.zygarde.role": "trainer"}))
    assert backend.current() == 1
    backend.scale_to(3)
    assert backend.current() == 3 and backend.started == 2
    for run in client.containers.runs:
        assert run["image"] == "zygarde:0.1.0" and run["command"] == ["run", "trainer"]
        assert run["network"] == "zygarde"
        assert run["environment"] == {"ZYGARDE_KAFKA_BOOTSTRAP": "kafka:9092"}
        assert run["volumes"] == ["zygarde-artifacts:/var/lib/zygarde/artifacts"]
        assert run["labels"]["dev.zygarde.role"] == "trainer" and SCALED_LABEL in run["labels"]
        assert not run.get("auto_remove"), "a trainer that dies must leave its exit code to be read"
        assert run["init"] is True, "the trainer must not be PID 1: it would drop an early SIGTERM"
    backend.scale_to(0)
    assert backend.current() == 0 and backend.stopped == 3
    assert LABEL == "dev.zygarde.role=trainer"


def test_a_trainer_that_died_is_reported_and_removed(caplog: pytest.LogCaptureFixture) -> None:
    client = _Client()
    backend = DockerBackend(client=client)
    backend.scale_to(1)
    dead = client.containers.all[0]
    dead.status, dead.attrs["State"] = "exited", {"ExitCode": 1}
    compose_stopped = _Container("compose", {"dev.zygarde.role": "trainer"}, status="exited", code=1)
    client.containers.all.append(compose_stopped)
    with caplog.at_level(logging.ERROR, logger="zygarde.scaler.docker"):
        assert backend.current() == 0
    assert dead.removed and "exited with 1" in caplog.text and "no broker" in caplog.text
    assert not compose_stopped.removed, "only containers the scaler started are removed"


def test_a_scale_in_drains_its_trainers_at_once() -> None:
    """Stopping two trainers one after the other bills the second through the first one's drain: both
    stops must be under way together (a stop that waits for the other's times out here)."""
    import threading

    both = threading.Barrier(2, timeout=5)

    class _Draining(_Container):
        def stop(self, timeout: int) -> None:
            both.wait()  # returns only once the other trainer's stop has begun too
            super().stop(timeout)

    client = _Client()
    backend = DockerBackend(client=client)
    client.containers.all += [_Draining(f"d{i}", {"dev.zygarde.role": "trainer"}) for i in range(2)]
    backend.scale_to(0)
    assert backend.current() == 0 and backend.stopped == 2


def test_docker_trainers_get_the_trainer_principal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scaler's own Kafka client file never travels: each trainer gets the trainer's, read-only."""
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ZYGARDE_KAFKA_CLIENT_PROPERTIES", "/run/secrets/kafka-client.properties")
    monkeypatch.setenv("ZYGARDE_SCALER_DOCKER_KAFKA_CLIENT_PROPERTIES", "/srv/secrets/kafka-trainer.properties")
    options = ScalerBackendSettings().backend_options("docker", Settings())
    client = _Client()
    backend = DockerBackend(client=client, **options)  # type: ignore[arg-type]
    backend.scale_to(1)
    run = client.containers.runs[0]
    assert run["environment"]["ZYGARDE_KAFKA_CLIENT_PROPERTIES"] == KAFKA_CLIENT_PATH
    secrets = [v for v in run["volumes"] if "secrets" in v]
    assert secrets == [f"/srv/secrets/kafka-trainer.properties:{KAFKA_CLIENT_PATH}:ro"]
    # without a trainer file configured, the scaler's own path is not passed on either
    monkeypatch.delenv("ZYGARDE_SCALER_DOCKER_KAFKA_CLIENT_PROPERTIES")
    bare = DockerBackend(client=_Client(), **ScalerBackendSettings().backend_options("docker", Settings()))  # type: ignore[arg-type]
    assert "ZYGARDE_KAFKA_CLIENT_PROPERTIES" not in bare.environment
    assert not any("secrets" in v for v in bare.volumes)
