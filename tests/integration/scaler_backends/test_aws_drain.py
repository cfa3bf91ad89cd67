"""The AWS drain: a scale-in of an Auto Scaling group with an EC2_INSTANCE_TERMINATING lifecycle hook waits
while the drain watcher beside the trainer (``services.trainer.asg_drain``) stops the trainer, and only
then completes the lifecycle action with CONTINUE.

Against moto's server mode (a real ``moto_server`` process, 5.2.5), for what moto models: groups and their
instances, ``put_lifecycle_hook`` / ``describe_lifecycle_hooks`` (the hook as deploy/aws/README.md creates
it), ``describe_auto_scaling_instances`` (how the watcher finds its group), ``set_desired_capacity``.

What moto does NOT model, and what these tests therefore do not pretend it does:
- a scale-in terminates the instance at once, hook or not: no ``Terminating:Wait``, no wait at all;
- ``CompleteLifecycleAction`` and ``RecordLifecycleActionHeartbeat`` are not implemented (HTTP 500,
  NotImplementedError): the tests record the requests the watcher sends (botocore's ``before-send``, i.e.
  what goes on the wire, checked against the API's model by botocore) and when, and see moto refuse them;
- the instance metadata's ``autoscaling/target-lifecycle-state`` (moto's metadata has neither it nor our
  instance ids): a small IMDSv2 server here serves it, the test moving it to ``Terminated`` as EC2 does when
  the group puts the instance in Terminating:Wait.
The trainer is a real child process that, like the trainer, finishes its trial on SIGTERM and exits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.scaler.backends import make_backend
from services.trainer.asg_drain import Drainer, InstanceMetadata, LifecycleAction, find_action, watch
from tests import s3server
from tests.aws_asg import CREDS, HOOK, REGION, TERMINATING, MetadataServer, Recorder, allowed, client, make_group

pytestmark = pytest.mark.integration

# A trainer's drain: on SIGTERM it notes the time, finishes its trial (1.2 s) and notes that, then exits 0.
TRAINER = """
import pathlib, signal, sys, time
out = pathlib.Path(sys.argv[1])
def drain(*_):
    (out / "sigterm").write_text(repr(time.time()))
    time.sleep(1.2)
    (out / "finished").write_text(repr(time.time()))
    sys.exit(0)
signal.signal(signal.SIGTERM, drain)
(out / "started").write_text(repr(time.time()))
while True:
    time.sleep(0.05)
