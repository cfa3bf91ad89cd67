"""Trainer containers on a Docker engine (docker SDK), found by label."""

from __future__ import annotations

import logging
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from services.scaler.backends._base import BaseScalerBackend, host_of

ROLE_LABEL = "dev.zygarde.role"
LABEL = f"{ROLE_LABEL}=trainer"
SCALED_LABEL = "dev.zygarde.scaled-by"
# the network a scaled trainer was started on: its stack, so an exited one is reaped by its own scaler only
STACK_LABEL = "dev.zygarde.stack"
# where a scaled trainer finds its Kafka principal's client settings (compose's secrets are there too)
KAFKA_CLIENT_PATH = "/run/secrets/kafka-client.properties"
MONGO_URI_PATH = "/run/secrets/mongo-uri"
# and its S3 credentials (an AWS shared credentials file: boto3's standard chain reads it)
S3_CREDENTIALS_PATH = "/run/secrets/s3-credentials"

log = logging.getLogger("zygarde.scaler.docker")


def _hostname(container: Any) -> str:
    """A container's hostname (the engine's default: its id's first 12 characters)."""
    return str((container.attrs.get("Config") or {}).get("Hostname") or container.id[:12])


class DockerBackend(BaseScalerBackend):
    """Runs ``image`` with ``run trainer`` per trainer; the label, not a name, says which are ours.

    Every running container labelled ``dev.zygarde.role=trainer`` on ``network`` counts, compose's own
    ``trainer`` replicas included, so a scale-in may stop those too; trainers of another stack on the
    same engine (another compose project, on a network of its own) are neither counted, stopped nor
    reaped. Without ``network`` every trainer on the engine is this backend's. A new trainer joins
    ``network`` (compose's, where ``kafka`` and ``mongo`` resolve), gets ``environment`` (the shared
    ``ZYGARDE_*`` settings) and ``volumes`` (``name:/path[:ro]`` strings). ``base_url`` picks the engine
    (``unix:///var/run/docker.sock``, ``tcp://host:2375``); without it the usual ``DOCKER_HOST``
    environment applies. No engine answering is a configuration error. ``kafka_client_file``: the
    engine host's path of the trainer principal's Kafka client settings, mounted read-only into each
    trainer (and only that file: never the scaler's own or another service's credentials);
    ``mongo_uri_file`` likewise, the trainer's MongoDB URI (its own user's credentials);
    ``s3_credentials_file`` likewise, the trainer's S3 keys (compose's S3 mode, where ``volumes`` is empty:
    datasets and artifacts are in S3 and a trainer shares no folder with anything).
    """

    def __init__(self, image: str = "zygarde:latest", network: str | None = None,
                 environment: dict[str, str] | None = None, volumes: list[str] | None = None,
                 drain_timeout_s: int = 60, base_url: str | None = None, client: Any = None,
                 kafka_client_file: str | None = None, mongo_uri_file: str | None = None,
                 s3_credentials_file: str | None = None) -> None:
        if client is None:
            try:
                import docker
            except ImportError as exc:
                raise RuntimeError("the docker backend needs the `docker` package "
                                   "(pip install docker)") from exc
            try:
                client = (docker.DockerClient(base_url=base_url, timeout=30) if base_url
                          else docker.from_env(timeout=30))
                client.ping()
            except Exception as exc:  # noqa: BLE001 - no daemon, no socket, refused: all one clear error
                raise RuntimeError(f"no Docker engine answers at {base_url or 'DOCKER_HOST'}: {exc}") from exc
        self.client = client
        self.image, self.network, self.environment = image, network, dict(environment or {})
        self.volumes = list(volumes or [])
        # the scaler's own client file is not the trainer's: a trainer reads only what is mounted for it
        self.environment.pop("ZYGARDE_KAFKA_CLIENT_PROPERTIES", None)
        if kafka_client_file:
            self.volumes.append(f"{kafka_client_file}:{KAFKA_CLIENT_PATH}:ro")
            self.environment["ZYGARDE_KAFKA_CLIENT_PROPERTIES"] = KAFKA_CLIENT_PATH
        self.environment.pop("ZYGARDE_MONGO_URI_FILE", None)
        if mongo_uri_file:
            self.volumes.append(f"{mongo_uri_file}:{MONGO_URI_PATH}:ro")
            self.environment["ZYGARDE_MONGO_URI_FILE"] = MONGO_URI_PATH
        if s3_credentials_file:
            self.volumes.append(f"{s3_credentials_file}:{S3_CREDENTIALS_PATH}:ro")
            self.environment["AWS_SHARED_CREDENTIALS_FILE"] = S3_CREDENTIALS_PATH
        self.drain_timeout_s = drain_timeout_s
        self.started = 0
        self.stopped = 0

    def _stack_filters(self, *labels: str) -> dict[str, Any]:
        """The engine's filters for this stack's trainers: ``labels`` and, with a network, that network."""
        return {"label": list(labels), **({"network": self.network} if self.network else {})}

    def _running(self) -> list[Any]:
        return list(self.client.containers.list(filters={**self._stack_filters(LABEL), "status": "running"}))

    def reap(self) -> list[tuple[str, int]]:
        """Remove trainers this backend started that have exited, saying how each ended.

        Containers are not started with ``auto_remove``: a trainer that dies at start-up (no broker,
        a bad setting) must leave its exit code and last log lines in the scaler's log first.
        """
        ended = []
        for container in self.client.containers.list(
                all=True, filters={"label": self._scaled_labels(), "status": "exited"}):
            code = int(container.attrs.get("State", {}).get("ExitCode", -1))
            if code != 0:
                tail = container.logs(tail=20).decode(errors="replace")
                log.error("trainer container %s exited with %d:\n%s", container.name, code, tail)
            ended.append((container.name, code))
            container.remove()
        return ended

    def _scaled_labels(self) -> list[str]:
        """The labels of the trainers this stack's scaler started (by label: an exited container may
        have left its network)."""
        return [LABEL, SCALED_LABEL, *([f"{STACK_LABEL}={self.network}"] if self.network else [])]

    def current(self) -> int:
        """Running containers labelled as trainers, on this stack's network."""
        self.reap()
        return len(self._running())

    picks_idle = True  # a trainer's default worker id starts with its container's hostname

    def scale_to(self, n: int, busy: Collection[str] | None = None) -> None:
        """Run or stop this stack's labelled containers until ``n`` run; the idle ones (no worker in
        ``busy`` on their hostname) stop first, the newest first within each."""
        hosts = {host_of(w) for w in busy or ()}
        running = sorted(self._running(), key=lambda c: c.attrs.get("Created", ""), reverse=True)
        if hosts:
            running.sort(key=lambda c: _hostname(c) in hosts)  # stable: the newest first within each
        leaving = running[: max(0, len(running) - n)]
        # SIGTERM, then SIGKILL after the drain timeout; all at once: one after the other, each trainer
        # would keep running (and billing) through the drains of those stopped before it
        with ThreadPoolExecutor(max_workers=max(1, len(leaving))) as pool:
            list(pool.map(lambda c: c.stop(timeout=self.drain_timeout_s), leaving))
        self.stopped += len(leaving)
        for _ in range(n - len(running)):
            kwargs: dict[str, Any] = {"network": self.network} if self.network else {}
            self.client.containers.run(
                self.image, ["run", "trainer"], detach=True, environment=self.environment,
                volumes=self.volumes, labels={ROLE_LABEL: "trainer", SCALED_LABEL: "zygarde-scaler",
                                              **({STACK_LABEL: self.network} if self.network else {})},
                # an init process as PID 1: it forwards the drain's SIGTERM even in the trainer's
                # first second, before the trainer has a handler (PID 1 drops unhandled signals)
                stop_signal="SIGTERM", init=True, **kwargs)
            self.started += 1

    def close(self) -> None:
        """Close the SDK's HTTP session; the containers keep running (the scaler may be restarted)."""
        self.client.close()
