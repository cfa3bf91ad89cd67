"""Every alert and recording rule is tested by ``promtool test rules`` (deploy/prometheus/tests/):
each alert fires on the input it is for and stays silent on the input it is not for, each recording
rule gives a known value. And a real consumer's first dead letter, scraped the way Prometheus
scrapes it, fires ``ZygardeDeadLetters``: without the counter's zero before the first event there
is no increase to see."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.contract.test_deploy import K8S, PROM, by_kind, compose, pod_spec, promtool
from zygarde import observability as obs
from zygarde import topics
from zygarde.bus.consumer import EventConsumer, MessageMeta
from zygarde.settings import Settings

TESTS = sorted((PROM / "tests").glob("*.test.yml"))


def rules() -> tuple[set[str], set[str]]:
    alerts, records = set(), set()
    for path in sorted((PROM / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                (alerts.add(rule["alert"]) if "alert" in rule else records.add(rule["record"]))
    return alerts, records


def test_promtool_passes_every_rule_test() -> None:
    assert TESTS, "no promtool test files under deploy/prometheus/tests"
    res = promtool("test", "rules", *TESTS)
    assert res.returncode == 0, res.stdout + res.stderr


def test_every_alert_is_tested_firing_and_silent_and_every_record_is_tested() -> None:
    alerts, records = rules()
    fires: set[str] = set()
    silent: set[str] = set()
    evaluated: set[str] = set()
    for path in TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else silent).add(check["alertname"])
            evaluated |= {check["expr"] for check in case.get("promql_expr_test", [])}
    assert alerts - fires == set(), "alerts never seen firing in a test"
    assert alerts - silent == set(), "alerts never seen staying silent in a test"
    assert records - evaluated == set(), "recording rules without a promql_expr_test"


class _Dlq:
    def publish(self, event: Any) -> None:
        self.event = event

    def flush(self) -> None:
        return None


class _Poison:
    def value(self) -> bytes:
        return b"not an event"


def _samples(registry: CollectorRegistry, name: str, service: str) -> dict[str, float]:
    out = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            if s.name == name and s.labels.get("service") == service:
                out[s.labels["topic"]] = s.value
    return out


def test_a_new_consumers_first_dead_letter_fires_the_alert(tmp_path: Path) -> None:
    service = "first-dead-letter"  # its own label value: nothing else in this process counted it
    registry = obs.use_metrics("trainer", CollectorRegistry())
    consumer = EventConsumer("127.0.0.1:1", "alerts.", "g", [topics.TRIALS], dlq=_Dlq(),  # type: ignore[arg-type]
                             service=service)
    try:
        first = _samples(registry, "zygarde_bus_dead_lettered_total", service)  # the scrape before it happens
        consumer._dead_letter(_Poison(), MessageMeta("alerts.trials", 0, 7, None), "undecodable")  # type: ignore[arg-type]
        then = _samples(registry, "zygarde_bus_dead_lettered_total", service)
    finally:
        consumer._consumer.close()
    assert then == {"trials": 1.0}
    # what Prometheus stored, one scrape a minute: before the dead letter, then after it
    values = f"{first['trials']:g}" if "trials" in first else "_"
    values += " 1x20"
    series = (f'zygarde_bus_dead_lettered_total{{job="zygarde-trainers",instance="t",service="{service}",'
              f'topic="trials"}}')
    test = {
        "rule_files": [str(PROM / "rules" / "alerts.yml"), str(PROM / "rules" / "recording.yml")],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": series, "values": values}],
            "alert_rule_test": [{
                "eval_time": "3m", "alertname": "ZygardeDeadLetters",
                "exp_alerts": [{
                    "exp_labels": {"severity": "warning", "service": service, "topic": "trials"},
                    "exp_annotations": {"summary": f"{service} dead-lettered messages from trials; read the dlq topic"},
                }],
            }],
        }],
    }
    path = tmp_path / "first_dead_letter.test.yml"
    path.write_text(yaml.safe_dump(test))
    res = promtool("test", "rules", path)
    assert res.returncode == 0, f"input {values!r}\n" + res.stdout + res.stderr


# --- Alertmanager: where the alerts go ----------------------------------------------------------

ALERTMANAGER = PROM.parent / "alertmanager" / "alertmanager.yml"


def test_amtool_accepts_the_alertmanager_config_and_it_posts_to_a_webhook() -> None:
    exe = shutil.which("amtool")
    assert exe, "amtool is needed (apt-get install prometheus-alertmanager)"
    res = subprocess.run([exe, "check-config", str(ALERTMANAGER)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    doc = yaml.safe_load(ALERTMANAGER.read_text())
    receiver = {r["name"]: r for r in doc["receivers"]}[doc["route"]["receiver"]]
    assert [h["url"] for h in receiver["webhook_configs"]] == ["http://alert-webhook:8080/alerts"]


def _alertmanagers(config: str) -> list[str]:
    doc = yaml.safe_load((PROM / config).read_text())
    return [t for am in doc["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]]


def test_every_prometheus_sends_its_alerts_to_alertmanager() -> None:
    assert _alertmanagers("prometheus.compose.yml") == ["alertmanager:9093"]
    assert _alertmanagers("prometheus.k8s.yml") == ["alertmanager.zygarde.svc:9093"]
    local_port = urlparse(Settings().alertmanager_url).port
    assert _alertmanagers("prometheus.yml") == [f"127.0.0.1:{local_port}"]
    assert local_port != 9093, "9093 is the local broker's controller port"


def test_compose_and_kubernetes_run_alertmanager_with_its_config() -> None:
    alertmanager = compose()["services"]["alertmanager"]
    assert "./deploy/alertmanager:/etc/alertmanager:ro" in alertmanager["volumes"]
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in alertmanager["command"]
    deployment = by_kind("Deployment")["alertmanager"]
    container = pod_spec(deployment)["containers"][0]
    assert container["image"].startswith("prom/alertmanager:")
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in container["args"]
    volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "alertmanager-config"
    assert by_kind("Service")["alertmanager"]["spec"]["ports"][0]["port"] == 9093
    maps = {d["metadata"]["name"]: d for d in yaml.safe_load_all((K8S / "monitoring-config.yaml").read_text())}
    assert maps["alertmanager-config"]["data"]["alertmanager.yml"] == ALERTMANAGER.read_text()
