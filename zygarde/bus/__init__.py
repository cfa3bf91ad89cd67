"""Typed messaging over confluent-kafka. Services use this package, never the Kafka client itself."""

from zygarde.bus.admin import BusAdmin, PartitionLag
from zygarde.bus.consumer import EventConsumer, MessageMeta
from zygarde.bus.producer import EventProducer

__all__ = ["BusAdmin", "EventConsumer", "EventProducer", "MessageMeta", "PartitionLag"]
