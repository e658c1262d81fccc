"""Test-wide plugins: the real Kafka broker harness (started only when a test asks for it)."""

pytest_plugins = ["tests.kafka_harness"]
