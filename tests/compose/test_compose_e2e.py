"""docker-compose.yml under a real container engine (podman's Docker API, runc), end to end.

Part of `make test`, which installs the engine and builds the images with `deploy/images/build.sh`
(an mmdebstrap base, no registry). Grafana is left out (its image or package cannot be had here; it
is a compose profile). Covered: compose up of the whole file with only the planner published, a job
over HTTP and one over the Kafka topic complete, the scaler's docker backend takes the trainers to
zero when idle, up to its maximum under backlog and back to zero once no job is searching, every trainer
it stopped exited 0 (drained on SIGTERM, not killed at the drain timeout: the test fails if a drain
is skipped), every trial is counted once, and a `podman kill` of a trainer and a crash of the selector
(SIGKILL to its process; the engine restarts it under its restart policy) mid-job lose and repeat no
trial. Kafka authenticates (SASL/SCRAM-SHA-512, one principal per service,
ACLs): each service holds only its own principal's credentials, the scaler's trainers only the trainer's;
on the compose network a client without credentials, with a wrong password or with the trainer's or the
selector's credentials is refused by the broker where the ACLs give it nothing, while the submitter's job
over the topic completes. The figures are printed (`compose e2e figures:`, pytest -s).
Trainers on S3 only inside compose: test_compose_s3.py."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench._compose import AUTH, ComposeStack, TrainerEvents, compose_up, wait_for

PROJECT = "zygardee2e"
PROBE = Path(__file__).with_name("kafka_probe.py")
SERVICES = ("planner", "trainer", "selector", "scaler")
# compose up (~1.5 min) is inside the first test's limit; the scaler's idle, backlog and cooldown
# phases and the drain timeout (60 s) each take minutes under load on 2 cores
pytestmark = pytest.mark.timeout(1500)
Stack = ComposeStack


@pytest.fixture(scope="module")
def stack(trainer_events: TrainerEvents, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with compose_up(PROJECT, trainer_events.sock, trainer_events.env, tmp_path_factory.mktemp("data")) as stack:
        try:
            yield stack
        finally:
            print("compose e2e figures:", json.dumps(stack.figures))


def spec(name: str, trials: int, seed: int) -> dict[str, Any]:
    return {"name": name, "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
            "algorithms": ["logistic_regression", "random_forest"],
            "search": {"strategy": "random", "max_trials": trials, "max_parallel": 4, "seed": seed},
            "cv": {"folds": 3}}


def on_network(stack: Stack, principals: tuple[str, ...], *command: str) -> str:
    """A one-off container on the compose network (Kafka is not published on the host) holding the client
    files of ``principals`` only, under /run/secrets/kafka-<principal>.properties, as a user's client would."""
    assert stack.secrets is not None
    mounts = [arg for p in principals for arg in
              ("-v", f"{stack.secrets / f'kafka-{p}.properties'}:/run/secrets/kafka-{p}.properties:ro")]
    return stack.podman("run", "--rm", "--network", stack.project, "-e", "ZYGARDE_KAFKA_BOOTSTRAP=kafka:9092",
                        "-e", "ZYGARDE_TOPIC_PREFIX=zygarde.", *mounts, *command)


def submit_over_kafka(stack: Stack, body: dict[str, Any]) -> str:
    """As the submitter principal (the only one but the planner's HTTP door that may write ``jobs``)."""
    code = ("import json, sys; from zygarde import events as ev; from zygarde.bus import EventProducer; "
            "from zygarde.settings import Settings; s = Settings(); "
            "e = ev.JobSubmitted(job_id=ev.new_id(), spec=json.loads(sys.argv[1])); "
            "p = EventProducer(s.kafka_bootstrap, s.topic_prefix); p.publish(e); p.flush(30); print(e.job_id)")
    own = "ZYGARDE_KAFKA_CLIENT_PROPERTIES=/run/secrets/kafka-submitter.properties"
    out = on_network(stack, ("submitter",), "-e", own, "--entrypoint", "python", stack.env["ZYGARDE_IMAGE"],
                     "-c", code, json.dumps(body))
    return out.strip().splitlines()[-1]


def secret_mounts(stack: Stack, cid: str) -> dict[str, str]:
    """A container's mounts under /run/secrets: target -> source file on the host."""
    mounts = json.loads(stack.podman("inspect", "--format", "{{json .Mounts}}", cid))
    return {m["Destination"]: m["Source"] for m in mounts if m["Destination"].startswith("/run/secrets")}


