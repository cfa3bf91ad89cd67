"""Run inside a container on the compose network (the compose test mounts this file): tries to write one
message per attempt to a topic of the compose broker and says how the broker answered, then reads the
topics back as the auditor (the admin) to tell whether any refused message got through.

    python kafka_probe.py '<attempts as JSON>' <auditor's client properties>

An attempt is {"name", "topic" (logical), "conf" (a client properties file, or null: no credentials),
"override" (librdkafka settings on top, e.g. a wrong password)}. Each message is a JobCancelRequested
of a job that does not exist (harmless if it is accepted), its reason a marker of its own. Prints one
JSON object: per attempt, the delivery error's name (null when the broker acknowledged it) and whether
its marker is on the topic.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from zygarde import events as ev
from zygarde.settings import Settings, read_properties


def attempt(settings: Settings, spec: dict[str, Any], marker: str) -> str | None:
    conf: dict[str, Any] = {"bootstrap.servers": settings.kafka_bootstrap, "message.timeout.ms": 10000,
                            "socket.timeout.ms": 5000}
    if spec.get("conf"):
        conf.update(read_properties(Path(spec["conf"])))
    conf.update(spec.get("override") or {})
    outcome: list[Any] = []
    producer = Producer(conf)
    value = ev.JobCancelRequested(job_id=f"j-probe-{marker}", reason=marker).to_bytes()
    producer.produce(f"{settings.topic_prefix}{spec['topic']}", value=value,
                     on_delivery=lambda err, msg: outcome.append(err))
    producer.flush(30)
    if not outcome:
        return "NO_DELIVERY_REPORT"
    return None if outcome[0] is None else str(outcome[0].name())


def metadata(consumer: Consumer, name: str) -> Any:
    """The topic's metadata; a loaded broker may drop the first connection: asked up to three times."""
    for left in (2, 1, 0):
        try:
            return consumer.list_topics(name, timeout=20)
        except KafkaException:
            if not left:
                raise
    raise AssertionError("unreachable")


def on_topic(settings: Settings, auditor: dict[str, str], topic: str) -> list[bytes]:
    """Every message on the topic up to its end now, read as the auditor (partitions assigned, no group)."""
    name = f"{settings.topic_prefix}{topic}"
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": "probe-audit",
                         "enable.auto.commit": False, **auditor})
    parts = metadata(consumer, name).topics[name].partitions
    ends = {p: consumer.get_watermark_offsets(TopicPartition(name, p), timeout=15)[1] for p in parts}
    left = {p: end for p, end in ends.items() if end > 0}
    consumer.assign([TopicPartition(name, p, 0) for p in left])
    seen: list[bytes] = []
    while left:
        msg = consumer.poll(15.0)
        if msg is None:
            raise SystemExit(f"{name}: stopped short of the end {left}")
        if msg.error() is None:
            seen.append(msg.value() or b"")
            if (msg.offset() or 0) + 1 >= left.get(msg.partition() or 0, 0):
                left.pop(msg.partition() or 0, None)
    consumer.close()
    return seen


def main() -> None:
    attempts: list[dict[str, Any]] = json.loads(sys.argv[1])
    auditor = read_properties(Path(sys.argv[2]))
    settings = Settings()
    markers = {a["name"]: f"probe-{uuid.uuid4().hex}" for a in attempts}
    errors = {a["name"]: attempt(settings, a, markers[a["name"]]) for a in attempts}
    topics = {a["topic"] for a in attempts}
    contents = {t: b"".join(on_topic(settings, auditor, t)) for t in topics}
    print(json.dumps({a["name"]: {"topic": a["topic"], "error": errors[a["name"]],
                                  "landed": markers[a["name"]].encode() in contents[a["topic"]]}
                      for a in attempts}))


if __name__ == "__main__":
    main()
