"""docker-compose.yml under a real container engine (podman's Docker API, runc), end to end.

UNFINISHED, and not part of `make test`: run with ZYGARDE_COMPOSE_E2E=1 after
`deploy/images/build.sh` (images from an mmdebstrap base, no registry). Grafana is left out (its
image or package cannot be had here; it is a compose profile). What it covers so far: compose up of
the whole file with only the planner published, a job over HTTP and one over the Kafka topic
complete, the scaler's docker backend takes the trainers to zero when idle, up to its maximum under
backlog and back to zero after the cooldown, every trainer it stopped exited 0 (drained on SIGTERM,
not killed at the drain timeout), every trial is counted once, and a `podman kill` of a trainer and
of the selector mid-job loses and repeats no trial. The drain test failed in the first two runs: the
first trainer the idle scaler stopped, still starting, dropped the SIGTERM as PID 1 and was killed at
the drain timeout; fixed since (zygarde/stop_signal.py, deploy/images/README.md), not yet re-run here.
Not yet: trainers on S3 only inside compose, the container-seconds cost benchmark.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import free_port

ROOT = Path(__file__).parents[2]
PROJECT = "zygardee2e"
TOKEN = "compose-e2e-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONTAINERS_CONF = ROOT / "deploy" / "images" / "containers.conf"
TRAINER = "dev.zygarde.role=trainer"


def images_env() -> dict[str, str]:
    lines = (ROOT / "deploy" / "images" / "images.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    up_s: float
    figures: dict[str, Any] = field(default_factory=dict)

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker-compose", "-p", PROJECT, "-f", str(ROOT / "docker-compose.yml"), *args],
                              env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)

    def podman(self, *args: str) -> str:
        res = subprocess.run(["podman", *args], env=self.env, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        return res.stdout

    def trainers(self) -> list[str]:
        return self.podman("ps", "-q", "--filter", f"label={TRAINER}", "--filter", "status=running").split()


def wait_for(what: str, check: Any, timeout: float, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout}s")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    for tool in ("podman", "runc", "docker-compose"):
        assert shutil.which(tool), f"{tool} is needed (apt-get install podman runc docker-compose)"
    sock = tmp_path_factory.mktemp("engine") / "podman.sock"
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    proc = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{sock}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for("podman's API socket", sock.exists, 30, 0.2)
        yield str(sock), env
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="module")
def stack(engine: tuple[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    sock, base_env = engine
    data = tmp_path_factory.mktemp("data")
    port = free_port()
    env = {**base_env, **images_env(), "DOCKER_HOST": f"unix://{sock}", "ZYGARDE_DOCKER_SOCKET": sock,
           "ZYGARDE_NETWORK": PROJECT, "ZYGARDE_ADMIN_TOKEN": TOKEN, "ZYGARDE_PLANNER_PORT": str(port),
           "ZYGARDE_DATA_DIR": str(data), "COMPOSE_HTTP_TIMEOUT": "300"}
    for image in images_env().values():
        exists = subprocess.run(["podman", "image", "exists", image], env=env)
        assert exists.returncode == 0, f"{image} is missing: run deploy/images/build.sh"
    stack = Stack(f"http://127.0.0.1:{port}", env, 0.0)
    # podman 4.3 runs health checks from systemd timers; without systemd (this machine, CI) nothing
    # runs them and compose's `service_healthy` conditions would wait forever. This thread does what
    # the timers would: every few seconds, each of the project's containers' check once.
    stop_checks = threading.Event()

    def run_health_checks() -> None:
        while not stop_checks.wait(3):
            ids = subprocess.run(["podman", "ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}"],
                                 env=env, capture_output=True, text=True).stdout.split()
            for cid in ids:
                subprocess.run(["podman", "healthcheck", "run", cid], env=env, capture_output=True, timeout=60)

    checker = threading.Thread(target=run_health_checks, daemon=True)
    checker.start()
    started = time.monotonic()
    res = stack.compose("up", "-d", "--no-build", timeout=900)
    try:
        assert res.returncode == 0, res.stdout + res.stderr

        def healthy() -> bool:
            try:
                return httpx.get(f"{stack.url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for("the planner's /healthz", healthy, 300)
        stack.up_s = time.monotonic() - started
        yield stack
    finally:
        logs = stack.compose("logs", "--no-color", "--tail", "200")
        (Path(str(data)) / "compose.log").write_text(logs.stdout + logs.stderr)
        for cid in stack.podman("ps", "-aq", "--filter", f"label={TRAINER}").split():
            subprocess.run(["podman", "rm", "-f", cid], env=env, capture_output=True)
        stop_checks.set()
        stack.compose("down", "-v", "--timeout", "30")
        print("compose e2e figures:", json.dumps(stack.figures))


def spec(name: str, trials: int, seed: int) -> dict[str, Any]:
    return {"name": name, "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
            "algorithms": ["logistic_regression", "random_forest"],
            "search": {"strategy": "random", "max_trials": trials, "max_parallel": 4, "seed": seed},
            "cv": {"folds": 3}}


def submit_over_kafka(stack: Stack, body: dict[str, Any]) -> str:
    """Kafka is not published on the host: the message is produced from inside the compose network."""
    code = ("import json, sys; from zygarde import events as ev; from zygarde.bus import EventProducer; "
            "from zygarde.settings import Settings; s = Settings(); "
            "e = ev.JobSubmitted(job_id=ev.new_id(), spec=json.loads(sys.argv[1])); "
            "p = EventProducer(s.kafka_bootstrap, s.topic_prefix); p.publish(e); p.flush(); print(e.job_id)")
    cid = stack.podman("ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}",
                       "--filter", "label=com.docker.compose.service=planner").split()[0]
    return stack.podman("exec", cid, "python", "-c", code, json.dumps(body)).strip().splitlines()[-1]


def test_jobs_complete_and_the_scaler_takes_trainers_up_and_back_to_zero(stack: Stack) -> None:
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    stack.figures["compose_up_healthy_s"] = round(stack.up_s, 1)
    # idle: the scaler stops compose's two trainers (they carry its label), draining each
    wait_for("the idle scaler to reach 0 trainers", lambda: not stack.trainers(), 180, 2)
    t0 = time.monotonic()
    resp = httpx.post(f"{stack.url}/jobs", json=spec("compose-http", 12, 1), headers=AUTH, timeout=30)
    assert resp.status_code == 202, resp.text
    jobs = {resp.json()["job_id"]: 12, submit_over_kafka(stack, spec("compose-kafka", 8, 2)): 8}
    peak = 0
    done: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 900
    while len(done) < len(jobs) and time.monotonic() < deadline:
        peak = max(peak, len(stack.trainers()))
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
    assert peak == 2, f"the scaler's maximum is 2 trainers; saw at most {peak}"
    wait_for("the scaler to take trainers back to 0 after the cooldown", lambda: not stack.trainers(), 240, 2)
    # every trainer container that ended did so by draining: exit 0 after SIGTERM (a trainer still
    # busy at the drain timeout is SIGKILLed: 137)
    events = [json.loads(line) for line in stack.podman(
        "events", "--since", since, "--stream=false", "--filter", "event=died", "--filter", f"label={TRAINER}",
        "--format", "json").splitlines() if line]
    codes = {e["Name"]: int(e.get("ContainerExitCode", 0)) for e in events}  # podman omits a 0
    stack.figures.update(trainers_stopped=len(codes), trainer_exit_codes=codes)
    started = stack.podman("events", "--since", since, "--stream=false", "--filter", "event=start",
                           "--filter", f"label={TRAINER}", "--format", "{{.ID}}").split()
    stack.figures["trainers_started"] = len(started)
    assert len(codes) >= 4 and set(codes.values()) == {0}, f"trainers not drained: exit codes {codes}"


def test_a_killed_trainer_and_a_killed_selector_lose_no_trial(stack: Stack) -> None:
    """`podman kill` (SIGKILL, no drain) of a trainer container holding a trial and of the selector
    mid-job: the job still completes with every trial counted once."""
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
    stack.podman("kill", victim)
    selector = stack.podman("ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}",
                            "--filter", "label=com.docker.compose.service=selector").split()[0]
    stack.podman("kill", selector)
    # compose's restart policy (unless-stopped) brings the selector back; the scaler replaces the trainer
    time.sleep(15)
    if stack.podman("inspect", "--format", "{{.State.Running}}", selector).strip() != "true":
        stack.figures["selector_restarted_by_engine"] = False
        stack.podman("start", selector)  # what the orchestrator's restart would do
    else:
        stack.figures["selector_restarted_by_engine"] = True
    final = wait_for("the job to finish after the kills",
                     lambda: (j := job())["status"] in ("completed", "failed", "cancelled") and j, 900, 2)
    board = httpx.get(f"{stack.url}/jobs/{job_id}/leaderboard", headers=AUTH, timeout=10).json()
    ids = [i["trial_id"] for i in board["items"]]
    stack.figures["kill_job"] = {"status": final["status"], "trials": final["trials"],
                                 "leaderboard": len(ids), "unique": len(set(ids))}
    assert final["status"] == "completed", final
    assert final["trials"]["completed"] == 16 == len(ids) == len(set(ids)), (final["trials"], len(ids))
    assert final["trials"]["failed"] == 0
