"""Prometheus metrics (declared once, ``zygarde_<service>_<what>_<unit>``) and structured logs.

No metric carries a job or trial id label: cardinality must stay bounded.

Every family is declared here, unregistered; a service's process registers the bus families and
its own with :func:`use_metrics`, so a scrape of the planner never shows the scaler's gauges at 0
(a query without an ``instance`` filter would mix them with the scaler's real value). Labelled
counters are pre-created at zero for the label values known up front: a series that first appears
at 1 has no increase (``increase()`` needs two samples), so a process's first dead letter or
failed trial would never fire an alert.
"""

from __future__ import annotations

import json
import logging
import sys
import weakref
from collections.abc import Iterable
from typing import Any, get_args

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.metrics import MetricWrapperBase

# --- bus (every service)
BUS_PRODUCED = Counter("zygarde_bus_messages_produced_total", "Messages produced", ["topic", "service"],
                       registry=None)
BUS_CONSUMED = Counter("zygarde_bus_messages_consumed_total", "Messages consumed and handled", ["topic", "service"],
                       registry=None)
BUS_DEAD_LETTERED = Counter(
    "zygarde_bus_dead_lettered_total", "Undecodable messages sent to the dead-letter topic", ["topic", "service"],
    registry=None,
)

# --- planner
PLANNER_TRIALS_REQUESTED = Counter("zygarde_planner_trials_requested_total", "Trials requested from trainers",
                                   registry=None)
PLANNER_TRIALS_FINISHED = Counter(
    "zygarde_planner_trials_finished_total", "Trials the planner saw finish", ["outcome"], registry=None
)
PLANNER_JOBS = Gauge("zygarde_planner_jobs", "Jobs known to the planner by status", ["status"], registry=None)
HTTP_REQUESTS = Counter(
    "zygarde_http_requests_total", "HTTP requests answered by the API, by route template, method and status",
    ["route", "method", "status"], registry=None,
)
HTTP_REQUEST_DURATION = Histogram(
    "zygarde_http_request_duration_seconds", "Time to answer an HTTP request, by route template and method",
    ["route", "method"], registry=None,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# --- trainer
TRAINER_TRIALS = Counter("zygarde_trainer_trials_total", "Trials run by trainers", ["algorithm", "outcome"],
                         registry=None)
TRAINER_TRIAL_DURATION = Histogram(
    "zygarde_trainer_trial_duration_seconds",
    "Wall time of one trial (all folds)",
    ["algorithm"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320, 640),
    registry=None,
)
TRAINER_BUSY = Gauge("zygarde_trainer_busy", "1 while this trainer runs a trial", registry=None)

# --- selector
SELECTOR_RESULTS = Counter("zygarde_selector_results_total", "Results stored by the selector", ["outcome"],
                           registry=None)
SELECTOR_MODELS = Counter("zygarde_selector_models_selected_total", "Final models selected", registry=None)

# --- scaler
SCALER_LAG = Gauge("zygarde_scaler_consumer_lag", "Trainers' consumer lag on trials", ["partition"], registry=None)
SCALER_IN_FLIGHT = Gauge("zygarde_scaler_in_flight_trials", "Trials started and not finished", registry=None)
SCALER_DESIRED = Gauge("zygarde_scaler_desired_replicas", "Trainers the policy wants", registry=None)
SCALER_CURRENT = Gauge("zygarde_scaler_current_replicas", "Trainers running", registry=None)
SCALER_INSTANCE_SECONDS = Counter(
    "zygarde_scaler_instance_seconds_total", "Instance-seconds of trainers (what a cloud would bill)", registry=None
)
SCALER_DECISIONS = Counter("zygarde_scaler_decisions_total", "Scaling decisions", ["direction"], registry=None)

FAMILIES: dict[str, tuple[MetricWrapperBase, ...]] = {
    "bus": (BUS_PRODUCED, BUS_CONSUMED, BUS_DEAD_LETTERED),
    "planner": (PLANNER_TRIALS_REQUESTED, PLANNER_TRIALS_FINISHED, PLANNER_JOBS, HTTP_REQUESTS, HTTP_REQUEST_DURATION),
    "trainer": (TRAINER_TRIALS, TRAINER_TRIAL_DURATION, TRAINER_BUSY),
    "selector": (SELECTOR_RESULTS, SELECTOR_MODELS),
    "scaler": (SCALER_LAG, SCALER_IN_FLIGHT, SCALER_DESIRED, SCALER_CURRENT, SCALER_INSTANCE_SECONDS,
               SCALER_DECISIONS),
}
SERVICES = ("planner", "trainer", "selector", "scaler")

# The label values each labelled counter can take, known before anything happens.
TRIAL_OUTCOMES = ("completed", "failed", "timeout", "cancelled", "pruned", "lost")  # the trainer's `outcome`
PLANNER_OUTCOMES = ("completed", "failed")
SELECTOR_OUTCOMES = ("completed", "failed", "duplicate")
SCALER_DIRECTIONS = ("out", "in")
UNKNOWN_ALGORITHM = "unknown"  # a trial request too broken to name its algorithm

_registered: weakref.WeakKeyDictionary[CollectorRegistry, set[str]] = weakref.WeakKeyDictionary()


def use_metrics(service: str, registry: CollectorRegistry = REGISTRY, *,
                algorithms: Iterable[str] = ()) -> CollectorRegistry:
    """Register the bus families and ``service``'s own in ``registry`` (once), with every labelled
    series known up front at zero. ``algorithms``: the trainer's algorithm names."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; one of {SERVICES}")
    done = _registered.setdefault(registry, set())
    for group in ("bus", service):
        if group not in done:
            for collector in FAMILIES[group]:
                registry.register(collector)
            done.add(group)
    precreate(service, algorithms=algorithms)
    return registry


def precreate(service: str, *, algorithms: Iterable[str] = ()) -> None:
    """Create ``service``'s labelled series at zero (a no-op for those that exist already)."""
    from zygarde.events import JobStatus  # here: events is a larger import than the metrics

    if service == "planner":
        for outcome in PLANNER_OUTCOMES:
            PLANNER_TRIALS_FINISHED.labels(outcome=outcome)
        for status in get_args(JobStatus):
            PLANNER_JOBS.labels(status=status)
    elif service == "trainer":
        for algorithm in algorithms:
            TRAINER_TRIAL_DURATION.labels(algorithm=algorithm)
            for outcome in TRIAL_OUTCOMES:
                TRAINER_TRIALS.labels(algorithm=algorithm, outcome=outcome)
        TRAINER_TRIALS.labels(algorithm=UNKNOWN_ALGORITHM, outcome="failed")
    elif service == "selector":
        for outcome in SELECTOR_OUTCOMES:
            SELECTOR_RESULTS.labels(outcome=outcome)
    elif service == "scaler":
        for direction in SCALER_DIRECTIONS:
            SCALER_DECISIONS.labels(direction=direction)


def precreate_bus(service: str, consumed: Iterable[str] = (), produced: Iterable[str] = ()) -> None:
    """A bus client's series at zero: consumed and dead-lettered per topic it reads, produced per
    topic it may write."""
    for topic in consumed:
        BUS_CONSUMED.labels(topic=topic, service=service)
        BUS_DEAD_LETTERED.labels(topic=topic, service=service)
    for topic in produced:
        BUS_PRODUCED.labels(topic=topic, service=service)


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
