"""A Deployment's replicas through the scale subresource (official kubernetes client)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from services.scaler.backends._base import BaseScalerBackend


class KubernetesBackend(BaseScalerBackend):
    """Resizes Deployment ``deployment`` in ``namespace``; in-cluster config first, then kubeconfig.

    Pass ``api_client`` to talk to a given API server (tests, or several clusters).
    """

    def __init__(self, deployment: str = "zygarde-trainer", namespace: str = "zygarde",
                 api_client: Any = None) -> None:
        try:
            from kubernetes import client, config
        except ImportError as exc:
            raise RuntimeError("the kubernetes backend needs the `kubernetes` package "
                               "(pip install kubernetes)") from exc
        if api_client is None:
            try:
                config.load_incluster_config()
            except config.ConfigException:
                config.load_kube_config()
            api_client = client.ApiClient()
        self.apps = client.AppsV1Api(api_client)
        self.deployment = deployment
        self.namespace = namespace

    def current(self) -> int:
        """Replicas the Deployment has now (``status.replicas``, what the HPA also reads)."""
        scale = self.apps.read_namespaced_deployment_scale(self.deployment, self.namespace)
        return int(scale.status.replicas or 0)

    def scale_to(self, n: int, busy: Collection[str] | None = None) -> None:
        """Patch ``spec.replicas`` through the scale subresource (RBAC on ``deployments/scale`` only).
        The ReplicaSet picks the pods to delete (``busy`` is not used: ``picks_idle`` is false)."""
        # Kubernetes sends SIGTERM and waits terminationGracePeriodSeconds: trainers drain themselves.
        body = {"spec": {"replicas": n}}
        self.apps.patch_namespaced_deployment_scale(self.deployment, self.namespace, body)
