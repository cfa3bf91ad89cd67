"""The security settings of this process's Kafka clients (librdkafka properties files), per service principal."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

KAFKA_PRINCIPALS = ("planner", "selector", "trainer", "scaler", "submitter")


class _KafkaClientSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZYGARDE_", extra="ignore")

    home: Path = Path(".zygarde")
    kafka_sasl: bool = True
    kafka_client_properties: Path | None = Field(None, description="librdkafka settings file of this process")


def kafka_client_conf(service: str | None = None) -> dict[str, str]:
    """The librdkafka security settings a Kafka client of ``service`` adds to its own: the file
    ``ZYGARDE_KAFKA_CLIENT_PROPERTIES`` names, else the service's principal's file
    ``$ZYGARDE_HOME/kafka/<service>.properties``, else the submitter's ``$ZYGARDE_HOME/kafka-client.properties``
    (both written by ``zygarde up`` when the broker authenticates), else none (a PLAINTEXT broker).
    With ``ZYGARDE_KAFKA_SASL=0`` only the named file counts: the files an authenticating stack left in the
    home would otherwise send credentials to a PLAINTEXT listener."""
    own = _KafkaClientSettings()
    home = own.home.expanduser().resolve()
    candidates = [own.kafka_client_properties] if own.kafka_client_properties else []
    if own.kafka_sasl:
        if service in KAFKA_PRINCIPALS:
            candidates.append(home / "kafka" / f"{service}.properties")
        candidates.append(home / "kafka-client.properties")
    for path in candidates:
        if path is not None and path.is_file():
            return read_properties(path)
    return {}


def read_properties(path: Path) -> dict[str, str]:
    """``key=value`` lines (``#`` comments), as librdkafka's and Kafka's own properties files."""
    conf = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            key, _, value = line.partition("=")
            conf[key.strip()] = value.strip()
    return conf
