"""The scaler's lag read while a broker starts (NOT_COORDINATOR): a broker of this module's own (its
own home and ports, never the shared stack's) is stopped and started again with a group's commits on
it, and a separate process asks for the group's lag from before the broker listens until it answers.

librdkafka's admin ``list_consumer_group_offsets`` crashed the process (SIGSEGV) on that answer; the
lag is read by a consumer instead (``BusAdmin._reader``). The asking process must end normally with
the right lag. The broker authenticates as the stack's does: the group is read as the scaler reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from zygarde import topics
from zygarde.bus import BusAdmin
from zygarde.localstack import components, process, stack
from zygarde.localstack.private_broker import private_broker
from zygarde.settings import REPO_ROOT, Settings, read_properties

PREFIX = "nc."
GROUP = "nc-trainers"

ASK = """
import json, sys, time
from zygarde import topics
from zygarde.bus import BusAdmin
bootstrap, prefix, group, deadline = sys.argv[1], sys.argv[2], sys.argv[3], time.monotonic() + float(sys.argv[4])
admin, errors = BusAdmin(bootstrap, prefix, service="scaler"), 0  # as the scaler reads it
while time.monotonic() < deadline:
    try:
        parts = admin.lag(group, topics.TRIALS, timeout=3)
    except Exception as exc:  # the broker still starting: the scaler's step fails and is retried
        errors += 1
        time.sleep(0.05)
        continue
    if parts and all(p.committed is not None for p in parts):
        print(json.dumps({"lag": sum(p.lag for p in parts), "errors": errors}))
        break
    time.sleep(0.05)
"""


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with private_broker(tmp_path_factory.mktemp("nc-home"), PREFIX, sasl=True) as settings:
        yield settings


def test_lag_read_while_the_broker_starts_never_crashes(own_broker: Settings) -> None:
    bootstrap = own_broker.kafka_bootstrap
    name = topics.TRIALS.physical(PREFIX)
    as_principal = {p: read_properties(own_broker.home / "kafka" / f"{p}.properties") for p in ("planner", "trainer")}
    producer = Producer({"bootstrap.servers": bootstrap, **as_principal["planner"]})
    for i in range(30):
        producer.produce(name, value=b"x", partition=i % topics.TRIALS.partitions)
    assert producer.flush(20) == 0
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "enable.auto.commit": False,
                         **as_principal["trainer"]})
    # 1 message of each partition consumed and committed: the lag is what is left
    consumer.commit(offsets=[TopicPartition(name, p, 1) for p in range(topics.TRIALS.partitions)], asynchronous=False)
    consumer.close()
    expected = 30 - topics.TRIALS.partitions
    scaler = read_properties(own_broker.home / "kafka" / "scaler.properties")
    assert sum(p.lag for p in BusAdmin(bootstrap, PREFIX, extra=scaler).lag(GROUP, topics.TRIALS)) == expected

    comp = components.KafkaComponent(own_broker)
    assert process.stop(comp.files, comp.marker)
    asker = subprocess.Popen([sys.executable, "-c", ASK, bootstrap, PREFIX, GROUP, "240"], cwd=REPO_ROOT,
                             env={**os.environ, "ZYGARDE_HOME": str(own_broker.home)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)  # asking before the broker listens, then through its start
    stack.up(own_broker, ["kafka"])
    out, err = asker.communicate(timeout=300)
    assert asker.returncode == 0, f"the lag reader died ({asker.returncode}): {err[-2000:]}"
    answer = json.loads(out.strip().splitlines()[-1])
    assert answer["lag"] == expected
