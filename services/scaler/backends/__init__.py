"""Scaler backends by name; heavy clients are imported lazily by each backend."""

from __future__ import annotations

import importlib
from typing import Any

from services.scaler.backends._base import BaseScalerBackend

# name -> "module:Class" under this package, imported on first use (only the chosen backend's client loads).
BACKENDS: dict[str, str] = {
    "local": "local:LocalBackend",
    "kubernetes": "kubernetes:KubernetesBackend",
    "docker": "docker:DockerBackend",
    "aws": "aws:AwsBackend",
}


def backend_class(name: str) -> type[BaseScalerBackend]:
    """The class registered under ``name``; ValueError naming the choices for an unknown one."""
    if name not in BACKENDS:
        *first, last = BACKENDS
        raise ValueError(f"unknown scaler backend {name!r}; choose {', '.join(first)} or {last}")
    module, cls = BACKENDS[name].split(":")
    found: type[BaseScalerBackend] = getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    return found


def make_backend(name: str, **options: Any) -> BaseScalerBackend:
    return backend_class(name)(**options)


__all__ = ["BACKENDS", "BaseScalerBackend", "backend_class", "make_backend"]
