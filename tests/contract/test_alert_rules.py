"""Every alert and recording rule is tested by ``promtool test rules`` (deploy/prometheus/tests/):
each alert fires on the input it is for and stays silent on the input it is not for, each recording
rule gives a known value. And a real consumer's first dead letter, scraped the way Prometheus
scrapes it, fires ``ZygardeDeadLetters``: without the counter's zero before the first event there
is no increase to see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.contract.test_deploy import PROM, promtool
from zygarde import observability as obs
from zygarde import topics
from zygarde.bus.consumer import EventConsumer, MessageMeta

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