"""
STUBBORN = """
import pathlib, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
(pathlib.Path(sys.argv[1]) / "started").write_text(repr(time.time()))
time.sleep(600)
"""


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    with s3server.s3_server() as url:  # moto_server serves every service, Auto Scaling and EC2 included
        yield url



def _wait_for(what: str, ready: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert time.monotonic() < deadline, f"{what} not seen within {timeout_s} s"
        time.sleep(0.02)


def _at(path: Path) -> float:
    return float(path.read_text())


def test_the_watcher_finds_its_group_and_termination_hook(moto: str) -> None:
    asg = client("autoscaling", moto)
    group, instances = make_group(moto)
    assert find_action(asg, instances[0]) == LifecycleAction(group, HOOK, instances[0])
    assert find_action(asg, instances[1], HOOK) == LifecycleAction(group, HOOK, instances[1])
    with pytest.raises(RuntimeError, match=f"no {TERMINATING} hook named 'other'"):
        find_action(asg, instances[0], "other")
    bare, bare_instances = make_group(moto, hook=False, size=1)
    with pytest.raises(RuntimeError, match=f"group {bare} has 0 .*hooks .*deploy/aws/README.md"):
        find_action(asg, bare_instances[0])
    with pytest.raises(RuntimeError, match="in no Auto Scaling group"):
        find_action(asg, "i-0123456789abcdef0")


def test_a_terminating_instance_drains_its_trainer_before_the_action_completes(moto: str, tmp_path: Path) -> None:
    """The group puts the instance in Terminating:Wait (here: its metadata says Terminated): the trainer gets
    SIGTERM only then, heartbeats keep the hook waiting while it finishes its trial, and CONTINUE is sent
    only after it has exited. moto answers CompleteLifecycleAction with 500 (not implemented), so the watcher
    reports the completion as failed (1); on AWS the same request ends the wait."""
    asg = client("autoscaling", moto)
    sent = Recorder(asg)
    group, instances = make_group(moto)
    with MetadataServer(instances[0], REGION) as imds:
        child = subprocess.Popen([sys.executable, "-c", TRAINER, str(tmp_path)])
        try:
            drainer = Drainer(asg, find_action(asg, instances[0]), heartbeat_s=0.3, drain_timeout_s=30)
            result: list[int] = []
            watcher = threading.Thread(target=lambda: result.append(
                watch(child, InstanceMetadata(imds.url), drainer, 0.05, threading.Event())))
            watcher.start()
            _wait_for("the trainer's start", (tmp_path / "started").exists)
            _wait_for("three reads of the lifecycle state", lambda: imds.state_reads >= 3)
            assert child.poll() is None and not (tmp_path / "sigterm").exists()  # in service: left alone
            flipped = imds.terminate()
            watcher.join(timeout=30)
            assert not watcher.is_alive()
        finally:
            child.kill()
    assert imds.refused_without_token == 0  # every read carried an IMDSv2 token
    assert child.returncode == 0
    sigterm, finished = _at(tmp_path / "sigterm"), _at(tmp_path / "finished")
    assert flipped <= sigterm < finished
    action = {"AutoScalingGroupName": group, "LifecycleHookName": HOOK, "InstanceId": instances[0]}
    completes = sent.of("CompleteLifecycleAction")
    assert [params for _, params in completes] == [{**action, "LifecycleActionResult": "CONTINUE"}]
    assert completes[0][0] >= finished, "the action was completed before the trainer had drained"
    beats = sent.of("RecordLifecycleActionHeartbeat")
    assert all(params == action and sigterm <= at <= completes[0][0] for at, params in beats), beats
    # the trial took 1.2 s after SIGTERM, a heartbeat every 0.3 s (one more may cross the trainer's exit)
    assert len([at for at, _ in beats if at <= finished]) >= 2, (sigterm, finished, beats)
    assert result == [1]  # moto 5.2.5: CompleteLifecycleAction not implemented (500)
    called = {name for _, name, _ in sent.sent}
    assert called <= allowed(1), called - allowed(1)  # the instance profile in the doc allows every call it makes


def test_a_trainer_exiting_by_itself_completes_nothing(moto: str) -> None:
    asg = client("autoscaling", moto)
    sent = Recorder(asg)
    _, instances = make_group(moto, size=1)
    with MetadataServer(instances[0], REGION) as imds:
        child = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])
        drainer = Drainer(asg, find_action(asg, instances[0]), heartbeat_s=0.3, drain_timeout_s=30)
        assert watch(child, InstanceMetadata(imds.url), drainer, 0.05, threading.Event()) == 3
    assert [name for _, name, _ in sent.sent] == ["DescribeAutoScalingInstances", "DescribeLifecycleHooks"]


def test_a_trainer_past_the_drain_timeout_is_killed_then_the_action_completes(moto: str, tmp_path: Path) -> None:
    asg = client("autoscaling", moto)
    sent = Recorder(asg)
    _, instances = make_group(moto, size=1)
    with MetadataServer(instances[0], REGION, state="Terminated") as imds:
        child = subprocess.Popen([sys.executable, "-c", STUBBORN, str(tmp_path)])
        try:
            _wait_for("the trainer's start", (tmp_path / "started").exists)
            drainer = Drainer(asg, find_action(asg, instances[0]), heartbeat_s=0.2, drain_timeout_s=1.0)
            assert watch(child, InstanceMetadata(imds.url), drainer, 0.05, threading.Event()) == 1
        finally:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert len(sent.of("CompleteLifecycleAction")) == 1


def test_the_watcher_process_runs_the_trainer_and_drains_it_when_stopped(moto: str, tmp_path: Path) -> None:
    """``python -m services.trainer.asg_drain`` as on an instance: instance and region from the metadata,
    group and hook from moto, the trainer from ZYGARDE_ASG_DRAIN_COMMAND; its own SIGTERM (its unit
    stopped) drains the trainer and completes no action (the instance is not leaving its group)."""
    trainer = tmp_path / "trainer.py"
    trainer.write_text(TRAINER)
    _, instances = make_group(moto, size=1)
    with MetadataServer(instances[0], REGION) as imds:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "ZYGARDE_ASG_DRAIN_METADATA_URL": imds.url, "ZYGARDE_ASG_DRAIN_ENDPOINT_URL": moto,
               "ZYGARDE_ASG_DRAIN_POLL_S": "0.1",
               "ZYGARDE_ASG_DRAIN_COMMAND": f"{sys.executable} {trainer} {tmp_path}"}
        proc = subprocess.Popen([sys.executable, "-m", "services.trainer.asg_drain"], env=env,
                                stderr=subprocess.PIPE, text=True)
        try:
            _wait_for("the trainer's start", (tmp_path / "started").exists, timeout_s=60)
            _wait_for("a read of the lifecycle state", lambda: imds.state_reads >= 1)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert proc.returncode == 0, err
    assert _at(tmp_path / "sigterm") < _at(tmp_path / "finished")
    assert "lifecycle action" not in err


def test_a_watcher_restarted_while_the_group_waits_starts_no_trainer_and_completes(moto: str,
                                                                                 tmp_path: Path) -> None:
    """A watcher whose completion failed is started again by its unit: the instance is already Terminated,
    so it starts no trainer and completes the action first (moto: refused, 500, so it exits 1)."""
    trainer = tmp_path / "trainer.py"
    trainer.write_text(TRAINER)
    _, instances = make_group(moto, size=1)
    with MetadataServer(instances[0], REGION, state="Terminated") as imds:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "ZYGARDE_ASG_DRAIN_METADATA_URL": imds.url, "ZYGARDE_ASG_DRAIN_ENDPOINT_URL": moto,
               "ZYGARDE_LOG_FORMAT": "text", "AWS_MAX_ATTEMPTS": "1",
               "ZYGARDE_ASG_DRAIN_COMMAND": f"{sys.executable} {trainer} {tmp_path}"}
        done = subprocess.run([sys.executable, "-m", "services.trainer.asg_drain"], env=env, capture_output=True,
                              text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert f"completing the lifecycle action of {instances[0]} failed" in done.stderr
    assert "draining the trainer" not in done.stderr and not (tmp_path / "started").exists()


def test_the_backend_counts_the_group_and_warns_of_a_missing_drain_hook(moto: str,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    """moto terminates a removed instance at once (no Terminating:Wait), so ``billed`` falls with the desired
    capacity here; on AWS it keeps counting the instances that wait while their trainer drains."""
    hooked, _ = make_group(moto, size=2)
    backend: Any = make_backend("aws", group=hooked, region=REGION, endpoint_url=moto, **CREDS)
    first = Recorder(backend.client)
    assert (backend.current(), backend.billed(), backend.drain_hooks()) == (2, 2, [HOOK])
    backend.scale_to(1)
    assert (backend.current(), backend.billed()) == (1, 1)
    assert "lifecycle hook" not in caplog.text
    bare, _ = make_group(moto, hook=False, size=2)
    backend = make_backend("aws", group=bare, region=REGION, endpoint_url=moto, **CREDS)
    sent = Recorder(backend.client)
    backend.scale_to(3)  # out: no drain involved, nothing checked
    assert "lifecycle hook" not in caplog.text
    backend.scale_to(1)
    assert f"Auto Scaling group {bare} has no {TERMINATING} lifecycle hook" in caplog.text
    assert backend.drain_hooks() == [] and backend.current() == 1
    called = {name for _, name, _ in first.sent + sent.sent}
    assert called <= allowed(0), called - allowed(0)  # the scaler's role in the doc allows every call it makes

