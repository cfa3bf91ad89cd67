"""Composition root of a trainer: a stateless consumer of ``trials`` in one consumer group."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from confluent_kafka import TopicPartition
from pydantic_settings import SettingsConfigDict
from pymongo.errors import PyMongoError

from zygarde import events as ev
from zygarde import topics
from zygarde.bus import EventConsumer, EventProducer
from zygarde.observability import serve_metrics, setup_logging, use_metrics
from zygarde.settings import Settings
from zygarde.store import TrialRepository, WorkerRepository, connect

if TYPE_CHECKING:
    from services.trainer.train import Trainer

log = logging.getLogger("zygarde.trainer")
VERDICT_POLL_S = 0.005


class TrainerSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="ZYGARDE_TRAINER_", extra="ignore")

    metrics_port: int = 9101
    worker_id: str = ""
    max_poll_interval_s: int = 1800
    heartbeat_s: float = 5.0
    # how long a trial whose folds the planner judges (ASHA) waits for the verdict on a fold before
    # going on without it (the planner answers in milliseconds; this covers a planner restart)
    verdict_wait_s: float = 0.5


def main() -> None:
    shared = Settings()
    own = TrainerSettings()
    setup_logging("trainer", shared.log_level, shared.log_json)
    worker = own.worker_id or f"{socket.gethostname()}-{os.getpid()}"
    db = connect(shared.mongo_uri)
    trials = TrialRepository(db)

    def advice(what: str, trial: ev.TrialRequested, ask: Callable[[], str | None]) -> str | None:
        """A stop check or a verdict is advice: while MongoDB is unreachable the trial goes on (its
        result is still needed), rather than failing a good trial for an infrastructure blip."""
        try:
            return ask()
        except PyMongoError as exc:
            log.warning("%s unavailable, going on: %s", what, type(exc).__name__,
                        extra={"job_id": trial.job_id, "trial_id": trial.trial_id})
            return None

    def should_stop(trial: ev.TrialRequested) -> str | None:
        """Checked before a trial and between folds: one read by _id. A cancel closes the job's open
        trials as "cancelled", a prune or time budget marks the trial with its reason."""
        return advice("stop check", trial, lambda: trials.stop_reason(trial.trial_id))

    def await_verdict(trial: ev.TrialRequested, fold: int) -> str | None:
        """Poll the trial (one read by _id every few ms) until the planner stored its verdict on ``fold``
        (the fold's report and a stop, if any, come in one write), for at most ``verdict_wait_s``.
        Without it a pruned trial ran one more fold: the check right after a fold came before the
        planner had even read the fold's report."""
        deadline = time.monotonic() + own.verdict_wait_s

        def wait() -> str | None:
            while True:
                judged, reason = trials.verdict(trial.trial_id, fold)
                if judged or reason is not None or time.monotonic() >= deadline:
                    return reason
                time.sleep(VERDICT_POLL_S)

        return advice("verdict", trial, wait)

    producer = EventProducer(shared.kafka_bootstrap, shared.topic_prefix, service="trainer")
    workers = WorkerRepository(db)
    built: list[Trainer] = []  # made once the ML libraries are imported, before the first message

    def record_assignment(partitions: list[TopicPartition]) -> None:
        """Tell the planner which partitions this trainer owns (it routes trials evenly by them)."""
        try:
            workers.record(worker, [tp.partition for tp in partitions])
        except Exception:  # noqa: BLE001 - routing advice only: a store outage must not stop training
            log.warning("could not record this trainer's partitions", exc_info=True)

    consumer = EventConsumer(shared.kafka_bootstrap, shared.topic_prefix, shared.consumer_group("trainers"),
                             [topics.TRIALS], dlq=producer,
                             service="trainer", max_poll_interval_ms=own.max_poll_interval_s * 1000,
                             on_dead_letter=lambda raw, meta, error: built[0].on_dead_letter(raw, meta, error),
                             on_assignment=record_assignment)
    consumer.install_signal_handlers()
    try:
        # The consumer joins its group in the client's own threads while the ML libraries import here (a
        # second or more): the join (the broker's initial rebalance delay included) no longer follows them.
        from services.trainer.train import Trainer
        from zygarde.ml import algorithms

        use_metrics("trainer", algorithms=algorithms.names() + algorithms.names(engine="spark"))
        if own.metrics_port:
            serve_metrics(own.metrics_port, shared.metrics_addr)
        built.append(Trainer(shared, producer, worker, should_stop, heartbeat_s=own.heartbeat_s,
                             known_trial=trials.exists, await_verdict=await_verdict))
    except BaseException:
        consumer.close()  # the loop never ran (it closes the consumer itself): leave the group now
        producer.close()
        raise
    try:
        consumer.run(built[0].handle)
    finally:
        producer.close()
        try:
            workers.remove(worker)
        except Exception:  # noqa: BLE001 - a stale claim is overridden by the next owner's
            log.warning("could not remove this trainer's partitions", exc_info=True)


if __name__ == "__main__":
    main()
