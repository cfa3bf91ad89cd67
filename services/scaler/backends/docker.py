"""Trainer containers on a Docker engine (docker SDK), found by label."""

from __future__ import annotations

from typing import Any

from services.scaler.backends._base import BaseScalerBackend

LABEL = "dev.zygarde.role=trainer"


class DockerBackend(BaseScalerBackend):
    def __init__(self, image: str = "zygarde:latest", network: str | None = None,
                 environment: dict[str, str] | None = None, drain_timeout_s: int = 60, client: Any = None) -> None:
        if client is None:
            try:
                import docker
            except ImportError as exc:
                raise RuntimeError("the docker backend needs `pip install zygarde[docker]`") from exc
            try:
                client = docker.from_env(timeout=5)
                client.ping()
            except Exception as exc:  # noqa: BLE001 - no daemon is a clear configuration error
                raise RuntimeError(f"no Docker engine answers: {exc}") from exc
        self.client = client
        self.image, self.network, self.environment = image, network, environment or {}
        self.drain_timeout_s = drain_timeout_s

    def _running(self) -> list[Any]:
        return list(self.client.containers.list(filters={"label": LABEL, "status": "running"}))

    def current(self) -> int:
        return len(self._running())

    def scale_to(self, n: int) -> None:
        running = sorted(self._running(), key=lambda c: c.attrs.get("Created", ""), reverse=True)
        for container in running[: max(0, len(running) - n)]:
            container.stop(timeout=self.drain_timeout_s)  # SIGTERM, then SIGKILL after the drain timeout
        for _ in range(n - len(running)):
            self.client.containers.run(self.image, ["run", "trainer"], detach=True,
                                       labels={"dev.zygarde.role": "trainer"}, environment=self.environment,
                                       network=self.network)
