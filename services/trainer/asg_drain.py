"""Drains this instance's trainer before its EC2 Auto Scaling group terminates the instance.

On scale-in, a group with an ``autoscaling:EC2_INSTANCE_TERMINATING`` lifecycle hook holds the instance it
picked in ``Terminating:Wait``, and the instance metadata then reports its target lifecycle state as
``Terminated``. This process runs the trainer as its child and reads that state every ``poll_s``; on
``Terminated`` it sends the trainer SIGTERM (the trainer finishes its trial, or hands it back with its offset
uncommitted, and exits), records the hook's heartbeat while the trainer drains, and only then completes the
lifecycle action with CONTINUE: the group terminates an instance that holds no trial.

It runs on the instance because only a process there can signal the trainer, and the metadata is read
locally at no cost (no Auto Scaling API calls per instance per poll, no queue or function to run).
Run as ``python -m services.trainer.asg_drain`` (deploy/aws/README.md).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zygarde.observability import setup_logging
from zygarde.settings import AsgDrainSettings, Settings

log = logging.getLogger("zygarde.asg_drain")

TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
TERMINATED = "Terminated"  # the target lifecycle state of an instance in Terminating:Wait (or past it)


class InstanceMetadata:
    """The instance metadata service, IMDSv2 (a session token on every read; v1 may be switched off)."""

    TOKEN_TTL_S = 21600

    def __init__(self, base_url: str, timeout_s: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._token: str | None = None

    def _new_token(self) -> str:
        request = urllib.request.Request(f"{self.base_url}/latest/api/token", method="PUT",
                                         headers={"X-aws-ec2-metadata-token-ttl-seconds": str(self.TOKEN_TTL_S)})
        with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
            token: str = answer.read().decode()
        return token

    def get(self, path: str) -> str:
        """The value at ``/latest/meta-data/<path>``; an expired token (401) is renewed once."""
        for attempt in (1, 2):
            if self._token is None:
                self._token = self._new_token()
            request = urllib.request.Request(f"{self.base_url}/latest/meta-data/{path}",
                                             headers={"X-aws-ec2-metadata-token": self._token})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                    value: str = answer.read().decode().strip()
                    return value
            except urllib.error.HTTPError as exc:
                if exc.code != 401 or attempt == 2:
                    raise
                self._token = None
        raise AssertionError("unreachable")

    def instance_id(self) -> str:
        return self.get("instance-id")

    def region(self) -> str:
        return self.get("placement/region")

    def target_lifecycle_state(self) -> str:
        return self.get("autoscaling/target-lifecycle-state")


@dataclass(frozen=True)
class LifecycleAction:
    """The termination lifecycle action of one instance: what CompleteLifecycleAction names."""

    group: str
    hook: str
    instance_id: str

    def params(self) -> dict[str, str]:
        return {"AutoScalingGroupName": self.group, "LifecycleHookName": self.hook, "InstanceId": self.instance_id}


def find_action(client: Any, instance_id: str, hook: str | None = None) -> LifecycleAction:
    """The group of ``instance_id`` and its EC2_INSTANCE_TERMINATING hook (``hook`` when given); a clear
    error when the instance is in no group or the group has no such hook (a scale-in would not wait)."""
    found = client.describe_auto_scaling_instances(InstanceIds=[instance_id])["AutoScalingInstances"]
    if not found:
        raise RuntimeError(f"instance {instance_id} is in no Auto Scaling group: nothing would wait for a drain")
    group = found[0]["AutoScalingGroupName"]
    hooks = client.describe_lifecycle_hooks(AutoScalingGroupName=group)["LifecycleHooks"]
    names = sorted(h["LifecycleHookName"] for h in hooks if h["LifecycleTransition"] == TERMINATING)
    if hook is not None:
        if hook not in names:
            raise RuntimeError(f"group {group} has no {TERMINATING} hook named {hook!r} (it has: {names or 'none'})")
        return LifecycleAction(group, hook, instance_id)
    if len(names) != 1:
        raise RuntimeError(f"group {group} has {len(names)} {TERMINATING} hooks ({names or 'none'}): "
                           "create one (deploy/aws/README.md) or name it in ZYGARDE_ASG_DRAIN_HOOK")
    return LifecycleAction(group, names[0], instance_id)


class Drainer:
    """SIGTERM, then wait for the trainer's exit; with a lifecycle action, heartbeats while waiting and
    CONTINUE once it has exited."""

    def __init__(self, client: Any, action: LifecycleAction, heartbeat_s: float, drain_timeout_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.action = action
        self.heartbeat_s = heartbeat_s
        self.drain_timeout_s = drain_timeout_s
        self.clock = clock

    def stop(self, child: subprocess.Popen[bytes], *, heartbeats: bool) -> int:
        """The trainer's exit code once it has drained; past ``drain_timeout_s`` it is killed (its trial's
        offset is uncommitted, so the trial goes to another trainer)."""
        child.send_signal(signal.SIGTERM)
        deadline = self.clock() + self.drain_timeout_s
        while True:
            left = deadline - self.clock()
            try:
                return child.wait(timeout=max(0.0, min(self.heartbeat_s, left)))
            except subprocess.TimeoutExpired:
                if self.clock() >= deadline:
                    log.error("trainer still running %.0f s after SIGTERM: killed, its trial goes to another "
                              "trainer", self.drain_timeout_s)
                    child.kill()
                    return child.wait()
                if heartbeats:
                    self.heartbeat()

    def heartbeat(self) -> None:
        """Extend the hook's wait; a failed call is only logged (the next one, or the hook's default, follows)."""
        try:
            self.client.record_lifecycle_action_heartbeat(**self.action.params())
        except Exception as exc:  # noqa: BLE001 - the drain goes on whatever the API answers
            log.warning("lifecycle heartbeat failed: %s", exc)

    def complete(self) -> bool:
        """CONTINUE: the group may terminate the instance now. False (logged) when the call failed: the
        group then terminates it after the hook's heartbeat timeout (its DefaultResult)."""
        try:
            self.client.complete_lifecycle_action(LifecycleActionResult="CONTINUE", **self.action.params())
        except Exception as exc:  # noqa: BLE001 - reported; the hook's timeout ends the wait
            log.error("completing the lifecycle action of %s failed: %s", self.action.instance_id, exc)
            return False
        log.info("trainer drained; lifecycle action of %s completed (CONTINUE)", self.action.instance_id)
        return True


