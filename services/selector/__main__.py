"""Composition root of the selector."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.selector.selection import Selector
from zygarde import topics
from zygarde.bus import BusAdmin, EventConsumer, EventProducer
from zygarde.observability import serve_metrics, setup_logging, use_metrics
from zygarde.settings import Settings
from zygarde.store import connect, ensure_indexes


class SelectorSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="ZYGARDE_SELECTOR_", extra="ignore")

    metrics_port: int = 9102
    # consumer: the bus's EventConsumer (the default); faust: services/selector/stream.py (docs/selector.md)
    engine: Literal["consumer", "faust"] = "consumer"
    faust_top_k: int = Field(5, ge=1, description="trials kept per job in the faust engine's table")
    faust_replication: int = Field(1, ge=1, description="replication factor of the faust changelog topics")
    faust_stall_s: float = Field(20.0, ge=0, description="the faust engine exits (75) to be restarted when "
                                 "messages wait and none was handled for this long; 0 turns that off")


def main() -> None:
    shared = Settings()
    own = SelectorSettings()
    setup_logging("selector", shared.log_level, shared.log_json)
    use_metrics("selector")
    if own.metrics_port:
        serve_metrics(own.metrics_port, shared.metrics_addr)
    db = connect(shared.mongo_uri)
    ensure_indexes(db)
    producer = EventProducer(shared.kafka_bootstrap, shared.topic_prefix, service="selector")
    selector = Selector(shared, db, producer)
    selector.resume_all()
    if own.engine == "faust":
        from services.selector.stream import StreamingSelector  # faust is imported only by this engine

        # faust subscribes to the topics it finds at start-up: make sure ours exist (as the planner does)
        BusAdmin(shared.kafka_bootstrap, shared.topic_prefix, service="selector").ensure_topics(
            [topics.RESULTS, topics.JOB_EVENTS])
        StreamingSelector(shared, selector, producer, top_k=own.faust_top_k, replication=own.faust_replication,
                          stall_s=own.faust_stall_s).run(shared.log_level)
        selector.close()
        producer.close()
        return
    consumer = EventConsumer(shared.kafka_bootstrap, shared.topic_prefix, shared.consumer_group("selector"),
                             [topics.RESULTS, topics.JOB_EVENTS], dlq=producer, service="selector")
    consumer.install_signal_handlers()
    consumer.run(selector.handle)
    selector.close()
    producer.close()


if __name__ == "__main__":
    main()
