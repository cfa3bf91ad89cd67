"""docker-compose.yml under podman (its Docker API, runc) for the compose tests and benchmarks.

Needs podman, runc and docker-compose (`make install`) and the images of `deploy/images/build.sh`
(`make images`); anything missing is an error, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).parents[1]
CONTAINERS_CONF = ROOT / "deploy" / "images" / "containers.conf"
TRAINER = "dev.zygarde.role=trainer"
TOKEN = "compose-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def images_env() -> dict[str, str]:
    """The images deploy/images/build.sh builds, as compose's variables."""
    lines = (ROOT / "deploy" / "images" / "images.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def wait_for(what: str, check: Any, timeout: float, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout}s")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ComposeStack:
    project: str
    url: str
    env: dict[str, str]
    up_s: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict)
    # the Kafka credentials of this stack (deploy/compose/kafka-secrets.sh), one file per principal
    secrets: Path | None = None
    # override files after docker-compose.yml (deploy/compose/s3.yml: the S3 mode)
    overrides: tuple[Path, ...] = ()

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        files = [arg for f in (ROOT / "docker-compose.yml", *self.overrides) for arg in ("-f", str(f))]
        return subprocess.run(["docker-compose", "-p", self.project, *files, *args],
                              env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)

    def podman(self, *args: str) -> str:
        res = subprocess.run(["podman", *args], env=self.env, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        return res.stdout

    def trainers(self) -> list[str]:
        """This stack's running trainers (on its network: another project's are not counted)."""
        return self.podman("ps", "-q", "--filter", f"label={TRAINER}", "--filter", "status=running",
                           "--filter", f"network={self.project}").split()

    def service_container(self, service: str) -> str:
        return self.podman("ps", "-q", "--filter", f"label=com.docker.compose.project={self.project}",
                           "--filter", f"label=com.docker.compose.service={service}").split()[0]


class TrainerEvents:
    """The engine's start and death events of trainer-labelled containers while the block runs.

    Read again every few seconds and kept: podman keeps its event log in a file of bounded size
    that the health checks' exec events rotate within minutes, taking older starts and deaths with
    it (and a live `podman events` stream loses its place when the file rotates).
    """

    def __init__(self, env: dict[str, str], every_s: float = 2.0) -> None:
        self.env, self.every_s = env, every_s
        self.sock = ""  # the API socket of the engine these events come from, where a caller keeps it
        self._seen: dict[tuple[str, str], dict[str, Any]] = {}  # (kind, container id) -> its first event
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._since = ""

    def __enter__(self) -> TrainerEvents:
        self._since = str(int(time.time()))
        self.poll()
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def poll(self) -> None:
        res = subprocess.run(["podman", "events", "--since", self._since, "--stream=false", "--filter",
                              f"label={TRAINER}", "--filter", "event=start", "--filter", "event=died",
                              "--format", "json"], env=self.env, capture_output=True, text=True, timeout=60)
        with self._lock:
            for line in res.stdout.splitlines():
                if line.strip():
                    e = json.loads(line)
                    self._seen.setdefault((e.get("Status", ""), e["ID"]), e)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.poll()

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The first event of ``kind`` of each container."""
        self.poll()
        with self._lock:
            return [e for (k, _), e in self._seen.items() if k == kind]

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


@contextmanager
def podman_api() -> Iterator[tuple[str, dict[str, str]]]:
    """`podman system service` on a socket of its own: the Docker API compose and the scaler talk to."""
    for tool in ("podman", "runc", "docker-compose"):
        assert shutil.which(tool), f"{tool} is needed (make install: apt-get install podman runc docker-compose)"
    with tempfile.TemporaryDirectory(prefix="zygarde-podman-") as tmp:
        sock = Path(tmp) / "podman.sock"
        env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
        proc = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{sock}"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for("podman's API socket", sock.exists, 30, 0.2)
            yield str(sock), env
        finally:
            proc.terminate()
            proc.wait(30)


@contextmanager
def compose_up(project: str, sock: str, base_env: dict[str, str], data: Path,
               extra_env: dict[str, str] | None = None, log: Path | None = None,
               overrides: tuple[Path, ...] = ()) -> Iterator[ComposeStack]:
    """`docker-compose up` of the whole file (and ``overrides`` over it) on the images of build.sh, until the
    planner is healthy; `down -v` (and the scaler's own trainer containers removed) afterwards."""
    port = free_port()
    # the Kafka principals' credentials, generated for this stack as a user would (never in the tree)
    secrets = Path(tempfile.mkdtemp(prefix="zygarde-secrets-"))
    subprocess.run([str(ROOT / "deploy" / "compose" / "kafka-secrets.sh"), str(secrets)], check=True,
                   capture_output=True, timeout=60)
    # and MongoDB's: the images of build.sh serve FerretDB/SQLite, which cannot authenticate, so each
    # service's URI file names no user (the official mongo image's authenticated path is not run here)
    subprocess.run([str(ROOT / "deploy" / "compose" / "mongo-secrets.sh"), str(secrets)], check=True,
                   capture_output=True, timeout=60, env={**os.environ, "ZYGARDE_MONGO_AUTH": "0"})
    # and the S3 mode's keys (deploy/compose/s3.yml), read only when that override is given
    subprocess.run([str(ROOT / "deploy" / "compose" / "s3-secrets.sh"), str(secrets)], check=True,
                   capture_output=True, timeout=60)
    env = {**base_env, **images_env(), "DOCKER_HOST": f"unix://{sock}", "ZYGARDE_DOCKER_SOCKET": sock,
           "ZYGARDE_NETWORK": project, "ZYGARDE_ADMIN_TOKEN": TOKEN, "ZYGARDE_PLANNER_PORT": str(port),
           "ZYGARDE_DATA_DIR": str(data), "COMPOSE_HTTP_TIMEOUT": "300",
           "ZYGARDE_SECRETS_DIR": str(secrets), **(extra_env or {})}
    env.setdefault("ZYGARDE_ARTIFACT_KEY", "compose-artifact-signing-key-0123456789")
    for image in images_env().values():
        exists = subprocess.run(["podman", "image", "exists", image], env=env)
        assert exists.returncode == 0, f"{image} is missing: run deploy/images/build.sh (make images)"
    stack = ComposeStack(project, f"http://127.0.0.1:{port}", env, secrets=secrets, overrides=overrides)
    # podman 4.3 runs health checks from systemd timers; without systemd (this machine, CI) nothing
    # runs them and compose's `service_healthy` conditions would wait forever. This thread does what
    # the timers would: every few seconds, each of the project's containers' check once.
    stop_checks = threading.Event()

    def run_health_checks() -> None:
        while not stop_checks.wait(3):
            ids = subprocess.run(["podman", "ps", "-q", "--filter", f"label=com.docker.compose.project={project}"],
                                 env=env, capture_output=True, text=True).stdout.split()
            for cid in ids:
                subprocess.run(["podman", "healthcheck", "run", cid], env=env, capture_output=True, timeout=60)

    checker = threading.Thread(target=run_health_checks, daemon=True)
    checker.start()
    started = time.monotonic()
    res = stack.compose("up", "-d", "--no-build", timeout=900)
    try:
        assert res.returncode == 0, res.stdout + res.stderr

        def healthy() -> bool:
            try:
                return httpx.get(f"{stack.url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for("the planner's /healthz", healthy, 300)
        stack.up_s = time.monotonic() - started
        yield stack
    finally:
        logs = stack.compose("logs", "--no-color", "--tail", "200")
        (log or data / "compose.log").write_text(logs.stdout + logs.stderr)
        for cid in stack.podman("ps", "-aq", "--filter", f"label={TRAINER}", "--filter", f"network={project}").split():
            subprocess.run(["podman", "rm", "-f", cid], env=env, capture_output=True)
        stop_checks.set()
        stack.compose("down", "-v", "--timeout", "30")
        shutil.rmtree(secrets, ignore_errors=True)
