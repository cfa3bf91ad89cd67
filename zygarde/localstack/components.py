"""The infrastructure components of the local stack: Kafka, the MongoDB-wire server, Prometheus and
Alertmanager.

Each knows how to install itself into the cache folder, start, answer a real readiness request,
and stop. Installs are cached: a second ``up`` downloads nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import string
import subprocess
import urllib.request
from abc import ABC, abstractmethod
from pathlib import Path
from urllib.parse import urlparse

import yaml

from zygarde.errors import StackError
from zygarde.localstack import process
from zygarde.settings import REPO_ROOT, Settings

LOCAL = REPO_ROOT / "deploy" / "local"


def _run(component: str, cmd: list[str], log: Path, *, cwd: Path | None = None,
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
                if not _port_free(host, port):
                    raise StackError(self.name, f"{host}:{port} is already in use by another process "
                                                "(stop it, or point the setting at a free port)")
            self.prepare()
            pid = process.start(self.files, self.command(), env=self.env(), cwd=self.settings.home)
        process.wait_ready(self.files, pid, self.ready, self.start_timeout())
        return "started"

    def down(self) -> bool:
        return process.stop(self.files, self.marker)


def _host_port(hostport: str, default_port: int) -> tuple[str, int]:
    first = hostport.split(",")[0]
    host, _, port = first.rpartition(":")
    return (host or "127.0.0.1", int(port or default_port))


class KafkaComponent(Component):
    name = "kafka"
    marker = "kafka.Kafka"

    @property
    def jars(self) -> Path:
        return self.settings.cache_dir / "kafka" / "jars"

    @property
    def data_dir(self) -> Path:
        return self.settings.home / "kafka" / "data"

    @property
    def address(self) -> str:
        return self.settings.kafka_bootstrap

    def install(self) -> None:
        if (self.jars / ".complete").exists():
            return
        if shutil.which("java") is None or shutil.which("mvn") is None:
            raise StackError("kafka", "Java 17+ and Maven are needed to fetch the broker's jars")
        self.jars.mkdir(parents=True, exist_ok=True)
        _run("kafka", ["mvn", "-q", "-B", "-f", str(LOCAL / "kafka" / "pom.xml"),
                       f"-Dmaven.repo.local={self.settings.cache_dir / 'm2'}",
                       "dependency:copy-dependencies", f"-DoutputDirectory={self.jars}",
                       "-DincludeScope=runtime"], self.install_log)
        (self.jars / ".complete").touch()

    def _config(self) -> Path:
        host, port = _host_port(self.settings.kafka_bootstrap, 9092)
        template = string.Template((LOCAL / "kafka" / "server.properties.in").read_text())
        text = template.substitute(host=host, port=port, controller_port=port + 1, log_dirs=self.data_dir)
        path = self.settings.home / "kafka" / "server.properties"
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.settings.kafka_sasl:  # the client listener authenticates; the file then holds passwords
            from zygarde.localstack import kafka_auth

            text = text.replace("PLAINTEXT://", "CLIENT://") + kafka_auth.server_properties(
                kafka_auth.credentials(self.settings))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # a file left by a PLAINTEXT start keeps its mode otherwise
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
        else:
            path.write_text(text)
        return path

    def ports(self) -> list[tuple[str, int]]:
        host, port = _host_port(self.settings.kafka_bootstrap, 9092)
        return [(host, port), (host, port + 1)]  # the broker, then the KRaft controller

    def _java(self, main: str, *args: str) -> list[str]:
        return ["java", "-Xms256m", "-Xmx768m", "-XX:+UseG1GC",
                f"-Dlog4j2.configurationFile={LOCAL / 'kafka' / 'log4j2.properties'}",
                "-cp", f"{self.jars}/*", main, *args]

    def prepare(self) -> None:
        config = self._config()
        if (self.data_dir / "meta.properties").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        uuid_out = subprocess.run(self._java("kafka.tools.StorageTool", "random-uuid"),
                                  capture_output=True, text=True, check=True).stdout.split()
        cluster_id = uuid_out[-1]
        scram: list[str] = []
        if self.settings.kafka_sasl:
            from zygarde.localstack import kafka_auth

            scram = kafka_auth.format_args(kafka_auth.credentials(self.settings))
        _run("kafka", self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config), *scram),
             self.files.logfile, secret_args=len(scram))

    def command(self) -> list[str]:
        return self._java("kafka.Kafka", str(self._config()))

    def start_timeout(self) -> float:
        return 90.0

    def ready(self) -> bool:
        from confluent_kafka.admin import AdminClient

        host, port = _host_port(self.settings.kafka_bootstrap, 9092)
        if not _port_open(host, port):
            return False
        conf: dict[str, str | int | float | bool] = {"bootstrap.servers": self.settings.kafka_bootstrap}
        if self.settings.kafka_sasl:
            from zygarde.localstack import kafka_auth

            conf.update(kafka_auth.admin_conf(self.settings))
        try:
            md = AdminClient(conf).list_topics(timeout=3)
            return len(md.brokers) > 0
        except Exception:  # noqa: BLE001 - any failure means "not ready yet"
            return False


class MongoComponent(Component):
    """FerretDB v1 with its SQLite backend, built from ``deploy/local/mongowire`` (a Go module of ours)."""

    name = "mongo"
    marker = "ferretdb-sqlite"

    @property
    def binary(self) -> Path:
        return self.settings.cache_dir / "bin" / "ferretdb-sqlite"

    @property
    def address(self) -> str:
        return self.settings.mongo_uri

    def _source_hash(self) -> str:
        """The Go module's sources: the server is rebuilt when they change, not only when missing."""
        digest = hashlib.sha256()
        module = LOCAL / "mongowire"
        for path in sorted([*module.glob("*.go"), module / "go.mod", module / "go.sum"]):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def install(self) -> None:
        stamp = self.binary.with_name(self.binary.name + ".src-sha256")
        source = self._source_hash()
        if self.binary.exists() and stamp.exists() and stamp.read_text() == source:
            return
        if shutil.which("go") is None:
            raise StackError("mongo", "Go is needed to build the FerretDB (SQLite) server")
        self.binary.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(GOMODCACHE=str(self.settings.cache_dir / "go" / "mod"),
                   GOCACHE=str(self.settings.cache_dir / "go" / "build"), GOFLAGS="-mod=mod", CGO_ENABLED="0")
        _run("mongo", ["go", "build", "-trimpath", "-o", str(self.binary), "."], self.install_log,
             cwd=LOCAL / "mongowire", env=env)
        stamp.write_text(source)

    def _hostport(self) -> tuple[str, int]:
        parsed = urlparse(self.settings.mongo_uri)
        return parsed.hostname or "127.0.0.1", parsed.port or 27017

    def ports(self) -> list[tuple[str, int]]:
        return [self._hostport()]

    def command(self) -> list[str]:
        host, port = self._hostport()
        return [str(self.binary), "-listen", f"{host}:{port}", "-dir", str(self.settings.home / "mongo")]

    def ready(self) -> bool:
        host, port = self._hostport()
        if not _port_open(host, port):
            return False
        from pymongo import MongoClient

        try:
            client: MongoClient[dict] = MongoClient(self.settings.mongo_uri, serverSelectionTimeoutMS=2000)
            client.admin.command("ping")
            client.close()
            return True
        except Exception:  # noqa: BLE001
            return False


