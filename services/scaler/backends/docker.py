"""Trainer containers on a Docker engine (docker SDK), found by label."""

from __future__ import annotations

from typing import Any

from services.scaler.backends._base import BaseScalerBackend

LABEL = "dev.zygarde.role=trainer"


class DockerBackend(BaseScalerBackend):
    """Runs ``image`` with ``run trainer`` per trainer; the label, not a name, says which are ours.

    ``base_url`` picks the engine (``unix:///var/run/docker.sock``, ``tcp://host:2375``); without it
    the usual ``DOCKER_HOST`` environment applies. No engine answering is a configuration error.
    """

    def __init__(self, image: str = "zygarde:latest", network: str | None = None,
                 environment: dict[str, str] | None = None, drain_timeout_s: int = 60,
                 base_url: str | None = None, client: Any = None) -> None:
        if client is None:
            try:
                import docker
            except ImportError as exc:
                raise RuntimeError("the docker backend needs the `docker` package "
                                   "(pip install docker)") from exc
            try:
                client = (docker.DockerClient(base_url=base_url, timeout=5) if base_url
                          else docker.from_env(timeout=5))
                client.ping()
            except Exception as exc:  # noqa: BLE001 - no daemon, no socket, refused: all one clear error
                raise RuntimeError(f"no Docker engine answers at {base_url or 'DOCKER_HOST'}: {exc}") from exc
        self.client = client
        self.image, self.network, self.environment = image, network, environment or {}
        self.drain_timeout_s = drain_timeout_s

    def _running(self) -> list[Any]:
        return list(self.client.containers.list(filters={"label": LABEL, "status": "running"}))

    def current(self) -> int:
        """Running containers labelled as trainers."""
        return len(self._running())

    def scale_to(self, n: int) -> None:
        """Run or stop labelled containers until ``n`` run; the newest stop first."""
        running = sorted(self._running(), key=lambda c: c.attrs.get("Created", ""), reverse=True)
        for container in running[: max(0, len(running) - n)]:
            container.stop(timeout=self.drain_timeout_s)  # SIGTERM, then SIGKILL after the drain timeout
        for _ in range(n - len(running)):
            # auto_remove: stopped trainers would otherwise pile up as exited containers.
            self.client.containers.run(self.image, ["run", "trainer"], detach=True, auto_remove=True,
                                       labels={"dev.zygarde.role": "trainer"}, environment=self.environment,
                                       network=self.network)

    def close(self) -> None:
        """Close the SDK's HTTP session; the containers keep running (the scaler may be restarted)."""
        self.client.close()
