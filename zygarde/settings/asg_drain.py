"""The drain watcher's settings (``ZYGARDE_ASG_DRAIN_*``): the process beside a trainer on an EC2 instance
of an Auto Scaling group that drains the trainer before the group terminates the instance (deploy/aws)."""

from __future__ import annotations

import shlex

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AsgDrainSettings(BaseSettings):
    """Region and endpoint as the scaler's ``ZYGARDE_SCALER_AWS_*``; credentials from boto3's standard chain
    (on an instance: its instance profile), never from here."""

    model_config = SettingsConfigDict(env_prefix="ZYGARDE_ASG_DRAIN_", extra="ignore")

    command: str = Field("zygarde run trainer", description="the trainer the watcher runs and drains")
    region: str | None = Field(None, description="the group's region; default: the instance's, from the metadata")
    endpoint_url: str | None = Field(None, description="another Auto Scaling endpoint: a VPC endpoint, a test server")
    hook: str | None = Field(None, description="the group's EC2_INSTANCE_TERMINATING hook; default: the one it has")
    metadata_url: str = Field("http://169.254.169.254", description="the instance metadata service (IMDSv2)")
    poll_s: float = Field(5.0, gt=0, description="how often the instance's target lifecycle state is read")
    heartbeat_s: float = Field(60.0, gt=0, description="how often a drain extends the hook's heartbeat timeout "
                               "(keep it well under the hook's HeartbeatTimeout)")
    drain_timeout_s: float = Field(3600.0, gt=0, description="the longest a trainer may take to finish its trial "
                                   "after SIGTERM before it is killed (its trial is then delivered again)")

    def argv(self) -> list[str]:
        return shlex.split(self.command)
