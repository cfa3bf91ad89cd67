"""The scaler's backend settings (``ZYGARDE_SCALER_*``): where it starts trainers, per platform."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from zygarde.settings.shared import Settings


class ScalerBackendSettings(BaseSettings):
    """Where the scaler's backend starts trainers: one group of variables per platform.

    ``ZYGARDE_SCALER_DOCKER_*`` for containers on a Docker engine, ``ZYGARDE_SCALER_K8S_*`` for a
    Deployment, ``ZYGARDE_SCALER_AWS_*`` for an EC2 Auto Scaling group (credentials from boto3's
    standard chain: environment, shared files, instance or pod role; never from here).
    """

    model_config = SettingsConfigDict(env_prefix="ZYGARDE_SCALER_", extra="ignore")

    drain_timeout_s: float = 60.0
    docker_image: str = Field("zygarde:latest", description="image a scaled trainer container runs")
    docker_network: str | None = Field(None, description="network the trainers join (compose's)")
    docker_volumes: str = Field("", description="comma-separated volume:/path[:ro] mounts for trainers")
    docker_base_url: str | None = Field(None, description="engine socket; DOCKER_HOST when unset")
    docker_kafka_client_properties: str | None = Field(
        None, description="the engine host's path of the trainer principal's Kafka client settings, mounted "
                          "into each trainer (compose: the trainer's secret)")
    docker_mongo_uri_file: str | None = Field(
        None, description="the engine host's path of the trainer's MongoDB URI file (its own user), mounted "
                          "into each trainer (compose: the trainer's secret)")
    docker_s3_credentials_file: str | None = Field(
        None, description="the engine host's path of the trainer's S3 credentials (an AWS shared credentials "
                          "file), mounted into each trainer (compose's S3 mode: deploy/compose/s3.yml)")
    k8s_deployment: str = "zygarde-trainer"
    k8s_namespace: str = "zygarde"
    aws_group: str = "zygarde-trainers"
    aws_region: str = "eu-west-1"
    aws_endpoint_url: str | None = Field(None, description="another endpoint: a VPC endpoint, a test server")

    @staticmethod
    def trainer_env(shared: Settings) -> dict[str, str]:
        """What a trainer started elsewhere needs: the shared configuration, none of the scaler's
        own knobs and no admin token (a trainer never calls the admin API)."""
        keep = {k: v for k, v in shared.child_env().items() if k.startswith("ZYGARDE_")}
        return {k: v for k, v in keep.items()
                if not k.startswith("ZYGARDE_SCALER_") and k != "ZYGARDE_ADMIN_TOKEN"}

    def backend_options(self, name: str, shared: Settings) -> dict[str, object]:
        """Keyword arguments for ``make_backend(name, ...)``, from this environment."""
        if name == "local":
            return {"env": shared.child_env(), "drain_timeout_s": self.drain_timeout_s,
                    "targets_file": shared.home / "prometheus" / "etc" / "targets" / "trainers.json",
                    "log_dir": shared.home / "logs"}
        if name == "docker":
            return {"image": self.docker_image, "network": self.docker_network,
                    "volumes": [v.strip() for v in self.docker_volumes.split(",") if v.strip()],
                    "environment": self.trainer_env(shared), "drain_timeout_s": int(self.drain_timeout_s),
                    "base_url": self.docker_base_url, "kafka_client_file": self.docker_kafka_client_properties,
                    "mongo_uri_file": self.docker_mongo_uri_file,
                    "s3_credentials_file": self.docker_s3_credentials_file}
        if name == "kubernetes":
            return {"deployment": self.k8s_deployment, "namespace": self.k8s_namespace}
        if name == "aws":
            return {"group": self.aws_group, "region": self.aws_region, "endpoint_url": self.aws_endpoint_url}
        return {}
