"""A real Apache Kafka broker for development and tests: jars from Maven Central, no Docker."""

from streams.broker.jars import KAFKA_VERSION, fetch_jars
from streams.broker.node import BrokerStatus, LocalBroker, free_ports

__all__ = ["KAFKA_VERSION", "BrokerStatus", "LocalBroker", "fetch_jars", "free_ports"]
