"""LEADFLOW_* settings: defaults, parsing, clear errors, and the client kwargs they build."""

from __future__ import annotations

import ssl
from pathlib import Path

import faust
import pytest
import trustme

from streams.errors import SettingsError
from streams.settings import StreamSettings, load_settings, parse_brokers


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in StreamSettings.model_fields:
        monkeypatch.delenv(f"LEADFLOW_{name.upper()}", raising=False)


def settings_error() -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings()
    return str(caught.value)


def test_defaults() -> None:
    s = load_settings()
    assert s.bootstrap_servers == ["127.0.0.1:9092"]
    assert s.broker_url == "kafka://127.0.0.1:9092"
    assert (s.topic_events, s.topic_assignments, s.topic_alerts, s.topic_deadletter) == (
        "leads.events", "leads.assignments", "sla.alerts", "leads.deadletter",
    )  # fmt: skip
    assert (s.partitions, s.app_id, s.web_port) == (4, "leadflow", 6066)
    assert s.aiokafka_kwargs() == {
        "bootstrap_servers": ["127.0.0.1:9092"],
        "security_protocol": "PLAINTEXT",
    }
    assert s.faust_kwargs() == {"broker": "kafka://127.0.0.1:9092"}


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEADFLOW_BROKER", "kafka://k1:9095;k2")
    monkeypatch.setenv("LEADFLOW_TOPIC_EVENTS", "crm.events")
    monkeypatch.setenv("LEADFLOW_PARTITIONS", "12")
    monkeypatch.setenv("LEADFLOW_APP_ID", "leadflow-eu")
    monkeypatch.setenv("LEADFLOW_WEB_PORT", "7000")
    monkeypatch.setenv("LEADFLOW_WEB_HOST", "0.0.0.0")
    monkeypatch.setenv("LEADFLOW_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LEADFLOW_POLICY", "examples/policy.yaml")
    s = load_settings()
    assert s.bootstrap_servers == ["k1:9095", "k2:9092"]
    assert s.broker_url == "kafka://k1:9095;k2:9092"
    assert s.topic_events == "crm.events"
    assert (s.partitions, s.app_id, s.web_port, s.web_host) == (12, "leadflow-eu", 7000, "0.0.0.0")
    assert s.state_dir == tmp_path
    assert s.policy == Path("examples/policy.yaml")


