"""``zygarde top``: the key series of the Grafana overview, live in the terminal, read from Prometheus."""

from __future__ import annotations

import time
from typing import Any

import httpx
import typer
from rich.live import Live
from rich.table import Table

from zygarde.cli.app import _settings, app, console

SERIES: list[tuple[str, str]] = [
    ("consumer lag (trials)", "sum(zygarde_scaler_consumer_lag)"),
    ("trials in flight", "sum(zygarde_scaler_in_flight_trials)"),
    ("trials requested /s", "sum(rate(zygarde_planner_trials_requested_total[1m]))"),
    ("trials completed /s", 'sum(rate(zygarde_trainer_trials_total{outcome="completed"}[1m]))'),
    ("trials failed /s", 'sum(rate(zygarde_trainer_trials_total{outcome!="completed"}[1m]))'),
    ("trial p95 seconds",
     "histogram_quantile(0.95, sum by (le) (rate(zygarde_trainer_trial_duration_seconds_bucket[5m])))"),
    ("trainers desired", "sum(zygarde_scaler_desired_replicas)"),
    ("trainers current", "sum(zygarde_scaler_current_replicas)"),
    ("trainers busy", "sum(zygarde_trainer_busy)"),
    ("jobs running", 'sum(zygarde_planner_jobs{status="running"})'),
    ("DLQ messages /s", "sum(rate(zygarde_bus_dead_lettered_total[5m]))"),
]


def query(client: httpx.Client, expr: str) -> float | None:
    resp = client.get("/api/v1/query", params={"query": expr})
    resp.raise_for_status()
    result: list[dict[str, Any]] = resp.json()["data"]["result"]
    if not result:
        return None
    return float(result[0]["value"][1])


def snapshot(client: httpx.Client) -> Table:
    table = Table(title=f"Zygarde · {time.strftime('%H:%M:%S')} · {client.base_url}")
    table.add_column("series")
    table.add_column("value", justify="right")
    for label, expr in SERIES:
        try:
            value = query(client, expr)
            text = "-" if value is None else (f"{value:.3f}" if value % 1 else f"{value:.0f}")
        except httpx.HTTPError as exc:
            text = f"[red]{type(exc).__name__}[/red]"
        table.add_row(label, text)
    return table


@app.command()
def top(interval: float = typer.Option(2.0, help="seconds between refreshes"),
        once: bool = typer.Option(False, help="print one snapshot and exit")) -> None:
    """Show lag, throughput, durations and trainers live, from Prometheus."""
    with httpx.Client(base_url=_settings().prometheus_url, timeout=5) as client:
        if once:
            console.print(snapshot(client))
            return
        with Live(snapshot(client), console=console, refresh_per_second=2) as live:
            try:
                while True:
                    time.sleep(interval)
                    live.update(snapshot(client))
            except KeyboardInterrupt:
                pass
