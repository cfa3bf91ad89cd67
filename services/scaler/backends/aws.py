"""An EC2 Auto Scaling group's desired capacity (boto3)."""

from __future__ import annotations

from typing import Any

from services.scaler.backends._base import BaseScalerBackend


class AwsBackend(BaseScalerBackend):
    """Sets the desired capacity of Auto Scaling group ``group``; credentials come from boto3's chain.

    ``endpoint_url`` points at another endpoint (moto in tests, a VPC endpoint in production).
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

    def current(self) -> int:
        """The group's desired capacity (instances asked for, as the group will bill them)."""
        answer = self.client.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group])
        groups = answer["AutoScalingGroups"]
        if not groups:
            raise RuntimeError(f"no Auto Scaling group named {self.group}")
        return int(groups[0]["DesiredCapacity"])

    def scale_to(self, n: int) -> None:
        """Set the desired capacity; the group's own scale-in protection and lifecycle hooks drain."""
        # HonorCooldown off: the scaler's own policy already decided when to move.
        self.client.set_desired_capacity(AutoScalingGroupName=self.group, DesiredCapacity=n,
                                         HonorCooldown=False)