def test_overrides_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_BROKER", "kafka://from-env:9092")
    assert load_settings(broker="cli:1234").bootstrap_servers == ["cli:1234"]
    assert load_settings(broker=None).bootstrap_servers == ["from-env:9092"]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LEADFLOW_PARTITIONS", "four", "valid integer"),
        ("LEADFLOW_PARTITIONS", "0", "greater than or equal to 1"),
        ("LEADFLOW_WEB_PORT", "70000", "less than or equal to 65535"),
        ("LEADFLOW_SECURITY_PROTOCOL", "TLS", "'PLAINTEXT', 'SSL', 'SASL_PLAINTEXT' or 'SASL_SSL'"),
        ("LEADFLOW_SASL_MECHANISM", "GSSAPI", "'PLAIN', 'SCRAM-SHA-256' or 'SCRAM-SHA-512'"),
        ("LEADFLOW_BROKER", "http://k1:9092", "scheme must be kafka://"),
        ("LEADFLOW_BROKER", "k1:port", "port must be a number"),
        ("LEADFLOW_BROKER", " ; ", "at least one broker"),
        ("LEADFLOW_TOPIC_ALERTS", "sla alerts", "not a legal Kafka topic name"),
        ("LEADFLOW_SSL_CAFILE", "/nonexistent/ca.pem", "no such file"),
        ("LEADFLOW_APP_ID", " ", "must not be empty"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"{variable}: " in message
    assert expected in message


def test_every_bad_variable_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_PARTITIONS", "x")
    monkeypatch.setenv("LEADFLOW_WEB_PORT", "y")
    message = settings_error()
    assert "LEADFLOW_PARTITIONS" in message
    assert "LEADFLOW_WEB_PORT" in message


def test_sasl_needs_user_and_password_and_never_prints_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEADFLOW_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("LEADFLOW_SASL_PASSWORD", "hunter2")
    message = settings_error()
    assert "LEADFLOW_SASL_USERNAME and LEADFLOW_SASL_PASSWORD" in message
    assert "hunter2" not in message
    monkeypatch.setenv("LEADFLOW_SASL_USERNAME", "router")
    assert "hunter2" not in repr(load_settings())


def test_certificate_and_key_go_together(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("x")
    monkeypatch.setenv("LEADFLOW_SSL_CERTFILE", str(cert))
    message = settings_error()
    assert "LEADFLOW_SSL_CERTFILE and LEADFLOW_SSL_KEYFILE go together" in message


def test_sasl_scram_kwargs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_BROKER", "kafka://b1:9096")
    monkeypatch.setenv("LEADFLOW_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("LEADFLOW_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("LEADFLOW_SASL_USERNAME", "router")
    monkeypatch.setenv("LEADFLOW_SASL_PASSWORD", "s3cret")
    s = load_settings()
    assert s.aiokafka_kwargs() == {
        "bootstrap_servers": ["b1:9096"],
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "router",
        "sasl_plain_password": "s3cret",
    }
    creds = s.faust_kwargs()["broker_credentials"]
    assert isinstance(creds, faust.SASLCredentials)
    assert (creds.username, creds.password) == ("router", "s3cret")
    assert creds.mechanism.value == "SCRAM-SHA-512"
    assert creds.protocol.value == "SASL_PLAINTEXT"
    assert creds.ssl_context is None


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway CA and a client certificate/key signed by it."""
    d = tmp_path_factory.mktemp("pki")
    ca = trustme.CA(organization_name="leadflow-test")
    client = ca.issue_cert("router.leadflow.test")
    paths = {"ca": d / "ca.pem", "cert": d / "client.pem", "key": d / "client.key"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    client.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    client.private_key_pem.write_to_path(str(paths["key"]))
    return paths


def test_sasl_ssl_kwargs_carry_a_tls_context(
    monkeypatch: pytest.MonkeyPatch, pki: dict[str, Path]
) -> None:
    monkeypatch.setenv("LEADFLOW_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("LEADFLOW_SASL_USERNAME", "router")
    monkeypatch.setenv("LEADFLOW_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("LEADFLOW_SSL_CAFILE", str(pki["ca"]))
    s = load_settings()
    kwargs = s.aiokafka_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL"
    context = kwargs["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    (ca,) = context.get_ca_certs()
    assert (("organizationName", "leadflow-test"),) in ca["subject"]
    creds = s.faust_kwargs()["broker_credentials"]
    assert isinstance(creds, faust.SASLCredentials)
    assert creds.protocol.value == "SASL_SSL"
    assert isinstance(creds.ssl_context, ssl.SSLContext)


def test_mutual_tls_kwargs(monkeypatch: pytest.MonkeyPatch, pki: dict[str, Path]) -> None:
    monkeypatch.setenv("LEADFLOW_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("LEADFLOW_SSL_CAFILE", str(pki["ca"]))
    monkeypatch.setenv("LEADFLOW_SSL_CERTFILE", str(pki["cert"]))
    monkeypatch.setenv("LEADFLOW_SSL_KEYFILE", str(pki["key"]))
    s = load_settings()
    kwargs = s.aiokafka_kwargs()
    assert kwargs["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in kwargs
    creds = s.faust_kwargs()["broker_credentials"]
    assert isinstance(creds, faust.SSLCredentials)
    assert creds.protocol.value == "SSL"


def test_a_key_that_does_not_match_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, pki: dict[str, Path], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.key"
    junk.write_text("not a key\n")
    monkeypatch.setenv("LEADFLOW_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("LEADFLOW_SSL_CERTFILE", str(pki["cert"]))
    monkeypatch.setenv("LEADFLOW_SSL_KEYFILE", str(junk))
    s = load_settings()
    with pytest.raises(SettingsError, match="cannot build a TLS context"):
        s.aiokafka_kwargs()


def test_parse_brokers_forms() -> None:
    assert parse_brokers("kafka://a:1,b:2; c") == [("a", 1), ("b", 2), ("c", 9092)]
