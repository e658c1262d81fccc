"""Test-wide plugins and fixtures: the real Kafka broker harness (started only when a test
asks for it) and the example policy."""

from __future__ import annotations

import pytest

from routing.policy.loader import LoadedPolicy, load_policy
from tests.replaying import EXAMPLES

pytest_plugins = ["tests.kafka_harness"]


@pytest.fixture(scope="session")
def example_policy() -> LoadedPolicy:
    """examples/policy.yaml with its team, loaded once."""
    return load_policy(EXAMPLES / "policy.yaml")
