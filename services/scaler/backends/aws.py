"""An EC2 Auto Scaling group's desired capacity (boto3)."""

from __future__ import annotations

from typing import Any

from services.scaler.backends._base import BaseScalerBackend


class AwsBackend(BaseScalerBackend):
    def __init__(self, group: str = "zygarde-trainers", region: str = "eu-west-1", endpoint_url: str | None = None,
                 **client_options: Any) -> None:
        try:
            import boto3
        except ImportError as exc:
            raise RuntimeError("the aws backend needs `pip install zygarde[aws]`") from exc
        self.client = boto3.client("autoscaling", region_name=region, endpoint_url=endpoint_url, **client_options)
        self.group = group

    def current(self) -> int:
        groups = self.client.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group])["AutoScalingGroups"]
        if not groups:
            raise RuntimeError(f"no Auto Scaling group named {self.group}")
        return int(groups[0]["DesiredCapacity"])

    def scale_to(self, n: int) -> None:
        self.client.set_desired_capacity(AutoScalingGroupName=self.group, DesiredCapacity=n, HonorCooldown=False)
