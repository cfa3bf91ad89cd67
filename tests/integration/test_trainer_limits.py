"""Per-trial limits on a real trainer: a trial past its time limit is reported as a timeout, promptly."""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import Consumer

from services.trainer.train import Trainer
from zygarde import events as ev
from zygarde import topics
from zygarde.bus import BusAdmin, EventProducer
from zygarde.settings import Settings

pytestmark = pytest.mark.integration


def trial(seconds: float, timeout: float | None, index: int) -> ev.TrialRequested:
    spec = ev.JobSpec.model_validate({
        "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
        "search": {"trial_timeout_s": timeout}, "cv": {"folds": 3},
    })
    return ev.TrialRequested(job_id="j", trial_id=f"j-{index:05d}", index=index, algorithm="burn",
                             params={"seconds": seconds}, spec=spec, task="binary", seed=1)


def results(s: Settings, n: int, auditor: dict[str, str]) -> list[Any]:
    consumer = Consumer({"bootstrap.servers": s.kafka_bootstrap, "group.id": "r", "auto.offset.reset": "earliest",
                         **auditor})
    consumer.subscribe([topics.RESULTS.physical(s.topic_prefix)])
    out: list[Any] = []
    deadline = time.monotonic() + 20
    while len(out) < n and time.monotonic() < deadline:
        msg = consumer.poll(0.3)
        if msg is not None and not msg.error():
            event = ev.decode(msg.value() or b"")
            if isinstance(event, ev.TrialCompleted | ev.TrialFailed):
                out.append(event)
    consumer.close()
    return out


def test_timeout_is_reported_within_two_seconds_and_the_trainer_goes_on(test_settings: Settings,
                                                                         bus_auditor: dict[str, str]) -> None:
    s = test_settings
    BusAdmin(s.kafka_bootstrap, s.topic_prefix).ensure_topics()
    trainer = Trainer(s, EventProducer(s.kafka_bootstrap, s.topic_prefix, service="trainer"), "t1")
    started = time.monotonic()
    trainer.run_trial(trial(seconds=3.0, timeout=2.0, index=0))  # 3 folds x 3 s, limited to 2 s
    took = time.monotonic() - started
    assert took < 2.0 + 2.0, took
    trainer.run_trial(trial(seconds=0.05, timeout=10.0, index=1))
    trainer.run_trial(trial(seconds=0.05, timeout=None, index=2))
    first, second, third = results(s, 3, bus_auditor)
    assert isinstance(first, ev.TrialFailed) and first.reason == "timeout"
    assert isinstance(second, ev.TrialCompleted) and isinstance(third, ev.TrialCompleted)
    assert second.cv_mean == third.cv_mean, "the isolated and in-process paths score the same"
