"""Offline checks of what cannot run here: docker-compose, Kubernetes manifests, Prometheus, Grafana."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[2]
SERVICES = ("planner", "trainer", "selector", "scaler")
INFRA_IMAGES = {"kafka": "apache/kafka:4.1", "mongo": "mongo:", "prometheus": "prom/prometheus",
                "grafana": "grafana/grafana"}
CONTRACT_PORTS = {"kafka": 9092, "mongo": 27017, "prometheus": 9090, "planner": 8080}

# Every metric a dashboard or rule may use: those of CONTRACT.md and the ones Zygarde adds.
KNOWN_METRICS = {
    "zygarde_planner_trials_requested_total", "zygarde_planner_jobs", "zygarde_planner_trials_finished_total",
    "zygarde_trainer_trials_total", "zygarde_trainer_trial_duration_seconds_bucket",
    "zygarde_trainer_trial_duration_seconds_sum", "zygarde_trainer_trial_duration_seconds_count",
    "zygarde_trainer_busy", "zygarde_scaler_consumer_lag", "zygarde_scaler_in_flight_trials",
    "zygarde_scaler_desired_replicas", "zygarde_scaler_current_replicas", "zygarde_scaler_instance_seconds_total",
    "zygarde_selector_results_total", "zygarde_bus_messages_consumed_total", "zygarde_bus_messages_produced_total",
    "zygarde_bus_dead_lettered_total",
}


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_names_every_service_image_and_port_of_the_contract() -> None:
    services = compose()["services"]
    for name, image in INFRA_IMAGES.items():
        assert services[name]["image"].startswith(image), name
    for name, port in CONTRACT_PORTS.items():
        assert any(str(p).startswith(f"{port}:") for p in services[name].get("ports", [])), name
    for name in SERVICES:
        assert services[name]["command"] == ["run", name]
        assert services[name]["image"] == "zygarde:latest"
        assert "healthcheck" in services["planner"]
    assert services["trainer"]["deploy"]["replicas"] >= 1


def test_compose_and_dockerfile_hold_no_secret() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "ZYGARDE_ADMIN_TOKEN: ${ZYGARDE_ADMIN_TOKEN:?" in text
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER zygarde" in dockerfile and "TOKEN" not in dockerfile


MODELS = {
    "Namespace": "V1Namespace", "ConfigMap": "V1ConfigMap", "Secret": "V1Secret", "Deployment": "V1Deployment",
    "Service": "V1Service", "StatefulSet": "V1StatefulSet", "PersistentVolumeClaim": "V1PersistentVolumeClaim",
    "ServiceAccount": "V1ServiceAccount", "Role": "V1Role", "RoleBinding": "V1RoleBinding",
}


def k8s_docs() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        out += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return out


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


K8S_IDS = [f"{n}:{d['kind']}/{d['metadata']['name']}" for n, d in k8s_docs()]


@pytest.mark.parametrize("name, doc", k8s_docs(), ids=K8S_IDS)
def test_manifest_matches_the_kubernetes_openapi_models(name: str, doc: dict[str, Any]) -> None:
    from kubernetes import client

    if doc["kind"] == "ScaledObject":
        trigger = doc["spec"]["triggers"][0]
        assert trigger["type"] == "kafka" and trigger["metadata"]["consumerGroup"] == "zygarde-trainers"
        assert doc["spec"]["scaleTargetRef"]["name"] == "zygarde-trainer"
        return
    api = client.ApiClient()

    class Response:
        data = json.dumps(doc)

    model = api.deserialize(Response(), MODELS[doc["kind"]])
    # A misspelled or unknown field is dropped by the model: the round trip must give the document back.
    assert _strip_nulls(api.sanitize_for_serialization(model)) == _strip_nulls(json.loads(json.dumps(doc)))


def test_every_service_is_a_deployment_and_secrets_are_references() -> None:
    docs = [d for _, d in k8s_docs()]
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    for name in SERVICES:
        container = deployments[f"zygarde-{name}"]["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["run", name]
        token = [e for e in container["env"] if e["name"] == "ZYGARDE_ADMIN_TOKEN"][0]
        assert "secretKeyRef" in token["valueFrom"]
    assert deployments["zygarde-trainer"]["spec"]["replicas"] == 0
    kustom = yaml.safe_load((ROOT / "deploy" / "k8s" / "kustomization.yaml").read_text())
    for resource in kustom["resources"]:
        assert (ROOT / "deploy" / "k8s" / resource).exists()


@pytest.mark.parametrize("args", [
    pytest.param(["check", "config", "deploy/prometheus/prometheus.yml"], id="config-local"),
    pytest.param(["check", "config", "deploy/prometheus/prometheus.compose.yml"], id="config-compose"),
    pytest.param(["check", "rules", "deploy/prometheus/rules/recording.yml", "deploy/prometheus/rules/alerts.yml"],
                 id="rules"),
])
def test_promtool_accepts_our_configuration(args: list[str]) -> None:
    res = subprocess.run(["promtool", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


def dashboard_exprs() -> list[str]:
    exprs = []
    for path in sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            exprs += [t["expr"] for t in panel["targets"]]
    return exprs


def rule_exprs() -> list[str]:
    out = []
    for path in sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            out += [r["expr"] for r in group["rules"]]
    return out


def test_dashboards_and_rules_use_only_metrics_we_export() -> None:
    exprs = dashboard_exprs() + rule_exprs()
    assert len(dashboard_exprs()) >= 10
    used = {m for e in exprs for m in re.findall(r"\bzygarde_[a-z_]+\b", e)}
    assert used <= KNOWN_METRICS, used - KNOWN_METRICS


def test_dashboards_are_generated_from_their_source() -> None:
    before = {p: p.read_text() for p in (ROOT / "deploy" / "grafana" / "dashboards").glob("*.json")}
    subprocess.run([sys.executable, "deploy/grafana/generate.py"], cwd=ROOT, check=True)
    assert {p: p.read_text() for p in before} == before
