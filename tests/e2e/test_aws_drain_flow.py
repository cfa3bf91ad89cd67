"""The AWS drain with a real trainer on the real stack: the drain watcher (``services.trainer.asg_drain``) runs
``zygarde run trainer`` as an instance of an Auto Scaling group would; once the group has picked the instance
for a scale-in, the trainer finishes the trial it holds, exits, and only then does the watcher complete the
lifecycle action. The job completes with every trial once.

The group and its hook (as deploy/aws/README.md creates it) live in a ``moto_server`` process; moto 5.2.5
models neither ``Terminating:Wait`` nor ``CompleteLifecycleAction`` (HTTP 500: the watcher reports the
completion as failed and exits 1), nor the metadata's lifecycle state: an IMDSv2 stand-in serves it and
the test moves it to ``Terminated``, as EC2 does when the group puts the instance in Terminating:Wait.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests import s3server
from tests.aws_asg import REGION, MetadataServer, make_group
from tests.e2e.conftest import Services, free_port
from tests.e2e.test_job_flow import wait_status
from tests.e2e.test_planner_flow import burn_spec, post
from zygarde.store import connect

pytestmark = pytest.mark.e2e

WORKER = "asg-trainer"


def _lines(log: Path) -> list[str]:
    """The watcher's log messages, in order (the trainer, its child, writes JSON lines to the same file)."""
    out = []
    for line in log.read_text().splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if doc.get("logger") == "zygarde.asg_drain":
            out.append(str(doc["msg"]))
    return out


def test_a_scaled_in_instance_drains_its_trainer_before_the_group_terminates_it(services: Services,
                                                                                 tmp_path: Path) -> None:
    assert services.stop("trainer-1") == 0  # trainer-2 stays: it takes what the drained trainer does not
    db = connect(services.settings.mongo_uri)
    with s3server.s3_server() as moto:
        _, instances = make_group(moto, size=1)
        with MetadataServer(instances[0], REGION) as imds:
            log = tmp_path / "asg-drain.log"
            env = {**services.env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_MAX_ATTEMPTS": "1", "ZYGARDE_TRAINER_WORKER_ID": WORKER,
                   "ZYGARDE_TRAINER_METRICS_PORT": str(free_port()), "ZYGARDE_LOG_FORMAT": "json",
                   "PYTHONUNBUFFERED": "1",
                   "ZYGARDE_ASG_DRAIN_METADATA_URL": imds.url, "ZYGARDE_ASG_DRAIN_ENDPOINT_URL": moto,
                   "ZYGARDE_ASG_DRAIN_POLL_S": "0.2", "ZYGARDE_ASG_DRAIN_HEARTBEAT_S": "0.5",
                   "ZYGARDE_ASG_DRAIN_COMMAND": f"{sys.executable} -m zygarde.cli run trainer"}
            with log.open("ab") as out:
                watcher = subprocess.Popen([sys.executable, "-m", "services.trainer.asg_drain"], env=env,
                                           stdout=subprocess.DEVNULL, stderr=out)
            try:
                job_id = post(services, burn_spec(1.0, max_trials=8, max_parallel=2))  # 3 s a trial
                deadline = time.monotonic() + 120
                while (held := db.trials.find_one({"job_id": job_id, "worker": WORKER, "status": "running"})) is None:
                    assert watcher.poll() is None, f"the watcher exited: {log.read_text()[-2000:]}"
                    assert time.monotonic() < deadline, "the watched trainer never ran a trial"
                    time.sleep(0.1)
                trainer = psutil.Process(watcher.pid).children()[0]
                imds.terminate()
                assert watcher.wait(120) == 1  # drained, then CompleteLifecycleAction: moto's 500
                assert not trainer.is_running()
            finally:
                watcher.kill()
    wait_status(services, job_id, {"completed"})
    results = list(db.results.find({"job_id": job_id}))
    assert len(results) == 8 and all(r["status"] == "completed" for r in results)
    finished = db.results.find_one({"_id": held["_id"]}) or {}
    # the trial the trainer held when the group picked its instance was finished by it, not handed on
    assert (finished.get("worker"), finished.get("attempt")) == (WORKER, held["attempt"]), finished
    said = _lines(log)
    order = [next(i for i, m in enumerate(said) if m.startswith(start)) for start in
             ("instance ", "trainer exited with 0", "completing the lifecycle action")]
    assert order == sorted(order), said  # SIGTERM, the trainer's exit, then the completion
