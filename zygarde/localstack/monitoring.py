"""The monitoring components of the local stack: Prometheus and Alertmanager, both Debian packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import yaml

from zygarde.errors import StackError
from zygarde.localstack.component import Component, run_install_step
from zygarde.settings import REPO_ROOT, Settings


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
        run_install_step("prometheus", ["apt-get", "update", "-qq"], self.install_log, env=env)
        run_install_step("prometheus", ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"],
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
        run_install_step("alertmanager", ["apt-get", "update", "-qq"], self.install_log, env=env)
        run_install_step("alertmanager", ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
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