def watch(child: subprocess.Popen[bytes], metadata: InstanceMetadata, drainer: Drainer, poll_s: float,
          stop: threading.Event) -> int:
    """Until one of: the trainer exits by itself (its code; nothing completed, its unit restarts it), this
    process is asked to stop (the trainer is drained, nothing completed), or the group terminates the
    instance (the trainer is drained, then the action completed; 0 once completed, 1 if that failed)."""
    while True:
        code = child.poll()
        if code is not None:
            log.warning("trainer exited by itself with %d", code)
            return code
        if stop.is_set():
            return drainer.stop(child, heartbeats=False)
        try:
            state = metadata.target_lifecycle_state()
        except OSError as exc:  # a metadata hiccup: read again at the next poll
            log.warning("could not read the target lifecycle state: %s", exc)
            state = ""
        if state == TERMINATED:
            log.info("instance %s is terminating: draining the trainer", drainer.action.instance_id)
            code = drainer.stop(child, heartbeats=True)
            log.info("trainer exited with %d", code)
            return 0 if drainer.complete() else 1
        stop.wait(poll_s)


def main() -> None:
    shared = Settings()
    own = AsgDrainSettings()
    setup_logging("asg-drain", shared.log_level, shared.log_json)
    import boto3
    from botocore.config import Config

    metadata = InstanceMetadata(own.metadata_url)
    instance = metadata.instance_id()
    client = boto3.client("autoscaling", region_name=own.region or metadata.region(),
                          endpoint_url=own.endpoint_url, config=Config(retries={"mode": "standard"}))
    drainer = Drainer(client, find_action(client, instance, own.hook), own.heartbeat_s, own.drain_timeout_s)
    if metadata.target_lifecycle_state() == TERMINATED:  # restarted while the group waits: no trainer to start
        sys.exit(0 if drainer.complete() else 1)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    child = subprocess.Popen(own.argv())
    sys.exit(watch(child, metadata, drainer, own.poll_s, stop))


if __name__ == "__main__":
    main()
