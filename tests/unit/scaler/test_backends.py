"""Backends that need no platform: the registry, and clear errors when a platform does not answer."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from services.scaler.backends import make_backend
from services.scaler.policy import ScalerConfig

MANIFEST = Path(__file__).parents[3] / "deploy" / "k8s" / "keda-scaledobject.yaml"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on exit: nothing listens there


@pytest.mark.parametrize("base_url", [
    # nothing listens on the TCP port
    pytest.param(f"tcp://127.0.0.1:{_closed_port()}", id="tcp-refused"),
    # no socket file at all
    pytest.param("unix:///nonexistent/docker.sock", id="no-socket"),
])
def test_docker_backend_without_an_engine_says_so(base_url: str) -> None:
    with pytest.raises(RuntimeError, match="no Docker engine answers at"):
        make_backend("docker", base_url=base_url)


def test_unknown_backend_names_the_choices() -> None:
    with pytest.raises(ValueError, match="local, kubernetes, docker or aws"):
        make_backend("nomad")


def test_keda_manifest_mirrors_the_policy_defaults() -> None:
    cfg, spec = ScalerConfig(), yaml.safe_load(MANIFEST.read_text())["spec"]
    trigger = spec["triggers"][0]["metadata"]
    behavior = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert spec["scaleTargetRef"]["name"] == "zygarde-trainer"
    assert (trigger["consumerGroup"], trigger["topic"]) == ("zygarde-trainers", "zygarde.trials")
    assert int(trigger["lagThreshold"]) == cfg.lag_threshold
    assert int(trigger["activationLagThreshold"]) == cfg.activation_lag_threshold
    assert trigger["allowIdleConsumers"] == str(cfg.allow_idle_consumers).lower()
    assert spec["minReplicaCount"] == cfg.min_replicas == 0
    assert spec["maxReplicaCount"] == cfg.max_replicas
    assert spec["cooldownPeriod"] == cfg.cooldown_s and spec["pollingInterval"] == cfg.polling_interval_s
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == cfg.stabilization_window_s
    assert behavior["scaleUp"]["policies"][0]["value"] == cfg.scale_up_max_step
