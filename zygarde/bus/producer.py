"""An idempotent, acks=all producer of events, routed to their declared topic."""

from __future__ import annotations

import threading
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from zygarde import topics
from zygarde.errors import ZygardeError
from zygarde.events import Event
from zygarde.observability import BUS_PRODUCED, precreate_bus
from zygarde.settings import kafka_client_conf


class PublishError(ZygardeError):
    """Kafka did not acknowledge a message; the caller must not treat its work as done."""


class EventProducer:
    """Publishes events; ``flush()`` returns only when every message so far is acknowledged.

    Delivery failures are remembered and raised by the next ``flush()``, so a caller that flushes
    before committing its input offset never commits work whose output was lost.
    """

    def __init__(self, bootstrap: str, prefix: str, *, service: str = "zygarde", linger_ms: int = 1,
                 extra: dict[str, Any] | None = None) -> None:
        conf: dict[str, Any] = {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": linger_ms,
            "compression.type": "lz4",
            "client.id": f"zygarde-{service}",
        }
        conf.update(kafka_client_conf(service))  # credentials, when the broker authenticates
        conf.update(extra or {})
        self._producer = Producer(conf)
        self._prefix = prefix
        self._service = service
        precreate_bus(service, produced=[t.name for t in topics.ALL])
        self._errors: list[str] = []
        self._lock = threading.Lock()

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            with self._lock:
                self._errors.append(f"{msg.topic()}: {err}")

    def publish(self, event: Event, *, key: str | None = None, topic: topics.TopicSpec | None = None,
                partition: int | None = None) -> None:
        """Queue one event on its topic (or ``topic``), keyed as the topic declares."""
        spec = topic or topics.for_event(event)
        self.publish_raw(spec, event.to_bytes(), key or topics.key_of(event, spec), partition)

    def publish_raw(self, spec: topics.TopicSpec, value: bytes, key: str | None, partition: int | None = None) -> None:
        name = spec.physical(self._prefix)
        while True:
            try:
                if partition is None:
                    self._producer.produce(name, value=value, key=key, on_delivery=self._on_delivery)
                else:
                    self._producer.produce(name, value=value, key=key, partition=partition,
                                           on_delivery=self._on_delivery)
                break
            except BufferError:
                self._producer.poll(0.05)
        self._producer.poll(0)
        BUS_PRODUCED.labels(topic=spec.name, service=self._service).inc()

    def poll(self) -> None:
        """Serve delivery callbacks without waiting."""
        self._producer.poll(0)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait for every queued message; raise ``PublishError`` if any was not acknowledged."""
        remaining = self._producer.flush(timeout)
        with self._lock:
            errors, self._errors = self._errors, []
        if remaining:
            errors.append(f"{remaining} message(s) still queued after {timeout}s")
        if errors:
            raise PublishError("; ".join(errors[:5]))

    def close(self) -> None:
        self._producer.flush(10)
