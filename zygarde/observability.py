"""Prometheus metrics (declared once, ``zygarde_<service>_<what>_<unit>``) and structured logs.

No metric carries a job or trial id label: cardinality must stay bounded.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, start_http_server

# --- bus (every service)
BUS_PRODUCED = Counter("zygarde_bus_messages_produced_total", "Messages produced", ["topic", "service"])
BUS_CONSUMED = Counter("zygarde_bus_messages_consumed_total", "Messages consumed and handled", ["topic", "service"])
BUS_DEAD_LETTERED = Counter(
    "zygarde_bus_dead_lettered_total", "Undecodable messages sent to the dead-letter topic", ["topic", "service"]
)

# --- planner
PLANNER_TRIALS_REQUESTED = Counter("zygarde_planner_trials_requested_total", "Trials requested from trainers")
PLANNER_TRIALS_FINISHED = Counter(
    "zygarde_planner_trials_finished_total", "Trials the planner saw finish", ["outcome"]
)
PLANNER_JOBS = Gauge("zygarde_planner_jobs", "Jobs known to the planner by status", ["status"])

# --- trainer
TRAINER_TRIALS = Counter("zygarde_trainer_trials_total", "Trials run by trainers", ["algorithm", "outcome"])
TRAINER_TRIAL_DURATION = Histogram(
    "zygarde_trainer_trial_duration_seconds",
    "Wall time of one trial (all folds)",
    ["algorithm"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320, 640),
)
TRAINER_BUSY = Gauge("zygarde_trainer_busy", "1 while this trainer runs a trial")

# --- selector
SELECTOR_RESULTS = Counter("zygarde_selector_results_total", "Results stored by the selector", ["outcome"])
SELECTOR_MODELS = Counter("zygarde_selector_models_selected_total", "Final models selected")

# --- scaler
SCALER_LAG = Gauge("zygarde_scaler_consumer_lag", "Trainers' consumer lag on trials", ["partition"])
SCALER_IN_FLIGHT = Gauge("zygarde_scaler_in_flight_trials", "Trials started and not finished")
SCALER_DESIRED = Gauge("zygarde_scaler_desired_replicas", "Trainers the policy wants")
SCALER_CURRENT = Gauge("zygarde_scaler_current_replicas", "Trainers running")
SCALER_INSTANCE_SECONDS = Counter(
    "zygarde_scaler_instance_seconds_total", "Instance-seconds of trainers (what a cloud would bill)"
)
SCALER_DECISIONS = Counter("zygarde_scaler_decisions_total", "Scaling decisions", ["direction"])


def serve_metrics(port: int, addr: str = "127.0.0.1") -> None:
    """Expose ``/metrics`` on its own port (services without an HTTP API of their own)."""
    start_http_server(port, addr=addr)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, logger, message and any ``extra`` ids."""

    FIELDS = ("job_id", "trial_id", "attempt", "topic", "partition", "offset")

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                doc[name] = getattr(record, name)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def setup_logging(service: str, level: str = "INFO", as_json: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if as_json:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("pymongo", "urllib3", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
