"""docker-compose.yml names what the worker expects: the services, a Kafka 3.9 KRaft image,
ports, and LEADFLOW_* settings the worker reads and accepts (parsed; no Docker needed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadflow.cli import _parser
from streams.settings import ENV_PREFIX, StreamSettings, load_settings, parse_brokers

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _ports(service: dict[str, Any]) -> dict[int, int]:
    """container port -> host port"""
    out = {}
    for item in service.get("ports", []):
        host, _, container = str(item).rpartition(":")
        out[int(container)] = int(host)
    return out


def test_services_and_images(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"kafka", "worker"}
    assert services["kafka"]["image"].startswith("apache/kafka:3.9.")
    assert services["worker"]["build"] == "."
    assert (REPO / "Dockerfile").is_file()
    assert services["worker"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_kafka_is_kraft_and_advertises_what_the_worker_dials(compose: dict[str, Any]) -> None:
    kafka, worker = compose["services"]["kafka"], compose["services"]["worker"]
    env = _env(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    advertised = {
        parse_brokers(url.split("://", 1)[1])[0]
        for url in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    }
    dialed = parse_brokers(_env(worker)["LEADFLOW_BROKER"])
    assert set(dialed) <= advertised
    # Host clients: the advertised localhost listener's port is published on the host.
    host_ports = {port for host, port in advertised if host == "localhost"}
    assert host_ports and host_ports <= set(_ports(kafka).values())


def test_worker_environment_is_settings_the_worker_accepts(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = compose["services"]["worker"]
    env = _env(worker)
    known = {ENV_PREFIX + name.upper() for name in StreamSettings.model_fields}
    assert set(env) <= known, f"unknown settings: {set(env) - known}"
    for key in [k for k in os.environ if k.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.web_host == "0.0.0.0"  # reachable from outside the container
    assert _ports(worker)[settings.web_port] == settings.web_port
    volumes = [str(v).split(":")[1].split()[0] for v in worker.get("volumes", [])]
    assert str(settings.state_dir) in volumes  # snapshots survive a container restart


def test_worker_command_parses_and_names_a_policy_in_the_image(compose: dict[str, Any]) -> None:
    command = compose["services"]["worker"]["command"]
    args = _parser().parse_args(command)
    assert args.run.__module__ == "leadflow.cmd_worker"
    policy = Path(args.policy)
    assert policy.parts[:2] == ("/", "app")  # the Dockerfile's WORKDIR
    assert (REPO / policy.relative_to("/app")).is_file()
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "WORKDIR /app" in dockerfile and "COPY examples ./examples" in dockerfile
