"""Writes the Grafana dashboards (JSON) from one list of panels: ``python deploy/grafana/generate.py``."""

from __future__ import annotations

import json
from pathlib import Path

DS = {"type": "prometheus", "uid": "prometheus"}

OVERVIEW = [
    ("Consumer lag per partition (trials)", "timeseries", ["zygarde_scaler_consumer_lag"], "{{partition}}"),
    ("Trials requested / s", "timeseries", ["sum(rate(zygarde_planner_trials_requested_total[1m]))"], "requested"),
    ("Trials finished / s by outcome", "timeseries",
     ["sum by (outcome) (rate(zygarde_trainer_trials_total[1m]))"], "{{outcome}}"),
    ("Trial duration p50 / p95 by algorithm (s)", "timeseries",
     ["histogram_quantile(0.5, sum by (le, algorithm) (rate(zygarde_trainer_trial_duration_seconds_bucket[5m])))",
      "histogram_quantile(0.95, sum by (le, algorithm) (rate(zygarde_trainer_trial_duration_seconds_bucket[5m])))"],
     ["p50 {{algorithm}}", "p95 {{algorithm}}"]),
    ("Trainers: desired vs current", "timeseries",
     ["sum(zygarde_scaler_desired_replicas)", "sum(zygarde_scaler_current_replicas)"], ["desired", "current"]),
    ("Instance-seconds billed", "stat", ["sum(zygarde_scaler_instance_seconds_total)"], ""),
    ("Jobs by status", "bargauge", ["sum by (status) (zygarde_planner_jobs)"], "{{status}}"),
    ("Dead-lettered messages / s", "timeseries", ["sum(rate(zygarde_bus_dead_lettered_total[5m]))"], "dlq"),
    ("Trials in flight", "stat", ["sum(zygarde_scaler_in_flight_trials)"], ""),
    ("Bus messages consumed / s by topic", "timeseries",
     ["sum by (topic) (rate(zygarde_bus_messages_consumed_total[1m]))"], "{{topic}}"),
]

JOB = [
    ("Trials completed by algorithm", "bargauge",
     ['sum by (algorithm) (zygarde_trainer_trials_total{outcome="completed"})'], "{{algorithm}}"),
    ("Mean trial seconds by algorithm", "timeseries",
     ["sum by (algorithm) (rate(zygarde_trainer_trial_duration_seconds_sum[5m]))"
      " / sum by (algorithm) (rate(zygarde_trainer_trial_duration_seconds_count[5m]))"], "{{algorithm}}"),
    ("Trials finished by the planner", "timeseries",
     ["sum by (outcome) (rate(zygarde_planner_trials_finished_total[1m]))"], "{{outcome}}"),
    ("Results stored by the selector", "timeseries",
     ["sum by (outcome) (rate(zygarde_selector_results_total[1m]))"], "{{outcome}}"),
    ("Trials / s by algorithm and outcome", "timeseries",
     ["sum by (algorithm, outcome) (rate(zygarde_trainer_trials_total[5m]))"], "{{algorithm}} {{outcome}}"),
    ("Trial seconds p95 by algorithm", "timeseries",
     ["histogram_quantile(0.95, sum by (le, algorithm) (rate(zygarde_trainer_trial_duration_seconds_bucket[5m])))"],
     "{{algorithm}}"),
]


Panel = tuple[str, str, list[str], str | list[str]]  # title, type, exprs, legend (one, or one per expr)


def dashboard(uid: str, title: str, panels: list[Panel]) -> dict:
    out = []
    for i, (name, kind, exprs, legend) in enumerate(panels):
        legends = legend if isinstance(legend, list) else [legend] * len(exprs)
        out.append({
            "id": i + 1, "title": name, "type": kind, "datasource": DS,
            "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i // 2) * 8},
            "targets": [{"refId": chr(65 + j), "expr": e, "legendFormat": legends[j], "datasource": DS}
                        for j, e in enumerate(exprs)],
        })
    return {"uid": uid, "title": title, "schemaVersion": 39, "version": 1, "refresh": "5s",
            "time": {"from": "now-30m", "to": "now"}, "tags": ["zygarde"], "panels": out}


DASHBOARDS = (("zygarde-overview", "Zygarde overview", OVERVIEW), ("zygarde-job", "Zygarde job", JOB))
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
