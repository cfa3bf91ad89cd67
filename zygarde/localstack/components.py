"""The infrastructure components of the local stack, by name: Kafka, the MongoDB-wire server, Prometheus and
Alertmanager.

Each knows how to install itself into the cache folder, start, answer a real readiness request,
and stop (``component.py``). Installs are cached: a second ``up`` downloads nothing.
"""

from __future__ import annotations

from zygarde.localstack.component import Component, port_free, port_open
from zygarde.localstack.kafka_broker import KafkaComponent
from zygarde.localstack.mongo_server import MongoComponent
from zygarde.localstack.monitoring import AlertmanagerComponent, PrometheusComponent

__all__ = ["INFRA", "AlertmanagerComponent", "Component", "KafkaComponent", "MongoComponent",
           "PrometheusComponent", "_port_free", "_port_open"]

_port_open = port_open  # the names callers import from here
_port_free = port_free

INFRA: dict[str, type[Component]] = {
    "kafka": KafkaComponent,
    "mongo": MongoComponent,
    "prometheus": PrometheusComponent,
    "alertmanager": AlertmanagerComponent,
}
