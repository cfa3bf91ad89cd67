"""The bus against a real broker: delivery, crash-recovery semantics, dead-lettering."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from zygarde import events as ev
from zygarde import topics
from zygarde.bus import BusAdmin, EventConsumer, EventProducer, MessageMeta
from zygarde.settings import Settings

pytestmark = pytest.mark.integration


def _spec() -> ev.JobSpec:
    return ev.JobSpec.model_validate(
        {"dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc"}
    )


def _trial(i: int, spec: ev.JobSpec) -> ev.TrialRequested:
    return ev.TrialRequested(job_id="job-1", trial_id=f"job-1-t{i:05d}", index=i, algorithm="noop",
                             params={}, spec=spec, task="binary", seed=i)


def _consume_until(consumer: EventConsumer, seen: list, want: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout

    def handle(event: ev.Event, meta: MessageMeta) -> None:
        seen.append((event, meta))
        if len(seen) >= want:
            consumer.stop()

    def idle() -> None:
        if time.monotonic() > deadline:
            consumer.stop()

    consumer.run(handle, idle=idle)


def test_roundtrip_every_topic_type(test_settings: Settings, bus_auditor: dict[str, str]) -> None:
    s = test_settings
    BusAdmin(s.kafka_bootstrap, s.topic_prefix).ensure_topics()
    # three topics no one principal both writes and reads: the bus's round trip, as the admin
    producer = EventProducer(s.kafka_bootstrap, s.topic_prefix, extra=bus_auditor)
    sent = [ev.JobSubmitted(job_id="j1", spec={"a": 1}), ev.JobAccepted(job_id="j1", spec=_spec(), task="binary",
                                                                        planned_trials=3), _trial(1, _spec())]
    for e in sent:
        producer.publish(e)
    producer.flush()
    consumer = EventConsumer(s.kafka_bootstrap, s.topic_prefix, "g1",
                             [topics.JOBS, topics.JOB_EVENTS, topics.TRIALS], dlq=producer, extra=bus_auditor)
    seen: list = []
    _consume_until(consumer, seen, len(sent))
    assert sorted(e.event_id for e, _ in seen) == sorted(e.event_id for e in sent)
    assert {type(e) for e, _ in seen} == {ev.JobSubmitted, ev.JobAccepted, ev.TrialRequested}


def test_garbage_goes_to_dlq_and_next_good_message_is_handled(test_settings: Settings,
                                                                bus_auditor: dict[str, str]) -> None:
    s = test_settings
    BusAdmin(s.kafka_bootstrap, s.topic_prefix).ensure_topics()
    producer = EventProducer(s.kafka_bootstrap, s.topic_prefix, service="planner")  # the one writer of trials
    good = _trial(7, _spec())
    # TRIALS has 12 partitions: put everything on one key so the order is fixed.
    producer.publish_raw(topics.TRIALS, b"\x00not json at all", "k")
    producer.publish_raw(topics.TRIALS, b'{"type": "TrialRequested", "job_id": "j"}', "k")
    producer.publish(good, key="k")
    producer.flush()
    dead_letters = EventProducer(s.kafka_bootstrap, s.topic_prefix, service="trainer")
    consumer = EventConsumer(s.kafka_bootstrap, s.topic_prefix, s.consumer_group("trainers"), [topics.TRIALS],
                             dlq=dead_letters, service="trainer")
    seen: list = []
    _consume_until(consumer, seen, 1)
    assert [e.event_id for e, _ in seen] == [good.event_id]

    dlq = Consumer({"bootstrap.servers": s.kafka_bootstrap, "group.id": "dlq-reader",
                    "auto.offset.reset": "earliest", **bus_auditor})
    dlq.subscribe([topics.DLQ.physical(s.topic_prefix)])
    letters = []
    deadline = time.monotonic() + 30
    while len(letters) < 2 and time.monotonic() < deadline:
        msg = dlq.poll(0.5)
        if msg is not None and not msg.error():
            letters.append(ev.decode(msg.value()))
    dlq.close()
    assert len(letters) == 2
    for letter in letters:
        assert isinstance(letter, ev.MessageDeadLettered)
        assert letter.source_topic == topics.TRIALS.physical(s.topic_prefix)
        assert letter.error
    assert [lt.offset for lt in letters] == [0, 1]
    assert "not JSON" in letters[0].error and "invalid TrialRequested" in letters[1].error


def test_kill9_half_way_loses_nothing_and_repeats_nothing_committed(test_settings: Settings,
                                                                     tmp_path: Path) -> None:
    s = test_settings
    total = 10_000
    admin = BusAdmin(s.kafka_bootstrap, s.topic_prefix, service="scaler")  # the one that reads the trainers' lag
    admin.ensure_topics()
    producer = EventProducer(s.kafka_bootstrap, s.topic_prefix, service="planner", linger_ms=20)
    spec = _spec()
    for i in range(total):
        producer.publish(_trial(i, spec))
    producer.flush()

    group = s.consumer_group("trainers")  # consumed as the trainers are, with their principal
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    cmd = [sys.executable, str(Path(__file__).with_name("consumer_proc.py")), s.kafka_bootstrap,
           s.topic_prefix, group]
    proc = subprocess.Popen([*cmd, str(first)])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if first.exists() and len(first.read_text().splitlines()) >= total // 2:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    handled_first = first.read_text().splitlines()
    assert total // 2 <= len(handled_first) < total, "the kill must land half way"

    committed = {p.partition: (p.committed or 0) for p in admin.lag(group, topics.TRIALS)}
    proc2 = subprocess.Popen([*cmd, str(second)])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ids = {line.split()[2] for line in handled_first}
        if second.exists():
            ids |= {line.split()[2] for line in second.read_text().splitlines()}
        if len(ids) == total:
            break
        time.sleep(0.2)
    proc2.terminate()
    assert proc2.wait(30) == 0, "SIGTERM must stop the consumer cleanly"

    rows = [line.split() for line in second.read_text().splitlines()]
    ids = {line.split()[2] for line in handled_first} | {r[2] for r in rows}
    assert len(ids) == total, f"{total - len(ids)} messages never handled"
    again = [r for r in rows if int(r[1]) < committed.get(int(r[0]), 0)]
    assert again == [], f"{len(again)} committed messages were handled again"
    # After a clean stop everything handled is committed: the group has no lag left.
    assert sum(p.lag for p in admin.lag(group, topics.TRIALS)) == 0
