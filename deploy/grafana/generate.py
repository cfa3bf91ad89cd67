"""Writes the Grafana dashboards (JSON) from one list of panels: ``python deploy/grafana/generate.py``.

Every panel reads through the ``datasource`` variable (no uid of ours: the dashboards import into
any Grafana), has a unit, and shows counters as ``rate(...[$__rate_interval])`` or
``increase(...[$__range])``: a counter summed raw falls when a trainer goes away. Where a
recording rule (deploy/prometheus/rules/recording.yml) computes the series, the panel reads it;
the others take the ``job`` filter. Type-checked against Grafana's own schema (@grafana/schema)
by tests/contract/test_dashboards_schema.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

DS = {"type": "prometheus", "uid": "${datasource}"}
JOB = 'job=~"$job"'


class P(NamedTuple):
    title: str
    kind: str  # timeseries, stat, bargauge
    unit: str  # a Grafana unit id
    exprs: list[str]
    legend: str | list[str]  # one, or one per expression


OVERVIEW = [
    P("Consumer lag per partition (trials)", "timeseries", "short",
      [f"sum by (partition) (zygarde_scaler_consumer_lag{{{JOB}}})", "zygarde:consumer_lag:sum"],
      ["{{partition}}", "all partitions"]),
    P("Trials requested / s", "timeseries", "ops", ["zygarde:trials_requested:rate1m"], "requested"),
    P("Trials finished / s by outcome", "timeseries", "ops", ["zygarde:trials_finished:rate1m"], "{{outcome}}"),
    P("Trial duration p50 / p95 by algorithm", "timeseries", "s",
      ["zygarde:trial_duration_seconds:p50", "zygarde:trial_duration_seconds:p95"],
      ["p50 {{algorithm}}", "p95 {{algorithm}}"]),
    P("Trainers: desired vs current", "timeseries", "short",
      [f"max(zygarde_scaler_desired_replicas{{{JOB}}})", f"max(zygarde_scaler_current_replicas{{{JOB}}})"],
      ["desired", "current"]),
    P("Instance-seconds billed (time range)", "stat", "s",
      [f"sum(increase(zygarde_scaler_instance_seconds_total{{{JOB}}}[$__range]))"], "billed"),
    P("Jobs by status", "bargauge", "short", [f"max by (status) (zygarde_planner_jobs{{{JOB}}})"], "{{status}}"),
    P("Dead-lettered messages (time range) by service and topic", "timeseries", "short",
      [f"sum by (service, topic) (increase(zygarde_bus_dead_lettered_total{{{JOB}}}[$__range]))"],
      "{{service}} {{topic}}"),
    P("Trials in flight", "stat", "short", [f"sum(zygarde_scaler_in_flight_trials{{{JOB}}})"], "in flight"),
    P("Bus messages consumed / s by topic", "timeseries", "ops",
      [f"sum by (topic) (rate(zygarde_bus_messages_consumed_total{{{JOB}}}[$__rate_interval]))"], "{{topic}}"),
    P("API requests / s by route and status", "timeseries", "reqps",
      ["zygarde:http_requests:rate1m"], "{{route}} {{status}}"),
    P("API latency p95 by route", "timeseries", "s",
      ["zygarde:http_request_duration_seconds:p95"], "{{route}}"),
]

JOB_PANELS = [
    P("Trials completed by algorithm (time range)", "bargauge", "short",
      [f'sum by (algorithm) (increase(zygarde_trainer_trials_total{{outcome="completed",{JOB}}}[$__range]))'],
      "{{algorithm}}"),
    P("Mean trial seconds by algorithm", "timeseries", "s",
      [f"sum by (algorithm) (rate(zygarde_trainer_trial_duration_seconds_sum{{{JOB}}}[$__rate_interval]))"
       f" / sum by (algorithm) (rate(zygarde_trainer_trial_duration_seconds_count{{{JOB}}}[$__rate_interval]))"],
      "{{algorithm}}"),
    P("Trials finished by the planner / s", "timeseries", "ops",
      [f"sum by (outcome) (rate(zygarde_planner_trials_finished_total{{{JOB}}}[$__rate_interval]))"], "{{outcome}}"),
    P("Results stored by the selector / s", "timeseries", "ops",
      [f"sum by (outcome) (rate(zygarde_selector_results_total{{{JOB}}}[$__rate_interval]))"], "{{outcome}}"),
    P("Trials / s by algorithm and outcome", "timeseries", "ops",
      [f"sum by (algorithm, outcome) (rate(zygarde_trainer_trials_total{{{JOB}}}[$__rate_interval]))"],
      "{{algorithm}} {{outcome}}"),
    P("Trial seconds p95 by algorithm", "timeseries", "s", ["zygarde:trial_duration_seconds:p95"], "{{algorithm}}"),
]

TEMPLATING = {"list": [
    {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
     "hide": 0, "refresh": 1, "regex": "", "options": []},
    {"name": "job", "label": "Job", "type": "query", "datasource": DS,
     "query": {"query": 'label_values(up{job=~"zygarde-.*"}, job)', "refId": "jobs"},
     "includeAll": True, "multi": True, "allValue": ".+", "current": {"text": "All", "value": "$__all"},
     "hide": 0, "refresh": 2, "regex": "", "sort": 1, "options": []},
]}


def dashboard(uid: str, title: str, panels: list[P]) -> dict:
    out = []
    for i, p in enumerate(panels):
        legends = p.legend if isinstance(p.legend, list) else [p.legend] * len(p.exprs)
        out.append({
            "id": i + 1, "title": p.title, "type": p.kind, "datasource": DS,
            "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i // 2) * 8},
            "fieldConfig": {"defaults": {"unit": p.unit}, "overrides": []},
            "targets": [{"refId": chr(65 + j), "expr": e, "legendFormat": legends[j], "datasource": DS}
                        for j, e in enumerate(p.exprs)],
        })
    return {"uid": uid, "title": title, "schemaVersion": 39, "version": 1, "refresh": "5s", "editable": True,
            "time": {"from": "now-30m", "to": "now"}, "tags": ["zygarde"], "templating": TEMPLATING,
            "panels": out}


def expand(expr: str, *, rate_interval: str = "1m", range_: str = "30m", job: str = ".+") -> str:
    """``expr`` as Grafana sends it to Prometheus, with the variables given (for promtool and tests)."""
    return (expr.replace("$__rate_interval", rate_interval).replace("$__range", range_)
            .replace("$job", job))


def variables(expr: str) -> set[str]:
    """The dashboard variables ``expr`` uses (``$__...`` ones included)."""
    return set(re.findall(r"\$(\w+)", expr))


DASHBOARDS = (("zygarde-overview", "Zygarde overview", OVERVIEW), ("zygarde-job", "Zygarde job", JOB_PANELS))
FOLDER = Path(__file__).parent / "dashboards"


def render() -> dict[Path, str]:
    """Every dashboard file's path and text, without writing (the contract test compares them)."""
    return {FOLDER / f"{uid}.json": json.dumps(dashboard(uid, title, panels), indent=2) + "\n"
            for uid, title, panels in DASHBOARDS}


def main() -> None:
    FOLDER.mkdir(exist_ok=True)
    for path, text in render().items():
        path.write_text(text)


if __name__ == "__main__":
    main()