class PrometheusComponent(Component):
    name = "prometheus"
    marker = "prometheus"

    @property
    def address(self) -> str:
        return self.settings.prometheus_url

    @property
    def etc(self) -> Path:
        return self.settings.home / "prometheus" / "etc"

    def install(self) -> None:
        if shutil.which("prometheus"):
            return
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise StackError("prometheus", "not installed and apt-get is not available to install it as root")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        _run("prometheus", ["apt-get", "update", "-qq"], self.install_log, env=env)
        _run("prometheus", ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"],
             self.install_log, env=env)
        # The Debian package may start a system service on the same port: ours is the one we run.
        subprocess.run(["service", "prometheus", "stop"], capture_output=True, check=False)

    def prepare(self) -> None:
        src = REPO_ROOT / "deploy" / "prometheus"
        self.etc.mkdir(parents=True, exist_ok=True)
        for item in src.rglob("*"):
            if item.is_file() and "compose" not in item.name:
                dest = self.etc / item.relative_to(src)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(item, dest)
        (self.etc / "targets").mkdir(exist_ok=True)
        for name in ("trainers.json",):
            target = self.etc / "targets" / name
            if not target.exists():
                target.write_text("[]\n")
        _point_at_alertmanager(self.etc / "prometheus.yml", self.settings.alertmanager_url)

    def ports(self) -> list[tuple[str, int]]:
        parsed = urlparse(self.settings.prometheus_url)
        return [(parsed.hostname or "127.0.0.1", parsed.port or 9090)]

    def command(self) -> list[str]:
        (host, port), = self.ports()
        return [shutil.which("prometheus") or "prometheus",
                f"--config.file={self.etc / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.settings.home / 'prometheus' / 'data'}",
                f"--web.listen-address={host}:{port}",
                "--web.enable-lifecycle", "--storage.tsdb.retention.time=7d"]

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.settings.prometheus_url}/-/ready", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False


