"""Fault injection during running jobs of 30 trials: every trial counted once, one final winner.

Each fault hits the real stack (broker, Mongo-wire server, service processes). Services that exit
because a dependency vanished are restarted, as an orchestrator's restart policy would.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import httpx
import pytest

from tests.e2e.conftest import Services
from tests.e2e.test_job_flow import read_topic
from tests.e2e.test_planner_flow import burn_spec, post
from zygarde import events as ev
from zygarde import topics
from zygarde.localstack import components, process
from zygarde.settings import Settings
from zygarde.store import connect

pytestmark = pytest.mark.e2e
TRIALS = 30


def run_with_fault(services: Services, fault: Callable[[Services, str], None], *, seconds: float = 0.15) -> str:
    job_id = post(services, burn_spec(seconds, max_trials=TRIALS, max_parallel=4))
    db = connect(services.settings.mongo_uri)
    deadline = time.monotonic() + 90
    while db.results.count_documents({"job_id": job_id}) < 6:
        assert time.monotonic() < deadline, "the job never got going"
        time.sleep(0.1)
    fault(services, job_id)
    deadline = time.monotonic() + 240
    status = ""
    while time.monotonic() < deadline:
        services.restart_dead()
        try:
            status = httpx.get(f"{services.url}/jobs/{job_id}", timeout=5).json()["status"]
        except (httpx.HTTPError, ValueError):
            status = "unreachable"
        if status in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.5)
    assert status == "completed", f"job ended {status}; logs in {services.logs}"
    db = connect(services.settings.mongo_uri)
    assert db.results.count_documents({"job_id": job_id}) == TRIALS
    assert db.results.count_documents({"job_id": job_id, "status": "completed"}) == TRIALS
    trials = list(db.trials.find({"job_id": job_id}))
    assert len(trials) == TRIALS and {t["index"] for t in trials} == set(range(TRIALS))
    final = [e for e in read_topic(services, topics.MODELS, timeout=8)
             if isinstance(e, ev.ModelSelected) and e.job_id == job_id and e.final]
    assert len({e.event_id for e in final}) == 1, "exactly one final ModelSelected (by event id)"
    board = httpx.get(f"{services.url}/jobs/{job_id}/leaderboard").json()["items"]
    assert len(board) == TRIALS and len({i["trial_id"] for i in board}) == TRIALS
    return job_id


def kill_trainer(services: Services, job_id: str) -> None:
    services.kill9("trainer-1")
    services.start_trainer("trainer-1b")


def kill_selector(services: Services, job_id: str) -> None:
    services.kill9("selector")
    time.sleep(1)
    services.start("selector", "selector")


def kill_planner(services: Services, job_id: str) -> None:
    services.kill9("planner")
    services.start("planner", "planner")
    services.wait_healthy()


def _ours(comp: components.Component) -> None:
    if comp.running_pid() is None:
        pytest.fail(f"{comp.name} under test was not started by this project's stack; cannot restart it")


def restart_broker(services: Services, job_id: str) -> None:
    kafka = components.KafkaComponent(Settings())
    _ours(kafka)
    process.stop(kafka.files, kafka.marker)
    time.sleep(2)
    kafka.up()


def restart_mongo(services: Services, job_id: str) -> None:
    mongo = components.MongoComponent(Settings())
    _ours(mongo)
    process.stop(mongo.files, mongo.marker)
    # while the store is down the API answers 503 with the reason (retry later), never a 500; or the
    # planner is already exiting to be restarted (its consumer met the outage first)
    try:
        during = httpx.get(f"{services.url}/jobs", timeout=30)
        assert during.status_code == 503 and "unavailable" in during.json()["detail"][0], during.text
    except httpx.TransportError:
        assert services.procs["planner"].wait(30) is not None, "the planner neither answered nor exited"
    mongo.up()


@pytest.mark.parametrize("fault", [
    pytest.param(kill_trainer, id="kill9-trainer"),
    pytest.param(kill_selector, id="kill9-selector"),
    pytest.param(kill_planner, id="kill9-planner"),
    pytest.param(restart_broker, id="restart-kafka"),
    pytest.param(restart_mongo, id="restart-mongo"),
])
def test_job_survives(services: Services, fault: Callable[[Services, str], None]) -> None:
    run_with_fault(services, fault)


@pytest.fixture
def short_lease(services: Services) -> Services:
    """Planner with a 3 s trial lease, trainers heart-beating every 0.5 s."""
    services.kill9("planner")
    services.start("planner", "planner", ZYGARDE_PLANNER_TRIAL_LEASE_S="3")
    for name in ("trainer-1", "trainer-2"):
        services.stop(name)
    for name in ("trainer-a", "trainer-b"):
        services.start(name, "trainer", ZYGARDE_TRAINER_HEARTBEAT_S="0.5", ZYGARDE_TRAINER_WORKER_ID=name,
                       ZYGARDE_TRAINER_METRICS_PORT="0")
    services.wait_healthy()
    return services


def test_paused_trainer_past_its_lease_does_not_double_count(short_lease: Services) -> None:
    services = short_lease
    paused: list[str] = []

    def pause(svc: Services, job_id: str) -> None:
        db = connect(svc.settings.mongo_uri)
        deadline = time.monotonic() + 30
        while not db.trials.find_one({"job_id": job_id, "status": "running", "worker": "trainer-a"}):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        svc.procs["trainer-a"].send_signal(signal.SIGSTOP)
        paused.append("trainer-a")
        time.sleep(6)  # past the 3 s lease: the planner hands the trial out again
        svc.procs["trainer-a"].send_signal(signal.SIGCONT)

    job_id = run_with_fault(services, pause, seconds=0.6)
    db = connect(services.settings.mongo_uri)
    assert paused
    # the lease ran out: the trial was requested again (whichever attempt finished first is the one counted)
    assert db.trials.count_documents({"job_id": job_id, "requeued_at": {"$exists": True}}) >= 1
