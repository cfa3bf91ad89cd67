"""Configuration from the environment, read once at start-up (pydantic-settings): the one place that reads it.

Every variable of the contract (docs/contract.md) lives here, with the contract's default. Services build one
settings object in ``__main__`` and pass it down; nothing else reads ``os.environ``.

Shared settings in ``shared.py``, secrets in ``secret_files.py``, the Kafka clients' security settings in
``kafka_client.py``, the scaler's backends in ``scaler.py``, the AWS drain watcher's in ``asg_drain.py``;
every name is imported from ``zygarde.settings``.
"""

from zygarde.settings.asg_drain import AsgDrainSettings
from zygarde.settings.kafka_client import KAFKA_PRINCIPALS, kafka_client_conf, read_properties
from zygarde.settings.scaler import ScalerBackendSettings
from zygarde.settings.secret_files import MIN_SECRET_CHARS, artifact_key
from zygarde.settings.shared import REPO_ROOT, Settings, load, probes_enabled

__all__ = ["KAFKA_PRINCIPALS", "MIN_SECRET_CHARS", "REPO_ROOT", "AsgDrainSettings", "ScalerBackendSettings", "Settings",
           "artifact_key", "kafka_client_conf", "load", "probes_enabled", "read_properties"]
