"""Services as processes for benchmarks: a fresh topic prefix and database on the running stack."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from zygarde.localstack import kafka_auth
from zygarde.ml import algorithms
from zygarde.settings import Settings
from zygarde.store import connect

# the benchmarks measure with the probe algorithms (noop, burn), out of the production catalogue
algorithms.enable_probes()
# the benchmark's process loads what its stack's selector stored: one artifact key for both
os.environ.setdefault("ZYGARDE_ARTIFACT_KEY", secrets.token_urlsafe(32))
TOKEN = "bench-admin-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BenchStack:
    settings: Settings
    env: dict[str, str]
    logs: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.settings.planner_url

    def start(self, service: str, **env: str) -> None:
        log = open(self.logs / f"{service}-{len(self.procs)}.log", "ab")  # noqa: SIM115
        self.procs.append(subprocess.Popen([sys.executable, "-m", "zygarde.cli", "run", service],
                                           env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT))

    def submit(self, spec: dict[str, Any]) -> str:
        resp = httpx.post(f"{self.url}/jobs", json=spec, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        resp.raise_for_status()
        return str(resp.json()["job_id"])

    def wait(self, job_id: str, timeout: float = 1800, poll_s: float = 0.05) -> dict[str, Any]:
        """Wait on the job document by _id (cheap), not on the API view (which scans the job's trials)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.db.jobs.find_one({"_id": job_id}, {"status": 1, "created_at": 1, "finished_at": 1})
            if job is not None and job["status"] in ("completed", "failed", "cancelled", "rejected"):
                return dict(job)
            time.sleep(poll_s)
        raise TimeoutError(job_id)

    def pids(self) -> dict[str, int]:
        """Each service process of this stack by name (planner, selector, trainer-1, ...), and the local
        stack's broker and MongoDB-wire server (``kafka``, ``mongo``; shared with anything else on them)."""
        pids: dict[str, int] = {}
        counts: dict[str, int] = {}
        for proc in self.procs:
            service = str(proc.args[-1]) if isinstance(proc.args, list) else "service"
            counts[service] = counts.get(service, 0) + 1
            pids[f"{service}-{counts[service]}" if service == "trainer" else service] = proc.pid
        for component in ("kafka", "mongo"):
            pidfile = self.settings.home / "run" / f"{component}.pid"
            if pidfile.exists():
                pids[component] = int(pidfile.read_text().split()[0])
        return pids

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) used so far by each process of :meth:`pids`."""
        import psutil

        out = {}
        for name, pid in self.pids().items():
            try:
                times = psutil.Process(pid).cpu_times()
                out[name] = times.user + times.system
            except psutil.Error:
                continue
        return out

    @property
    def db(self) -> Any:
        return connect(self.settings.mongo_uri)


@contextmanager
def bench_stack(trainers: int = 2, base: Settings | None = None, **env: str) -> Iterator[BenchStack]:
    """Planner, selector and ``trainers`` trainers with a fresh prefix and database on ``base``'s broker and
    store (default: the running local stack's); everything stopped at the end."""
    base = base or Settings()
    tag = uuid.uuid4().hex[:8]
    logs = base.home / "bench-logs" / tag
    logs.mkdir(parents=True, exist_ok=True)
    host = base.mongo_uri.rsplit("/", 1)[0]
    settings = base.model_copy(update={"topic_prefix": f"bench{tag}.", "mongo_uri": f"{host}/bench_{tag}",
                                       "planner_url": f"http://127.0.0.1:{free_port()}"})
    # the prefix's topics (and, on an authenticating broker, its ACLs) as the admin: the services run as
    # their own principals, whose client files are in the stack's home
    kafka_auth.open_prefix(base, settings.topic_prefix)
    child = settings.child_env()
    child.update(ZYGARDE_ADMIN_TOKEN=TOKEN, ZYGARDE_PROBE_ALGORITHMS="1", ZYGARDE_LOG_LEVEL="WARNING",
                 ZYGARDE_SELECTOR_METRICS_PORT="0", ZYGARDE_KAFKA_SASL="1" if base.kafka_sasl else "0",
                 ZYGARDE_KAFKA_TLS="1" if base.kafka_tls else "0", **env)
    stack = BenchStack(settings, child, logs)
    stack.start("planner")
    stack.start("selector")
    for i in range(trainers):
        stack.start("trainer", ZYGARDE_TRAINER_METRICS_PORT="0", ZYGARDE_TRAINER_WORKER_ID=f"bench-{i}")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{stack.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"planner not healthy; logs in {logs}")
            time.sleep(0.2)
        time.sleep(4)  # let every consumer join its group before timing anything
        yield stack
    finally:
        for proc in stack.procs:
            proc.terminate()
        for proc in stack.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:  # e.g. a planner still answering a request: never left behind
                proc.kill()
                proc.wait(10)
        stack.db.client.drop_database(stack.db.name)
        kafka_auth.close_prefix(base, settings.topic_prefix)
