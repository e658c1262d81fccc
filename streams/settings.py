"""One typed settings object for the streaming layer, read from `LEADFLOW_*` variables.

`load_settings()` reads the environment (explicit keyword overrides win, e.g. a
command's `--broker`) and turns a bad value into a `SettingsError` that names the
variable. The object then gives the keyword arguments of an aiokafka client
(`aiokafka_kwargs()`) and of a Faust app (`faust_kwargs()`), security included,
so no other module reads the environment or builds TLS contexts.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.errors import SettingsError

ENV_PREFIX = "LEADFLOW_"
DEFAULT_PORT = 9092

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


def parse_brokers(text: str) -> list[tuple[str, int]]:
    """`kafka://a:9092;b:9093` or `a,b:9093` → [(host, port), ...]; port defaults to 9092."""
    found: list[tuple[str, int]] = []
    for part in text.replace(",", ";").split(";"):
        item = part.strip()
        if not item:
            continue
        scheme, sep, rest = item.partition("://")
        if not sep:
            rest = item
        elif scheme != "kafka":
            raise ValueError(f"{item!r}: the scheme must be kafka:// (or none), not {scheme}://")
        rest = rest.rstrip("/")
        host, colon, port_text = rest.rpartition(":")
        if not colon:
            host, port_text = rest, str(DEFAULT_PORT)
        if not host or "/" in host or "@" in host:
            raise ValueError(f"{item!r}: expected host:port")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{item!r}: the port must be a number from 1 to 65535")
        found.append((host.strip("[]"), int(port_text)))
    if not found:
        raise ValueError("expected at least one broker, e.g. kafka://127.0.0.1:9092")
    return found


class StreamSettings(BaseSettings):
    """Every `LEADFLOW_*` variable of the streaming layer (documented in docs/streams.md)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, validate_default=True
    )

    # Where the broker is and how to talk to it.
    broker: str = "kafka://127.0.0.1:9092"
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "PLAIN"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    # Topics.
    topic_events: str = "leads.events"
    topic_assignments: str = "leads.assignments"
    topic_alerts: str = "sla.alerts"
    topic_deadletter: str = "leads.deadletter"
    partitions: int = Field(default=4, ge=1, le=1024)

    # The worker.
    app_id: str = "leadflow"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=6066, ge=1, le=65535)
    state_dir: Path = Path(".leadflow")
    policy: Path | None = None
    team: Path | None = None

    # The worker's waits and watches (docs/worker.md, "Ordering" and "Operations").
    merge_idle_s: float = Field(default=0.0, ge=0, le=60)
    stall_after_s: float = Field(default=30.0, gt=0)
    log_every_s: float = Field(default=10.0, gt=0)

    @field_validator("broker")
    @classmethod
    def _brokers_parse(cls, value: str) -> str:
        parse_brokers(value)
        return value

    @field_validator("topic_events", "topic_assignments", "topic_alerts", "topic_deadletter")
    @classmethod
    def _legal_topic(cls, value: str) -> str:
        # Kafka's rule: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
        legal = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if not 0 < len(value) < 250 or value in {".", ".."} or set(value) - legal:
            raise ValueError(
                f"{value!r} is not a legal Kafka topic name "
                "(1-249 characters of letters, digits, '.', '_', '-')"
            )
        return value

    @field_validator("app_id")
    @classmethod
    def _nonempty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("ssl_cafile", "ssl_certfile", "ssl_keyfile")
    @classmethod
    def _file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @model_validator(mode="after")
    def _security_consistent(self) -> StreamSettings:
        sasl = self.security_protocol.startswith("SASL_")
        if sasl and (not self.sasl_username or self.sasl_password is None):
            raise ValueError(
                f"{ENV_PREFIX}SECURITY_PROTOCOL={self.security_protocol} needs "
                f"{ENV_PREFIX}SASL_USERNAME and {ENV_PREFIX}SASL_PASSWORD"
            )
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError(
                f"{ENV_PREFIX}SSL_CERTFILE and {ENV_PREFIX}SSL_KEYFILE go together: "
                "set both (client certificate) or neither"
            )
        return self

    @property
    def brokers(self) -> list[tuple[str, int]]:
        return parse_brokers(self.broker)

    @property
    def bootstrap_servers(self) -> list[str]:
        """`host:port` strings, as aiokafka wants them."""
        return [f"{host}:{port}" for host, port in self.brokers]

    @property
    def broker_url(self) -> str:
        """`kafka://a:9092;b:9092`, as Faust wants it."""
        return "kafka://" + ";".join(self.bootstrap_servers)

    @property
    def uses_ssl(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client TLS context from the CA/cert/key files, or None without TLS."""
        if not self.uses_ssl:
            return None
        from aiokafka.helpers import create_ssl_context

        try:
            context: ssl.SSLContext = create_ssl_context(
                cafile=self.ssl_cafile, certfile=self.ssl_certfile, keyfile=self.ssl_keyfile
            )
        except (ssl.SSLError, OSError) as exc:
            raise SettingsError(
                f"{ENV_PREFIX}SSL_CAFILE/SSL_CERTFILE/SSL_KEYFILE: cannot build a TLS context "
                f"from {self.ssl_cafile}, {self.ssl_certfile}, {self.ssl_keyfile}: {exc}"
            ) from exc
        return context

    def aiokafka_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `AIOKafkaProducer`/`AIOKafkaConsumer`/admin clients."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        context = self.ssl_context()
        if context is not None:
            kwargs["ssl_context"] = context
        if self.security_protocol.startswith("SASL_"):
            assert self.sasl_password is not None  # checked by _security_consistent
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return kwargs

    def faust_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `faust.App`: broker URL(s) and credentials."""
        import faust

        kwargs: dict[str, Any] = {"broker": self.broker_url}
        context = self.ssl_context()
        if self.security_protocol.startswith("SASL_"):
            assert self.sasl_password is not None
            kwargs["broker_credentials"] = faust.SASLCredentials(
                username=self.sasl_username,
                password=self.sasl_password.get_secret_value(),
                ssl_context=context,
                mechanism=self.sasl_mechanism,
            )
        elif context is not None:
            kwargs["broker_credentials"] = faust.SSLCredentials(context)
        return kwargs


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def load_settings(**overrides: Any) -> StreamSettings:
    """Read the environment; keyword overrides (not None) win. Bad values → SettingsError."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return StreamSettings(**given)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        where = env_name(loc[0]) if loc else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        if loc and loc[0] == "sasl_password":
            lines.append(f"{where}: {message}")
        elif loc:
            lines.append(f"{where}: {message}; got {error.get('input')!r}")
        else:
            lines.append(message)
    return "bad settings:\n  " + "\n  ".join(lines)
