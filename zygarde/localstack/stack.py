"""``zygarde up | down | status``: the whole local system as processes of this machine."""

from __future__ import annotations

import shutil
import sys
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlparse

from zygarde import topics
from zygarde.errors import StackError
from zygarde.localstack import process
from zygarde.localstack.components import INFRA, Component, _port_open
from zygarde.settings import Settings

SELECTOR_METRICS_PORT = 9102
SCALER_METRICS_PORT = 9103
TRAINER_METRICS_BASE = 9110


class ServiceComponent(Component):
    """One Zygarde service run as ``python -m zygarde.cli run NAME`` in the background."""

    def __init__(self, settings: Settings, service: str, slot: int = 0, port: int = 0,
                 extra_env: dict[str, str] | None = None) -> None:
        self.name = service if not slot else f"{service}-{slot}"
        self.marker = f"zygarde.cli run {service}"
        self.service = service
        self.port = port
        self.extra_env = extra_env or {}
        super().__init__(settings)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}" if self.port else "-"

    def install(self) -> None:
        pass

    def ports(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", self.port)] if self.port else []

    def command(self) -> list[str]:
        return [sys.executable, "-m", "zygarde.cli", "run", self.service]

    def env(self) -> dict[str, str]:
        env = self.settings.child_env()
        env.update(self.extra_env)
        return env

    def ready(self) -> bool:
        if self.running_pid() is None or not self.port:
            return False
        path = "/healthz" if self.service == "planner" else "/metrics"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False


def services(settings: Settings, trainers: int, scaler: bool = True) -> list[Component]:
    """Planner, selector, and either the scaler (trainers on demand, at most ``trainers``) or fixed trainers."""
    planner_port = urlparse(settings.planner_url).port or 8080
    comps: list[Component] = [
        ServiceComponent(settings, "planner", port=planner_port),
        ServiceComponent(settings, "selector", port=SELECTOR_METRICS_PORT,
                         extra_env={"ZYGARDE_SELECTOR_METRICS_PORT": str(SELECTOR_METRICS_PORT)}),
    ]
    if scaler:
        comps.append(ServiceComponent(settings, "scaler", port=SCALER_METRICS_PORT,
                                      extra_env={"ZYGARDE_SCALER_METRICS_PORT": str(SCALER_METRICS_PORT),
                                                 "ZYGARDE_SCALER_MAX_REPLICAS": str(trainers)}))
        return comps
    for slot in range(1, trainers + 1):
        port = TRAINER_METRICS_BASE + slot
        comps.append(ServiceComponent(settings, "trainer", slot=slot, port=port,
                                      extra_env={"ZYGARDE_TRAINER_METRICS_PORT": str(port),
                                                 "ZYGARDE_TRAINER_WORKER_ID": f"trainer-{slot}"}))
    return comps


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    up: bool
    address: str
    pid: int | None
    action: str = ""
    log: str = ""


def infra(settings: Settings, only: list[str] | None = None) -> list[Component]:
    names = only or list(INFRA)
    unknown = [n for n in names if n not in INFRA]
    if unknown:
        raise StackError(",".join(unknown), f"unknown component; choose from {', '.join(INFRA)}")
    return [INFRA[n](settings) for n in names]


def up(settings: Settings, only: list[str] | None = None, *, with_services: bool = False,
       trainers: int = 2, scaler: bool = True) -> list[ComponentStatus]:
    """Start what is not running, reuse what is; create the topics; report what runs where."""
    settings.home.mkdir(parents=True, exist_ok=True)
    comps = infra(settings, only)
    statuses = []
    for comp in comps:
        action = comp.up()
        statuses.append(ComponentStatus(comp.name, True, comp.address, comp.running_pid(), action,
                                        str(comp.files.logfile)))
        if comp.name == "kafka":
            from zygarde.bus import BusAdmin
            from zygarde.localstack import kafka_auth

            admin = kafka_auth.admin_or_nothing(settings)
            BusAdmin(settings.kafka_bootstrap, settings.topic_prefix, security=admin).ensure_topics(topics.ALL)
            if settings.kafka_sasl:  # each service's principal and ACLs, the submitter's client settings
                kafka_auth.apply(settings)
            else:  # clients would otherwise send an earlier start's credentials to a PLAINTEXT listener
                kafka_auth.remove_client_files(settings)
    if with_services:
        settings.token()  # generated once, mode 600, before any service reads it
        settings.reader_token()
        settings.artifact_signing_key()
        if not scaler:
            _write_trainer_targets(settings, trainers)
        for comp in services(settings, trainers, scaler):
            action = comp.up()
            statuses.append(ComponentStatus(comp.name, True, comp.address, comp.running_pid(), action,
                                            str(comp.files.logfile)))
    return statuses


def _write_trainer_targets(settings: Settings, trainers: int) -> None:
    """Prometheus finds the fixed trainers through the same file_sd file the scaler keeps."""
    import json

    path = settings.home / "prometheus" / "etc" / "targets" / "trainers.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    targets = [f"127.0.0.1:{TRAINER_METRICS_BASE + slot}" for slot in range(1, trainers + 1)]
    path.write_text(json.dumps([{"targets": targets, "labels": {"service": "trainer"}}]) + "\n")


def _all_components(settings: Settings) -> list[Component]:
    known: list[Component] = infra(settings)
    run_dir = settings.home / "run"
    svc = services(settings, trainers=0, scaler=True)
    names = {c.name for c in svc}
    if run_dir.exists():
        for pidfile in sorted(run_dir.glob("trainer-*.pid")):
            slot = int(pidfile.stem.split("-")[1])
            if f"trainer-{slot}" not in names:
                svc.append(ServiceComponent(settings, "trainer", slot=slot, port=TRAINER_METRICS_BASE + slot))
    return svc + known


def down(settings: Settings, purge: bool = False) -> list[str]:
    """Stop only the processes our pid files name (services first); keep data unless ``purge``."""
    stopped = [c.name for c in _all_components(settings) if c.down()]
    if purge:
        for sub in ("kafka", "mongo", "prometheus", "alertmanager", "run", "artifacts", "cache"):
            shutil.rmtree(settings.home / sub, ignore_errors=True)
    return stopped


def status(settings: Settings) -> list[ComponentStatus]:
    out = []
    for comp in _all_components(settings):
        pid = comp.running_pid()
        if isinstance(comp, ServiceComponent) and pid is None:
            continue
        is_up = comp.ready() if not isinstance(comp, ServiceComponent) else pid is not None
        out.append(ComponentStatus(comp.name, is_up, comp.address, pid, log=str(comp.files.logfile)))
    return out


def kill9(settings: Settings, name: str) -> None:
    """Crash one component on purpose (fault tests)."""
    process.kill9(process.ProcessFiles(settings.home, name))


__all__ = ["ComponentStatus", "down", "infra", "kill9", "status", "up", "_port_open"]
