"""An alert that reaches someone: a poison message on the live stack is dead-lettered by the
planner, Prometheus (our rules, scraping the real services) fires ``ZygardeDeadLetters``, and the
local stack's Alertmanager (its component, our config) posts it to a webhook this test runs.

Only the timings are the test's own (scrape and evaluation every second, Alertmanager's group
wait and interval of a second), so the alert arrives in seconds instead of minutes.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import Services, free_port
from tests.e2e.test_dashboards_live import prometheus_config, query, scraped_at_zero
from zygarde import topics
from zygarde.bus import EventProducer
from zygarde.localstack.components import AlertmanagerComponent

pytestmark = pytest.mark.e2e


@pytest.fixture
def webhook() -> Iterator[tuple[str, queue.Queue[dict[str, Any]]]]:
    """A webhook receiver: every JSON body posted to it, in a queue."""
    received: queue.Queue[dict[str, Any]] = queue.Queue()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.put(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/alerts", received
    finally:
        server.shutdown()
        server.server_close()


def wait_for(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"{what}: not within {timeout:.0f} s")


def test_a_dead_letter_reaches_the_webhook(services: Services, webhook: tuple[str, queue.Queue[dict[str, Any]]],
                                           tmp_path: Path) -> None:
    hook_url, received = webhook
    settings = services.settings.model_copy(update={
        "alertmanager_url": f"http://127.0.0.1:{free_port()}", "alert_webhook_url": hook_url,
        "home": tmp_path / "am-home"})
    alertmanager = AlertmanagerComponent(settings, route={"group_wait": "1s", "group_interval": "1s",
                                                          "repeat_interval": "1h"})
    config = prometheus_config(tmp_path, {
        "planner": [services.url.removeprefix("http://")],
        "selector": [f"127.0.0.1:{services.env['ZYGARDE_SELECTOR_METRICS_PORT']}"],
        "trainers": [f"127.0.0.1:{p}" for p in services.trainer_ports.values()],
    })
    doc = yaml.safe_load(config.read_text())
    doc["alerting"] = {"alertmanagers": [{"static_configs": [
        {"targets": [settings.alertmanager_url.removeprefix("http://")]}]}]}
    config.write_text(yaml.safe_dump(doc))
    prom_url = f"http://127.0.0.1:{free_port()}"
    prom = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address={prom_url.removeprefix('http://')}"],
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "wb"))  # noqa: SIM115
    try:
        assert alertmanager.up() == "started"
        series = 'zygarde_bus_dead_lettered_total{service="planner",topic="jobs"}'
        # the planner's counter, scraped at zero before anything happened (a first event is an increase)
        wait_for("the planner's dead-letter counter at 0 in Prometheus", lambda: scraped_at_zero(prom_url, series), 60)
        assert received.empty(), f"an alert before anything happened: {received.queue}"

        s = services.settings
        producer = EventProducer(s.kafka_bootstrap, s.topic_prefix)
        producer.publish_raw(topics.JOBS, b"poison: not an event", "poison")
        producer.flush()
        sent = time.monotonic()
        wait_for("the dead letter counted", lambda: [r for r in query(prom_url, series) if r["value"][1] == "1"], 60)

        def delivered() -> dict[str, Any] | None:
            try:
                body = received.get(timeout=0.5)
            except queue.Empty:
                return None
            firing = [a for a in body["alerts"] if a["labels"]["alertname"] == "ZygardeDeadLetters"
                      and a["status"] == "firing"]
            return firing[0] if firing else None

        alert = wait_for("ZygardeDeadLetters at the webhook", delivered, 60)
        took = time.monotonic() - sent
        assert alert["labels"]["service"] == "planner" and alert["labels"]["topic"] == "jobs", alert
        assert alert["labels"]["severity"] == "warning"
        assert alert["annotations"]["summary"] == "planner dead-lettered messages from jobs; read the dlq topic"
        print(f"dead letter -> webhook: {took:.1f} s (scrape 1 s, evaluation 1 s, group wait 1 s, for 0)")
    finally:
        prom.terminate()
        prom.wait(20)
        alertmanager.down()