def test_jobs_complete_and_the_scaler_takes_trainers_up_and_back_to_zero(
        stack: Stack, trainer_events: TrainerEvents) -> None:
    stack.figures["compose_up_healthy_s"] = round(stack.up_s, 1)
    # idle: the scaler stops compose's two trainers (they carry its label), draining each
    wait_for("the idle scaler to reach 0 trainers", lambda: not stack.trainers(), 180, 2)
    t0 = time.monotonic()
    resp = httpx.post(f"{stack.url}/jobs", json=spec("compose-http", 12, 1), headers=AUTH, timeout=30)
    assert resp.status_code == 202, resp.text
    jobs = {resp.json()["job_id"]: 12, submit_over_kafka(stack, spec("compose-kafka", 8, 2)): 8}
    peak = 0
    done: dict[str, dict[str, Any]] = {}
    scaled_secrets: dict[str, str] | None = None
    deadline = time.monotonic() + 900
    while len(done) < len(jobs) and time.monotonic() < deadline:
        peak = max(peak, len(stack.trainers()))
        if scaled_secrets is None:
            scaled = stack.podman("ps", "-q", "--filter", "label=dev.zygarde.scaled-by", "--filter",
                                  f"network={stack.project}").split()
            scaled_secrets = secret_mounts(stack, scaled[0]) if scaled else None
        for job_id in jobs.keys() - done.keys():
            got = httpx.get(f"{stack.url}/jobs/{job_id}", headers=AUTH, timeout=10)
            if got.status_code == 200 and got.json()["status"] in ("completed", "failed", "cancelled", "rejected"):
                done[job_id] = got.json()
        time.sleep(2)
    stack.figures["job_wall_s"] = round(time.monotonic() - t0, 1)
    stack.figures["peak_trainers"] = peak
    assert len(done) == len(jobs), f"jobs not finished in time: {jobs.keys() - done.keys()}"
    requested = completed = duplicated = 0
    for job_id, job in done.items():
        assert job["status"] == "completed", job
        board = httpx.get(f"{stack.url}/jobs/{job_id}/leaderboard", headers=AUTH, timeout=10).json()
        ids = [i["trial_id"] for i in board["items"]]
        requested += jobs[job_id]
        completed += job["trials"]["completed"]
        duplicated += len(ids) - len(set(ids))
        assert job["trials"]["completed"] == jobs[job_id] == len(set(ids)), (job["trials"], len(ids))
    stack.figures.update(trials_requested=requested, trials_completed=completed, trials_duplicated=duplicated,
                         trials_lost=requested - completed)
    # the scaler's trainers hold the trainer principal's client settings and MongoDB URI, nothing else of the secrets
    assert stack.secrets is not None
    assert scaled_secrets == {"/run/secrets/kafka-client.properties": str(stack.secrets / "kafka-trainer.properties"),
                              "/run/secrets/mongo-uri": str(stack.secrets / "mongo-trainer.uri")}, scaled_secrets
    assert peak == 2, f"the scaler's maximum is 2 trainers; saw at most {peak}"
    wait_for("the scaler to take trainers back to 0 after the cooldown", lambda: not stack.trainers(), 240, 2)
    # every trainer container that ended did so by draining: exit 0 after SIGTERM (a trainer still
    # busy at the drain timeout is SIGKILLed: 137). A container is no longer `running` a moment before
    # the engine records its death: wait until every trainer started during the test has died.
    def all_died() -> list[dict[str, Any]] | None:
        died = trainer_events.of("died")
        return died if started <= {e["ID"] for e in died} else None

    started = {e["ID"] for e in trainer_events.of("start")}
    died = wait_for("every trainer's death in the engine's events", all_died, 60, 2)
    codes = {e["Name"]: int(e.get("ContainerExitCode", 0)) for e in died}  # podman omits a 0
    stack.figures.update(trainers_stopped=len(codes), trainer_exit_codes=codes, trainers_started=len(started))
    assert len(codes) >= 4 and set(codes.values()) == {0}, f"trainers not drained: exit codes {codes}"


