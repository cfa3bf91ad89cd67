"""Composition root of the planner: settings, bus, store, handlers, HTTP API."""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlparse

import uvicorn
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.planner.api import ApiContext, create_app
from services.planner.http_metrics import RequestMetrics
from services.planner.planning import Planner
from zygarde import settings as settings_mod
from zygarde import topics
from zygarde.bus import BusAdmin, EventConsumer, EventProducer
from zygarde.observability import setup_logging, use_metrics
from zygarde.settings import Settings
from zygarde.store import JobRepository, TrialRepository, WorkerRepository, connect, ensure_indexes

log = logging.getLogger("zygarde.planner")


class PlannerSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="ZYGARDE_PLANNER_", extra="ignore")

    trial_lease_s: float = Field(60.0, gt=0)
    max_attempts: int = Field(3, ge=1)


def main() -> None:
    s = settings_mod.load()
    setup_logging("planner", s.log_level, s.log_json)
    use_metrics("planner")
    db = connect(s.mongo_uri)
    ensure_indexes(db)
    admin = BusAdmin(s.kafka_bootstrap, s.topic_prefix, service="planner")
    admin.ensure_topics()
    producer = EventProducer(s.kafka_bootstrap, s.topic_prefix, service="planner")
    own = PlannerSettings()
    planner = Planner(s, JobRepository(db), TrialRepository(db), producer, trial_lease_s=own.trial_lease_s,
                      max_attempts=own.max_attempts)
    consumer = EventConsumer(s.kafka_bootstrap, s.topic_prefix, s.consumer_group("planner"),
                             [topics.JOBS, topics.RESULTS], dlq=producer, service="planner")

    last_tick = [0.0]

    def idle() -> None:
        planner.due()
        if time.monotonic() - last_tick[0] >= 1.0:
            last_tick[0] = time.monotonic()
            planner.tick()

    workers = WorkerRepository(db)

    def watch_trainers() -> None:
        """Which partitions each trainer owns (the trainers record it), refreshed in its own thread
        so the consumer loop never waits on it."""
        while not consumer.stop_event.wait(2.0):
            try:
                planner.router.trainer_partitions = workers.assignment()
            except Exception:  # noqa: BLE001 - the last known assignment stays good enough
                log.warning("trainer assignment unavailable", exc_info=True)

    def consume() -> None:
        try:
            planner.resume_all()
            consumer.run(planner.handle, idle=idle)
        except Exception:
            log.exception("planner consumer crashed; exiting so the process is restarted")
            server.should_exit = True
            raise

    url = urlparse(s.planner_url)
    app = create_app(ApiContext(s, db, producer, admin, s.token(), live=planner.live_summary))
    app.add_middleware(RequestMetrics)
    config = uvicorn.Config(app, host=url.hostname or "127.0.0.1", port=url.port or 8080, log_level="warning",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=consume, name="planner-consumer", daemon=True)
    thread.start()
    threading.Thread(target=watch_trainers, name="planner-trainers", daemon=True).start()
    log.info("planner serving on %s", s.planner_url)
    try:
        server.run()
    finally:
        consumer.stop()
        thread.join(timeout=15)
        producer.close()


if __name__ == "__main__":
    main()
