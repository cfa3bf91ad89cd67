"""What every infrastructure component of the local stack shares: the ``Component`` life cycle (install,
start, answer a real readiness request, stop) and the install-step and port helpers the components use."""

from __future__ import annotations

import socket
import subprocess
from abc import ABC, abstractmethod
from pathlib import Path

from zygarde.errors import StackError
from zygarde.localstack import process
from zygarde.settings import REPO_ROOT, Settings

LOCAL = REPO_ROOT / "deploy" / "local"


def run_install_step(component: str, cmd: list[str], log: Path, *, cwd: Path | None = None,
         env: dict[str, str] | None = None, timeout: float = 900, secret_args: int = 0) -> None:
    """Run an install step, its output into ``log``; the last ``secret_args`` arguments are not logged."""
    log.parent.mkdir(parents=True, exist_ok=True)
    shown = cmd[:len(cmd) - secret_args] + (["<credentials>"] if secret_args else [])
    with open(log, "ab") as fh:
        fh.write(f"\n--- install step: {' '.join(shown)}\n".encode())
        fh.flush()
        try:
            res = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=cwd, env=env, timeout=timeout)
        except FileNotFoundError as exc:
            raise StackError(component, f"{cmd[0]} is not installed", str(log)) from exc
        except subprocess.TimeoutExpired as exc:
            raise StackError(component, f"install step timed out: {' '.join(cmd[:3])}", str(log)) from exc
    if res.returncode != 0:
        raise StackError(component, f"install step failed ({res.returncode}): {' '.join(cmd[:3])}", str(log))


class Component(ABC):
    name: str
    marker: str  # a string in the command line that identifies our process

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.files = process.ProcessFiles(settings.home, self.name)

    @property
    def install_log(self) -> Path:
        return self.settings.home / "logs" / f"{self.name}-install.log"

    @abstractmethod
    def install(self) -> None:
        """Fetch and build what the component needs into the cache (no-op when cached)."""

    @abstractmethod
    def command(self) -> list[str]:
        """The command line that runs the component in the foreground."""

    @abstractmethod
    def ready(self) -> bool:
        """True when the component answers a real request."""

    @property
    @abstractmethod
    def address(self) -> str: ...

    def prepare(self) -> None:  # noqa: B027 - an optional hook, no-op by default
        """One-time state set-up before the first start (e.g. formatting storage)."""

    def start_timeout(self) -> float:
        return 60.0

    def ports(self) -> list[tuple[str, int]]:
        """Every address the component listens on: each must be free before it starts."""
        return []

    def env(self) -> dict[str, str] | None:
        return None

    def running_pid(self) -> int | None:
        return process.running_pid(self.files, self.marker)

    def up(self) -> str:
        """Start unless already answering; returns 'reused' or 'started'."""
        if self.ready():
            return "reused"
        self.install()
        pid = self.running_pid()
        if pid is None:
            for host, port in self.ports():
                if not port_free(host, port):
                    raise StackError(self.name, f"{host}:{port} is already in use by another process "
                                                "(stop it, or point the setting at a free port)")
            self.prepare()
            pid = process.start(self.files, self.command(), env=self.env(), cwd=self.settings.home)
        process.wait_ready(self.files, pid, self.ready, self.start_timeout())
        return "started"

    def down(self) -> bool:
        return process.stop(self.files, self.marker)


def host_port(hostport: str, default_port: int) -> tuple[str, int]:
    first = hostport.split(",")[0]
    host, _, port = first.rpartition(":")
    return (host or "127.0.0.1", int(port or default_port))



def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_free(host: str, port: int) -> bool:
    """True when a server could listen on ``host:port`` now (as Kafka, FerretDB, Prometheus bind it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True