def test_a_killed_trainer_and_a_killed_selector_lose_no_trial(stack: Stack) -> None:
    """`podman kill` (SIGKILL, no drain) of a trainer container holding a trial and a crash of the
    selector mid-job, which compose's restart policy restarts: the job still completes with every trial
    counted once."""
    resp = httpx.post(f"{stack.url}/jobs", json=spec("compose-kill", 16, 3), headers=AUTH, timeout=30)
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["job_id"]

    def job() -> dict[str, Any]:
        got = httpx.get(f"{stack.url}/jobs/{job_id}", headers=AUTH, timeout=10)
        assert got.status_code == 200, got.text
        return dict(got.json())

    wait_for("a trial running with 2 completed", lambda: job()["trials"]["completed"] >= 2
             and job()["trials"]["running"] >= 1 and stack.trainers(), 600, 1)
    victim = stack.trainers()[0]
    stack.podman("kill", victim)  # the scaler replaces it (its trainers have no restart policy)
    selector = stack.service_container("selector")
    # The selector crashes: SIGKILL to its container's first process from the host (what the OOM killer
    # does), not `podman kill`: podman 4.3 counts a kill as a stop the user asked for and does not
    # restart the container under `unless-stopped` (seen: exited 137, RestartCount 0), while a crashed
    # one is restarted. compose's restart policy must bring it back by itself.
    os.kill(int(stack.podman("inspect", "--format", "{{.State.Pid}}", selector)), signal.SIGKILL)

    def restarted() -> bool:
        state = stack.podman("inspect", "--format", "{{.RestartCount}} {{.State.Running}}", selector).split()
        return int(state[0]) >= 1 and state[1] == "true"

    wait_for("the engine to restart the crashed selector (restart: unless-stopped)", restarted, 120, 1)
    final = wait_for("the job to finish after the kills",
                     lambda: (j := job())["status"] in ("completed", "failed", "cancelled") and j, 900, 2)
    board = httpx.get(f"{stack.url}/jobs/{job_id}/leaderboard", headers=AUTH, timeout=10).json()
    ids = [i["trial_id"] for i in board["items"]]
    stack.figures["kill_job"] = {"status": final["status"], "trials": final["trials"],
                                 "leaderboard": len(ids), "unique": len(set(ids))}
    assert final["status"] == "completed", final
    assert final["trials"]["completed"] == 16 == len(ids) == len(set(ids)), (final["trials"], len(ids))
    assert final["trials"]["failed"] == 0


def test_the_broker_keeps_unauthenticated_and_wrong_principals_off_jobs(stack: Stack) -> None:
    """Attacks from a client on the compose network, each judged by the broker: without credentials, with a
    wrong password, with the trainer's credentials (on ``jobs`` and ``trials``) and with the selector's (a
    forged score on ``results``), every write is refused and none of it can be read back; the submitter's
    write to ``jobs`` is acknowledged and read back. Each service container holds its own principal's
    client settings and its own MongoDB URI only, and no password is in any service's log."""
    assert stack.secrets is not None
    for service in SERVICES:  # compose's trainers may have been stopped by the idle scaler: -a
        for cid in stack.podman("ps", "-aq", "--filter", f"label=com.docker.compose.project={stack.project}",
                                "--filter", f"label=com.docker.compose.service={service}").split():
            assert secret_mounts(stack, cid) == {
                "/run/secrets/kafka-client.properties": str(stack.secrets / f"kafka-{service}.properties"),
                "/run/secrets/mongo-uri": str(stack.secrets / f"mongo-{service}.uri")}, service
    attempts = [
        {"name": "no-credentials", "topic": "jobs", "conf": None},
        {"name": "wrong-password", "topic": "jobs", "conf": "/run/secrets/kafka-submitter.properties",
         "override": {"sasl.password": "not-the-password"}},
        {"name": "trainer-on-jobs", "topic": "jobs", "conf": "/run/secrets/kafka-trainer.properties"},
        {"name": "trainer-on-trials", "topic": "trials", "conf": "/run/secrets/kafka-trainer.properties"},
        {"name": "selector-on-results", "topic": "results", "conf": "/run/secrets/kafka-selector.properties"},
        {"name": "submitter-on-jobs", "topic": "jobs", "conf": "/run/secrets/kafka-submitter.properties"},
    ]
    out = on_network(stack, ("admin", "trainer", "selector", "submitter"), "-v", f"{PROBE}:/probe/kafka_probe.py:ro",
                     "--entrypoint", "python", stack.env["ZYGARDE_IMAGE"], "/probe/kafka_probe.py",
                     json.dumps(attempts), "/run/secrets/kafka-admin.properties")
    got = json.loads(out.strip().splitlines()[-1])
    stack.figures["kafka_attacks"] = got
    for name in ("no-credentials", "wrong-password"):
        assert got[name]["error"] is not None and not got[name]["landed"], (name, got[name])
    for name in ("trainer-on-jobs", "trainer-on-trials", "selector-on-results"):
        assert got[name] == {"topic": got[name]["topic"], "error": "TOPIC_AUTHORIZATION_FAILED", "landed": False}, \
            (name, got[name])
    assert got["submitter-on-jobs"]["error"] is None and got["submitter-on-jobs"]["landed"], got["submitter-on-jobs"]
    # the services are still up after the attempts
    assert httpx.get(f"{stack.url}/healthz", timeout=10).status_code == 200
    passwords = [line.split("=", 1)[1] for f in stack.secrets.glob("kafka-*.properties")
                 for line in f.read_text().splitlines() if line.startswith("sasl.password=")]
    logs = stack.compose("logs", "--no-color").stdout
    assert passwords and not any(p in logs for p in passwords), "a Kafka password is in a service's log"
