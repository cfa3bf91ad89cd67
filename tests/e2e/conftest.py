"""Run the services as real processes against the real stack, with this test's own topics and db."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from zygarde.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Services:
    settings: Settings
    env: dict[str, str]
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    trainer_ports: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.settings.planner_url

    def start(self, name: str, service: str, **env: str) -> subprocess.Popen[bytes]:
        full_env = {**self.env, **env}
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen([sys.executable, "-m", "zygarde.cli", "run", service], env=full_env,
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def start_trainer(self, name: str) -> subprocess.Popen[bytes]:
        port = free_port()
        self.trainer_ports[name] = port
        return self.start(name, "trainer", ZYGARDE_TRAINER_METRICS_PORT=str(port), ZYGARDE_TRAINER_WORKER_ID=name)

    def stop(self, name: str) -> int:
        """SIGTERM and wait: the clean stop a scaler or an orchestrator would do."""
        proc = self.procs.pop(name)
        proc.terminate()
        return proc.wait(60)

    def kill9(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
            if dead:
                raise AssertionError(f"service exited during start-up: {dead}; logs in {self.logs}")
            time.sleep(0.3)
        raise AssertionError(f"planner not healthy after {timeout}s; logs in {self.logs}")

    def restart_dead(self) -> list[str]:
        """What an orchestrator's restart policy does: start again any service that exited."""
        restarted = []
        for name, proc in list(self.procs.items()):
            if proc.poll() is not None:
                service = "trainer" if name.startswith("trainer") else name
                del self.procs[name]
                if service == "trainer":
                    self.start_trainer(name)
                else:
                    self.start(name, service)
                restarted.append(name)
        return restarted

    def alive(self) -> dict[str, bool]:
        return {n: p.poll() is None for n, p in self.procs.items()}

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def services(test_settings: Settings, tmp_path: Path) -> Iterator[Services]:
    """Planner + selector + two trainers as processes; stopped (and checked alive) at the end."""
    port = free_port()
    settings = test_settings.model_copy(update={"planner_url": f"http://127.0.0.1:{port}"})
    env = settings.child_env()
    # reads open: the flows read jobs as any dashboard would (closed reads: tests/security/test_api_edge.py)
    env.update(ZYGARDE_ADMIN_TOKEN="test-token", ZYGARDE_API_OPEN_READS="1", ZYGARDE_LOG_LEVEL="INFO",
               ZYGARDE_SELECTOR_METRICS_PORT=str(free_port()), PYTHONUNBUFFERED="1")
    env.pop("ZYGARDE_TRAINER_METRICS_PORT", None)
    logs = tmp_path / "logs"
    logs.mkdir()
    svc = Services(settings, env, logs)
    svc.start("planner", "planner")
    svc.start("selector", "selector")
    svc.start_trainer("trainer-1")
    svc.start_trainer("trainer-2")
    try:
        svc.wait_healthy()
        yield svc
    finally:
        svc.stop_all()
        if os.environ.get("ZYGARDE_TEST_SHOW_LOGS") == "1":
            for log in logs.iterdir():
                print(log.name, log.read_text()[-3000:])
