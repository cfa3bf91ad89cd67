"""Composition root of the selector."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.selector.selection import Selector
from zygarde import topics
from zygarde.bus import EventConsumer, EventProducer
from zygarde.observability import serve_metrics, setup_logging
from zygarde.settings import Settings
from zygarde.store import connect, ensure_indexes

GROUP = "zygarde-selector"


class SelectorSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="ZYGARDE_SELECTOR_", extra="ignore")

    metrics_port: int = 9102


def main() -> None:
    shared = Settings()
    own = SelectorSettings()
    setup_logging("selector", shared.log_level, shared.log_json)
    if own.metrics_port:
        serve_metrics(own.metrics_port, shared.metrics_addr)
    db = connect(shared.mongo_uri)
    ensure_indexes(db)
    producer = EventProducer(shared.kafka_bootstrap, shared.topic_prefix, service="selector")
    selector = Selector(shared, db, producer)
    selector.resume_all()
    consumer = EventConsumer(shared.kafka_bootstrap, shared.topic_prefix, GROUP,
                             [topics.RESULTS, topics.JOB_EVENTS], dlq=producer, service="selector")
    consumer.install_signal_handlers()
    consumer.run(selector.handle)
    producer.close()


if __name__ == "__main__":
    main()
