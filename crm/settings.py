"""Settings of the CRM shells, read from `LEADFLOW_*` variables (the broker, topics and
security are the streaming layer's `StreamSettings`, read alongside). Secrets are
`SecretStr`: never printed, never logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm.errors import CrmError
from streams.settings import ENV_PREFIX


class CrmSettings(BaseSettings):
    """Every `LEADFLOW_*` variable of `leadflow ingest` and `leadflow sink`
    (docs/integrations.md)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, validate_default=True
    )

    # leadflow ingest
    ingest_token: SecretStr | None = None  # bearer token of /v1/events and bearer-auth hooks
    ingest_host: str = "127.0.0.1"
    ingest_port: int = Field(default=6070, ge=1, le=65535)
    ingest_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)  # larger: 413
    ingest_max_events: int = Field(default=5000, ge=1)  # events in one request; more: 413
    ingest_rate: float = Field(default=5000.0, gt=0)  # events/s per client, sustained
    ingest_burst: int = Field(default=20000, ge=1)  # ... and in a burst; beyond: 429
    ingest_dedup: int = Field(default=500_000, ge=0)  # event ids remembered (idempotency)
    hubspot_client_secret: SecretStr | None = None  # checks X-HubSpot-Signature-v3
    hubspot_url: str | None = None  # the public URL HubSpot calls (as signed), if proxied
    hubspot_max_age_s: float = Field(default=300.0, gt=0)  # older timestamps: 401

    # leadflow sink
    sink_group: str = "leadflow-crm-sink"
    sink_state: Path = Path(".leadflow/crm-sink.sqlite3")  # delivery records
    sink_hubspot_prefix: str | None = "hs-"  # lead ids written back to HubSpot contacts
    sink_salesforce_prefix: str | None = "sf-"  # ... to Salesforce Leads
    sink_timeout_s: float = Field(default=10.0, gt=0)
    sink_retry_max_s: float = Field(default=30.0, gt=0)  # back-off ceiling of a retry
    sink_concurrency: int = Field(default=16, ge=1)  # leads written at once
    sink_session_timeout_s: float = Field(default=10.0, gt=0)
    hubspot_base_url: str = "https://api.hubapi.com"
    hubspot_token: SecretStr | None = None  # a private app's access token
    salesforce_base_url: str | None = None  # the org's instance URL
    salesforce_token: SecretStr | None = None  # an OAuth access token
    salesforce_api_version: str = "v60.0"

    @model_validator(mode="after")
    def _burst_holds_a_request(self) -> CrmSettings:
        if self.ingest_burst < self.ingest_max_events:
            raise ValueError(
                f"{ENV_PREFIX}INGEST_BURST ({self.ingest_burst}) must be at least "
                f"{ENV_PREFIX}INGEST_MAX_EVENTS ({self.ingest_max_events}): a request of the "
                "largest size must be able to pass"
            )
        return self


def load_crm_settings(**overrides: Any) -> CrmSettings:
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return CrmSettings(**given)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            name = ENV_PREFIX + loc[0].upper() if loc else "settings"
            lines.append(f"{name}: {error['msg']}")
        raise CrmError("bad settings:\n  " + "\n  ".join(lines)) from None
