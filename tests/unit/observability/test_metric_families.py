"""Each service's process exports the bus families and its own, labelled counters start at zero,
and the planner's API counts its requests by route template and status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.planner.http_metrics import UNMATCHED, RequestMetrics
from zygarde import observability as obs
from zygarde import topics
from zygarde.bus.consumer import EventConsumer
from zygarde.bus.producer import EventProducer

OWN_PREFIX = {"planner": ("zygarde_planner_", "zygarde_http_"), "trainer": ("zygarde_trainer_",),
              "selector": ("zygarde_selector_",), "scaler": ("zygarde_scaler_",)}


def scrape(registry: CollectorRegistry) -> dict[str, float]:
    """Every sample as ``name{labels}`` -> value."""
    out = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}"] = s.value
    return out


@pytest.mark.parametrize("service", obs.SERVICES)
def test_a_service_registers_the_bus_families_and_only_its_own(service: str) -> None:
    registry = obs.use_metrics(service, CollectorRegistry(), algorithms=["rf"])
    names = {f.name for f in text_string_to_metric_families(generate_latest(registry).decode())}
    ours = {n for n in names if n.startswith("zygarde_")}
    foreign = {n for n in ours if not n.startswith(("zygarde_bus_", *OWN_PREFIX[service]))}
    assert foreign == set()
    assert any(n.startswith(OWN_PREFIX[service]) for n in ours)
    # a second call (a service re-running its set-up) registers nothing twice
    obs.use_metrics(service, registry, algorithms=["rf"])


def test_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown service"):
        obs.use_metrics("everything", CollectorRegistry())


def _fresh_process_samples() -> dict[str, float]:
    """Every service's samples as a process that has done nothing else shows them. The families are
    module-level, so in the test session's own process earlier tests (the integration tier runs the
    services in-process) have already counted trials and results."""
    code = (
        "import json\n"
        "from prometheus_client import CollectorRegistry\n"
        "from zygarde import observability as obs\n"
        "from tests.unit.observability.test_metric_families import scrape\n"
        "samples = {}\n"
        "for service in obs.SERVICES:\n"
        "    samples.update(scrape(obs.use_metrics(service, CollectorRegistry(), algorithms=['rf', 'logreg'])))\n"
        "print(json.dumps(samples))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[3])
    assert done.returncode == 0, done.stderr
    samples: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return samples


def test_labelled_counters_exist_at_zero_before_anything_happens() -> None:
    samples = _fresh_process_samples()
    for outcome in obs.TRIAL_OUTCOMES:
        assert samples[f'zygarde_trainer_trials_total{{algorithm="rf",outcome="{outcome}"}}'] == 0
    assert samples['zygarde_trainer_trials_total{algorithm="unknown",outcome="failed"}'] == 0
    assert samples['zygarde_trainer_trial_duration_seconds_count{algorithm="logreg"}'] == 0
    assert samples['zygarde_planner_trials_finished_total{outcome="failed"}'] == 0
    assert samples['zygarde_planner_jobs{status="running"}'] == 0
    assert samples['zygarde_selector_results_total{outcome="duplicate"}'] == 0
    assert samples['zygarde_scaler_decisions_total{direction="out"}'] == 0


def test_bus_clients_create_their_topics_series_at_zero() -> None:
    registry = obs.use_metrics("trainer", CollectorRegistry())
    producer = EventProducer("127.0.0.1:1", "zeroes.", service="zeroes")
    EventConsumer("127.0.0.1:1", "zeroes.", "g", [topics.TRIALS], dlq=producer, service="zeroes")
    samples = scrape(registry)
    assert samples['zygarde_bus_dead_lettered_total{service="zeroes",topic="trials"}'] == 0
    assert samples['zygarde_bus_messages_consumed_total{service="zeroes",topic="trials"}'] == 0
    for topic in topics.ALL:
        assert samples[f'zygarde_bus_messages_produced_total{{service="zeroes",topic="{topic.name}"}}'] == 0


def test_http_requests_are_counted_by_route_template_method_and_status() -> None:
    app = FastAPI()

    @app.get("/things/{thing_id}")
    def thing(thing_id: str) -> dict:
        if thing_id == "missing":
            raise HTTPException(404, "no such thing")
        return {"id": thing_id}

    app.add_middleware(RequestMetrics)
    registry = obs.use_metrics("planner", CollectorRegistry())
    before = scrape(registry)
    client = TestClient(app)
    assert client.get("/things/a").status_code == 200
    assert client.get("/things/b").status_code == 200
    assert client.get("/things/missing").status_code == 404
    assert client.get("/nowhere/at/all").status_code == 404
    after = scrape(registry)

    def delta(key: str) -> float:
        return after.get(key, 0) - before.get(key, 0)

    assert delta('zygarde_http_requests_total{method="GET",route="/things/{thing_id}",status="200"}') == 2
    assert delta('zygarde_http_requests_total{method="GET",route="/things/{thing_id}",status="404"}') == 1
    assert delta(f'zygarde_http_requests_total{{method="GET",route="{UNMATCHED}",status="404"}}') == 1
    assert delta('zygarde_http_request_duration_seconds_count{method="GET",route="/things/{thing_id}"}') == 3
    # the ids never become label values
    assert not [k for k in after if "/things/a" in k or "/things/b" in k]
