"""The scaler loop: measure work, ask the policy, move the backend, say why, account the cost."""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.scaler import lag
from services.scaler.backends import make_backend
from services.scaler.backends._base import BaseScalerBackend
from services.scaler.policy import Observation, PolicyState, ScalerConfig, desired_replicas
from zygarde import events as ev
from zygarde.bus import BusAdmin, EventProducer
from zygarde.observability import (
    SCALER_CURRENT,
    SCALER_DECISIONS,
    SCALER_DESIRED,
    SCALER_INSTANCE_SECONDS,
    serve_metrics,
    setup_logging,
    use_metrics,
)
from zygarde.settings import ScalerBackendSettings, Settings
from zygarde.store import JobRepository, TrialRepository, connect

log = logging.getLogger("zygarde.scaler")


_DEFAULTS = ScalerConfig()  # the policy's tuned defaults live in one place (bench/results/scaler_sim.md)


class ScalerSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="ZYGARDE_SCALER_", extra="ignore")

    metrics_port: int = 9103
    backend: str = "local"
    interval_s: float = _DEFAULTS.polling_interval_s
    lag_threshold: int = _DEFAULTS.lag_threshold
    activation_lag_threshold: int = _DEFAULTS.activation_lag_threshold
    min_replicas: int = _DEFAULTS.min_replicas
    max_replicas: int = 2  # one machine: the local stack's default trainer count
    cooldown_s: float = _DEFAULTS.cooldown_s
    stabilization_window_s: float = _DEFAULTS.stabilization_window_s
    scale_up_max_step: int = _DEFAULTS.scale_up_max_step
    drain_timeout_s: float = 60.0
    in_flight_every_s: float = Field(15.0, gt=0, description="how often the in-flight gauge counts running trials")
    max_failed_steps: int = Field(30, ge=1, description="consecutive failed steps before the scaler exits")


class Scaler:
    def __init__(self, cfg: ScalerConfig, backend: BaseScalerBackend, producer: EventProducer,
                 measure: Any, clock: Any = time.monotonic, searching_jobs: Any = None,
                 planning_jobs: Any = None, running_workers: Any = None) -> None:
        self.cfg = cfg
        self.backend = backend
        self.producer = producer
        self.measure = measure
        self.clock = clock
        self.searching_jobs = searching_jobs  # () -> jobs that may still ask for trials; None: not known
        self.planning_jobs = planning_jobs  # () -> jobs that may still request a new trial
        self.running_workers = running_workers  # () -> worker ids of the trials running now
        self.state = PolicyState()
        self._last = clock()

    def step(self) -> int:
        """One decision; returns the replicas asked for."""
        now = self.clock()
        current = self.backend.current()
        SCALER_INSTANCE_SECONDS.inc(self.backend.billed() * max(0.0, now - self._last))
        self._last = now
        work = self.measure()
        # lag.py: a running trial's offset is still uncommitted, so the lag already holds in-flight work.
        busy = self._busy(work.total, current)
        obs = Observation(now=now, lag=work.total, in_flight=0, current=current,
                          searching_jobs=self._searching_jobs() if work.total == 0 else None,
                          running=None if busy is None else len(busy), planning_jobs=0 if busy is not None else None)
        decision = desired_replicas(self.cfg, obs, self.state)
        SCALER_DESIRED.set(decision.desired)
        if decision.desired != current:
            direction = "out" if decision.desired > current else "in"
            log.info("scaling %s: %d -> %d (%s)", direction, current, decision.desired, decision.reason)
            if busy is None:
                self.backend.scale_to(decision.desired)
            else:
                self.backend.scale_to(decision.desired, busy=busy)
            self.producer.publish(ev.ScalingDecided(job_id="-", from_replicas=current,
                                                    to_replicas=decision.desired, reason=decision.reason,
                                                    lag=work.total))
            self.producer.flush()
            SCALER_DECISIONS.labels(direction=direction).inc()
        SCALER_CURRENT.set(self.backend.current())
        return decision.desired

    def _busy(self, lag: int, current: int) -> set[str] | None:
        """The workers running a trial, asked only where the surplus rule can apply: a lag for which the lag
        rule wants fewer trainers than run, a backend that stops idle trainers first, and no job planning
        another trial (asked first: the jobs are few, while the trials' query reads every trial on some
        stores). None: the rule stays off (a store error included: the stabilisation window decides, as
        without it)."""
        fewer = lag > 0 and math.ceil(lag / self.cfg.lag_threshold) < current
        if not (fewer and self.backend.picks_idle and self.planning_jobs and self.running_workers):
            return None
        try:
            if int(self.planning_jobs()) != 0:
                return None
            return set(self.running_workers())
        except Exception:  # noqa: BLE001 - any store error: the rule waits for the next step
            log.warning("could not read the running trials; no surplus scale-in this step", exc_info=True)
            return None

    def _searching_jobs(self) -> int | None:
        """How many jobs are still searching, asked only when no trial waits; unknown (the cooldown decides, as
        without it) when the store does not answer: a store blip must not stop a job's trainers."""
        if self.searching_jobs is None:
            return None
        try:
            return int(self.searching_jobs())
        except Exception:  # noqa: BLE001 - any store error: fall back to the cooldown
            log.warning("could not count the searching jobs; the cooldown decides", exc_info=True)
            return None


def run() -> None:
    shared = Settings()
    own = ScalerSettings()
    setup_logging("scaler", shared.log_level, shared.log_json)
    use_metrics("scaler")
    if own.metrics_port:
        serve_metrics(own.metrics_port, shared.metrics_addr)
    db = connect(shared.mongo_uri)
    admin = BusAdmin(shared.kafka_bootstrap, shared.topic_prefix, service="scaler")  # its own principal
    producer = EventProducer(shared.kafka_bootstrap, shared.topic_prefix, service="scaler")
    cfg = ScalerConfig(
        lag_threshold=own.lag_threshold, activation_lag_threshold=own.activation_lag_threshold,
        min_replicas=own.min_replicas, max_replicas=own.max_replicas, cooldown_s=own.cooldown_s,
        stabilization_window_s=own.stabilization_window_s, scale_up_max_step=own.scale_up_max_step,
        polling_interval_s=own.interval_s,
    )
    backend = make_backend(own.backend, **ScalerBackendSettings().backend_options(own.backend, shared))
    in_flight = lag.InFlight(db, own.in_flight_every_s)
    scaler = Scaler(cfg, backend, producer, lambda: lag.measure(admin, shared.consumer_group("trainers"), in_flight),
                    searching_jobs=JobRepository(db).count_searching, planning_jobs=JobRepository(db).count_planning,
                    running_workers=TrialRepository(db).running_workers)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    failures = 0
    try:
        while not stop.is_set():
            try:
                scaler.step()
                failures = 0
            except Exception:
                # A broker or store restart fails a few steps; the trainers keep running meanwhile.
                # Only a lasting outage ends the process (and its orchestrator restarts it).
                failures += 1
                log.exception("scaler step failed (%d in a row)", failures)
                if failures >= own.max_failed_steps:
                    raise
            stop.wait(own.interval_s)
    finally:
        backend.close()
        producer.close()
