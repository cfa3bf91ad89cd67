"""Scaler backends against real processes and their APIs' emulation (moto server, a fake API server)."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import psutil
import pytest

from services.scaler.backends import make_backend
from services.scaler.backends.local import LocalBackend
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.integration

SLEEPER = [sys.executable, "-c",
           "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); time.sleep(600)"]
STUBBORN = [sys.executable, "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"]


def _targets(path: Path) -> list[str]:
    return list(json.loads(path.read_text())[0]["targets"])


def _alive(pids: list[int]) -> list[int]:
    return [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]


def test_local_backend_scales_0_3_1_0_and_keeps_file_sd_current(tmp_path: Path) -> None:
    targets = tmp_path / "targets" / "trainers.json"
    backend = LocalBackend(command=SLEEPER, targets_file=targets, drain_timeout_s=5, base_port=9500)
    try:
        assert backend.current() == 0
        backend.scale_to(3)
        assert backend.current() == 3
        pids = [i.proc.pid for i in backend.instances]
        assert _targets(targets) == ["127.0.0.1:9501", "127.0.0.1:9502", "127.0.0.1:9503"]
        backend.scale_to(1)
        assert backend.current() == 1
        assert backend.instances[0].proc.pid == pids[0], "the newest instances go first"
        assert _targets(targets) == ["127.0.0.1:9501"]
        backend.scale_to(0)
        assert backend.current() == 0 and _targets(targets) == []
    finally:
        backend.close()
    assert backend.billed() == 0
    assert _alive(pids) == [], "close() leaves no trainer behind"


def test_local_backend_kills_a_trainer_that_ignores_sigterm(tmp_path: Path) -> None:
    backend = LocalBackend(command=STUBBORN, drain_timeout_s=0.5, base_port=9600)
    try:
        backend.scale_to(1)
        pid = backend.instances[0].proc.pid
        time.sleep(0.5)  # let the child install its SIGTERM handler
        backend.scale_to(0)
        assert backend.current() == 0 and backend.billed() == 1, "draining: not serving, still running"
        time.sleep(0.8)
        assert backend.billed() == 0, "SIGKILL once the drain timeout passed"
    finally:
        backend.close()
    assert _alive([pid]) == []


def test_aws_backend_against_moto_server() -> None:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        import boto3

        creds: dict[str, Any] = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        url = f"http://127.0.0.1:{port}"
        ec2 = boto3.client("ec2", region_name="eu-west-1", endpoint_url=url, **creds)
        asg = boto3.client("autoscaling", region_name="eu-west-1", endpoint_url=url, **creds)
        image = ec2.describe_images()["Images"][0]["ImageId"]
        asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId=image, InstanceType="t3.micro")
        asg.create_auto_scaling_group(AutoScalingGroupName="zygarde-trainers", LaunchConfigurationName="lc",
                                      MinSize=0, MaxSize=5, DesiredCapacity=0,
                                      AvailabilityZones=["eu-west-1a"])
        backend = make_backend("aws", group="zygarde-trainers", region="eu-west-1", endpoint_url=url, **creds)
        assert backend.current() == 0
        backend.scale_to(3)
        assert backend.current() == 3
        backend.scale_to(1)
        assert backend.current() == 1
    finally:
        server.stop()


class _FakeApiServer(BaseHTTPRequestHandler):
    """Answers the Deployment scale subresource like the Kubernetes API server does, refusals included:
    another object is 404 NotFound, a PATCH that is not a patch media type is 415, a replica count
    that is not a non-negative integer is 422 Invalid (the Scale's validation), each as a Status."""

    replicas = 0
    requests: list[tuple[str, str, Any]] = []
    PATH = "/apis/apps/v1/namespaces/zygarde/deployments/zygarde-trainer/scale"
    PATCH_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json",
                   "application/json-patch+json", "application/apply-patch+yaml")

    def _scale(self) -> dict[str, Any]:
        return {"apiVersion": "autoscaling/v1", "kind": "Scale",
                "metadata": {"name": "zygarde-trainer", "namespace": "zygarde"},
                "spec": {"replicas": type(self).replicas}, "status": {"replicas": type(self).replicas}}

    def _answer(self, body: dict[str, Any], code: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, code: int, reason: str, message: str) -> None:
        self._answer({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                      "reason": reason, "code": code}, code)

    def do_GET(self) -> None:  # noqa: N802
        type(self).requests.append(("GET", self.path, None))
        if self.path != self.PATH:
            return self._refuse(404, "NotFound", f"{self.path} not found")
        self._answer(self._scale())

    def do_PATCH(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(("PATCH", self.path, body))
        if self.path != self.PATH:
            return self._refuse(404, "NotFound", f"{self.path} not found")
        if self.headers.get("Content-Type", "").split(";")[0] not in self.PATCH_TYPES:
            return self._refuse(415, "UnsupportedMediaType", f"the body of the request was in an unknown "
                                f"format - accepted media types include: {', '.join(self.PATCH_TYPES)}")
        replicas = body.get("spec", {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            return self._refuse(422, "Invalid", f'Scale.autoscaling "zygarde-trainer" is invalid: '
                                f"spec.replicas: Invalid value: {replicas!r}: must be greater than or equal to 0")
        type(self).replicas = replicas
        self._answer(self._scale())

    def log_message(self, *args: Any) -> None:
        pass


def test_kubernetes_backend_against_a_fake_api_server() -> None:
    from kubernetes import client

    server = HTTPServer(("127.0.0.1", 0), _FakeApiServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg = client.Configuration()
        cfg.host = f"http://127.0.0.1:{server.server_address[1]}"
        backend = make_backend("kubernetes", api_client=client.ApiClient(cfg))
        assert backend.current() == 0
        backend.scale_to(4)
        assert backend.current() == 4
        path = "/apis/apps/v1/namespaces/zygarde/deployments/zygarde-trainer/scale"
        assert ("PATCH", path, {"spec": {"replicas": 4}}) in _FakeApiServer.requests
        # what the API server refuses, the fake refuses: the backend surfaces it
        with pytest.raises(client.ApiException) as invalid:
            backend.scale_to(-1)
        assert invalid.value.status == 422 and backend.current() == 4
        other = make_backend("kubernetes", api_client=client.ApiClient(cfg), deployment="nope")
        with pytest.raises(client.ApiException) as missing:
            other.current()
        assert missing.value.status == 404
    finally:
        server.shutdown()
