"""docker-compose.yml names what the worker expects: the services, a Kafka 3.9 KRaft image,
ports, and LEADFLOW_* settings the worker reads and accepts (parsed; no Docker needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboard.settings import DashboardSettings
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
    assert set(services) == {"kafka", "worker", "prometheus", "grafana"}
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
    fields = [*StreamSettings.model_fields, *DashboardSettings.model_fields]
    known = {ENV_PREFIX + name.upper() for name in fields}
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
    assert len(args.policy) == 1  # one version of the policy (--policy repeats for later ones)
    policy = Path(args.policy[0])
    assert policy.parts[:2] == ("/", "app")  # the Dockerfile's WORKDIR
    assert (REPO / policy.relative_to("/app")).is_file()
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "WORKDIR /app" in dockerfile and "COPY examples ./examples" in dockerfile


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """container path -> host path, of the bind mounts (./...)"""
    out = {}
    for item in service.get("volumes", []):
        host, container = str(item).split(":")[:2]
        if host.startswith("./"):
            out[container] = host
    return out


def test_the_worker_views_need_a_read_token(compose: dict[str, Any]) -> None:
    env = _env(compose["services"]["worker"])
    # Compose refuses to start without one (`:?`): no open views by default.
    assert env["LEADFLOW_READ_TOKENS"].startswith("${LEADFLOW_READ_TOKEN:?")


def test_prometheus_scrapes_the_worker_with_the_token(compose: dict[str, Any]) -> None:
    prometheus = compose["services"]["prometheus"]
    mounts = _mounts(prometheus)
    config = yaml.safe_load((REPO / mounts["/etc/prometheus/prometheus.yml"]).read_text())
    (job,) = config["scrape_configs"]
    worker_port = load_settings(web_port=_env(compose["services"]["worker"])["LEADFLOW_WEB_PORT"])
    assert job["static_configs"][0]["targets"] == [f"worker:{worker_port.web_port}"]
    assert job["metrics_path"] == "/metrics"
    token_file = job["authorization"]["credentials_file"]
    assert job["authorization"]["type"] == "Bearer"
    script = " ".join(prometheus["command"])
    assert f'printf %s "$$LEADFLOW_READ_TOKEN" > {token_file}' in script
    assert "--config.file=/etc/prometheus/prometheus.yml" in script
    assert _env(prometheus)["LEADFLOW_READ_TOKEN"].startswith("${LEADFLOW_READ_TOKEN")


def test_grafana_is_provisioned_with_the_dashboard(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = _mounts(grafana)
    provisioning = REPO / mounts["/etc/grafana/provisioning"]
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert source["url"] == f"http://prometheus:{_ports(compose['services']['prometheus'])[9090]}"
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "leadflow.yml").read_text())[
        "providers"
    ]
    folder = provider["options"]["path"]
    dashboards = REPO / mounts[folder]
    board = json.loads((dashboards / "leadflow.json").read_text())
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == source["uid"]
        assert panel["targets"] and all(t["expr"] for t in panel["targets"])
