"""The notifier's settings, read from `LEADFLOW_NOTIFY_*` variables (docs/notifications.md).

Endpoint URLs and secrets live here, never in the policy or team files: a contact names
an endpoint (`chat: sales-west`), `LEADFLOW_NOTIFY_CHAT_URLS='{"sales-west": "https://…"}'`
says where it is.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from notifier.errors import NotifyError


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADFLOW_NOTIFY_", extra="ignore", frozen=True)

    group: str = "leadflow-notify"
    topic_deliveries: str = "notify.deliveries"  # compacted: key -> what was delivered
    topic_deadletter: str = "notify.deadletter"
    chat_urls: dict[str, str] = {}
    webhook_urls: dict[str, str] = {}
    webhook_secret: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "leadflow@localhost"
    smtp_cafile: str | None = None  # CA bundle for a server with a private CA
    max_tries: int = Field(default=8, ge=1)
    backoff_s: float = Field(default=0.5, gt=0)  # first wait; doubles each try
    backoff_max_s: float = Field(default=30.0, gt=0)
    timeout_s: float = Field(default=10.0, gt=0)
    concurrency: int = Field(default=32, ge=1)
    #: how soon a dead notifier's partitions move to another (Kafka group session)
    session_timeout_s: float = Field(default=10.0, ge=6.0, le=300.0)
    #: the delivery ledger forgets a finished delivery whose decision is this much older
    #: (event time) than the newest one it recorded, once committed (notifier/ledger.py)
    retention_s: float = Field(default=7 * 86400.0, gt=0)
    #: "event": the clock is the latest decision's `at` (replays, tests); "wall": real time
    clock: str = Field(default="wall", pattern="^(wall|event)$")


def load_notify_settings(**overrides: Any) -> NotifySettings:
    try:
        return NotifySettings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "LEADFLOW_NOTIFY_" + "_".join(str(p) for p in first["loc"]).upper()
        raise NotifyError(f"{name}: {first['msg']} (got {first.get('input')!r})") from None