def _point_at_alertmanager(config: Path, url: str) -> None:
    """Prometheus' copy of its config sends alerts to the Alertmanager the settings name."""
    doc = yaml.safe_load(config.read_text())
    parsed = urlparse(url)
    doc["alerting"] = {"alertmanagers": [{"static_configs": [
        {"targets": [f"{parsed.hostname or '127.0.0.1'}:{parsed.port or 9095}"]}]}]}
    config.write_text(yaml.safe_dump(doc, sort_keys=False))


class AlertmanagerComponent(Component):
    """Debian's ``prometheus-alertmanager`` with deploy/alertmanager/alertmanager.yml, posting to
    ``ZYGARDE_ALERT_WEBHOOK_URL``; clustering off (its gossip port, 9094 by default, is not needed)."""

    name = "alertmanager"
    marker = "alertmanager"

    def __init__(self, settings: Settings, route: dict[str, str] | None = None) -> None:
        super().__init__(settings)
        self.route = route or {}  # timing overrides (group_wait, group_interval ...), e.g. a test's

    @property
    def address(self) -> str:
        return self.settings.alertmanager_url

    @property
    def config(self) -> Path:
        return self.settings.home / "alertmanager" / "alertmanager.yml"

    def install(self) -> None:
        if shutil.which("prometheus-alertmanager"):
            return
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise StackError("alertmanager", "not installed and apt-get is not available to install it as root")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        _run("alertmanager", ["apt-get", "update", "-qq"], self.install_log, env=env)
        _run("alertmanager", ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                              "prometheus-alertmanager"], self.install_log, env=env)
        # Debian starts a system service on 9093, the local broker's controller port: ours is the one we run.
        subprocess.run(["service", "prometheus-alertmanager", "stop"], capture_output=True, check=False)

    def prepare(self) -> None:
        doc = yaml.safe_load((REPO_ROOT / "deploy" / "alertmanager" / "alertmanager.yml").read_text())
        doc["route"].update(self.route)
        for receiver in doc["receivers"]:
            if self.settings.alert_webhook_url:
                for hook in receiver.get("webhook_configs", []):
                    hook["url"] = self.settings.alert_webhook_url
            else:
                receiver.pop("webhook_configs", None)
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(yaml.safe_dump(doc, sort_keys=False))

    def ports(self) -> list[tuple[str, int]]:
        parsed = urlparse(self.settings.alertmanager_url)
        return [(parsed.hostname or "127.0.0.1", parsed.port or 9095)]

    def command(self) -> list[str]:
        (host, port), = self.ports()
        return [shutil.which("prometheus-alertmanager") or "prometheus-alertmanager",
                f"--config.file={self.config}",
                f"--storage.path={self.settings.home / 'alertmanager' / 'data'}",
                f"--web.listen-address={host}:{port}",
                f"--web.external-url={self.settings.alertmanager_url}",
                "--cluster.listen-address="]

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.settings.alertmanager_url}/-/ready", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _port_free(host: str, port: int) -> bool:
    """True when a server could listen on ``host:port`` now (as Kafka, FerretDB, Prometheus bind it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


INFRA: dict[str, type[Component]] = {
    "kafka": KafkaComponent,
    "mongo": MongoComponent,
    "prometheus": PrometheusComponent,
    "alertmanager": AlertmanagerComponent,
}
