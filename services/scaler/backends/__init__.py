"""Scaler backends by name; heavy clients are imported lazily by each backend."""

from __future__ import annotations

from typing import Any

from services.scaler.backends._base import BaseScalerBackend


def make_backend(name: str, **options: Any) -> BaseScalerBackend:
    if name == "local":
        from services.scaler.backends.local import LocalBackend

        return LocalBackend(**options)
    if name == "kubernetes":
        from services.scaler.backends.kubernetes import KubernetesBackend

        return KubernetesBackend(**options)
    if name == "docker":
        from services.scaler.backends.docker import DockerBackend

        return DockerBackend(**options)
    if name == "aws":
        from services.scaler.backends.aws import AwsBackend

        return AwsBackend(**options)
    raise ValueError(f"unknown scaler backend {name!r}; choose local, kubernetes, docker or aws")


__all__ = ["BaseScalerBackend", "make_backend"]
