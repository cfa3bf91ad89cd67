"""An EC2 Auto Scaling group's desired capacity (boto3)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from services.scaler.backends._base import BaseScalerBackend

log = logging.getLogger("zygarde.scaler")

TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"


class AwsBackend(BaseScalerBackend):
    """Sets the desired capacity of Auto Scaling group ``group``; credentials come from boto3's chain.

    ``endpoint_url`` points at another endpoint (moto in tests, a VPC endpoint in production). A scale-in
    drains through the group's EC2_INSTANCE_TERMINATING lifecycle hook: the group holds the instance it
    picked in Terminating:Wait until the drain watcher beside its trainer (``services.trainer.asg_drain``)
    has drained the trainer and completed the action (deploy/aws/README.md).
    """

    def __init__(self, group: str = "zygarde-trainers", region: str = "eu-west-1",
                 endpoint_url: str | None = None, **client_options: Any) -> None:
        try:
            import boto3
        except ImportError as exc:
            raise RuntimeError("the aws backend needs the `boto3` package (pip install boto3)") from exc
        self.client = boto3.client("autoscaling", region_name=region, endpoint_url=endpoint_url,
                                   **client_options)
        self.group = group
        self._hook_checked = False

    def _describe(self) -> dict[str, Any]:
        answer = self.client.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group])
        groups = answer["AutoScalingGroups"]
        if not groups:
            raise RuntimeError(f"no Auto Scaling group named {self.group}")
        found: dict[str, Any] = groups[0]
        return found

    def current(self) -> int:
        """The group's desired capacity (instances asked for, as the group will bill them)."""
        return int(self._describe()["DesiredCapacity"])

    def billed(self) -> int:
        """Instances the group holds now, whatever their state: starting, in service, and those waiting in
        Terminating:Wait while their trainer drains (EC2 bills them until they are terminated)."""
        return sum(1 for i in self._describe().get("Instances", []) if i.get("LifecycleState") != "Terminated")

    def drain_hooks(self) -> list[str]:
        """The group's EC2_INSTANCE_TERMINATING lifecycle hooks: without one a scale-in terminates an
        instance at once, its trainer's trial cut short (and delivered again to another trainer)."""
        hooks = self.client.describe_lifecycle_hooks(AutoScalingGroupName=self.group)["LifecycleHooks"]
        return sorted(h["LifecycleHookName"] for h in hooks if h["LifecycleTransition"] == TERMINATING)

    def scale_to(self, n: int, busy: Collection[str] | None = None) -> None:
        """Set the desired capacity; the group's lifecycle hook holds a removed instance while it drains.
        The group picks the instances to remove (``busy`` is not used: ``picks_idle`` is false)."""
        if not self._hook_checked and n < self.current():
            self._hook_checked = True
            if not self.drain_hooks():
                log.warning("Auto Scaling group %s has no %s lifecycle hook: scale-in terminates trainers "
                            "mid-trial (deploy/aws/README.md)", self.group, TERMINATING)
        # HonorCooldown off: the scaler's own policy already decided when to move.
        self.client.set_desired_capacity(AutoScalingGroupName=self.group, DesiredCapacity=n,
                                         HonorCooldown=False)
