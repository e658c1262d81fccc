"""The dashboard's settings, from `LEADFLOW_*` variables (as the worker's, streams.settings).

* `LEADFLOW_READ_TOKENS`: one or more read tokens, separated by commas. Every view of the
  worker except `/health` asks for one (`Authorization: Bearer TOKEN`, or the cookie that
  `?token=TOKEN` sets once). Unset: the worker makes one at start and writes it to
  `<state dir>/<app id>/read-token` (mode 0600), so a view is never open by accident.
* `LEADFLOW_DASHBOARD_PEOPLE`: `true` shows leads' names and emails where the engine has
  them; default `false`: lead ids only.
* `LEADFLOW_DASHBOARD_PUSH_S`: how often the live page is brought up to date while
  decisions flow (default 1.0 s; the page is at most this plus a render behind).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dashboard.errors import DashboardError

MIN_TOKEN_CHARS = 16


class DashboardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADFLOW_", extra="ignore", frozen=True)

    read_tokens: SecretStr | None = None
    dashboard_people: bool = False
    dashboard_push_s: float = Field(default=1.0, gt=0.05, le=10.0)

    @field_validator("read_tokens")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        for token in value.get_secret_value().split(","):
            if len(token.strip()) < MIN_TOKEN_CHARS:
                raise ValueError(
                    f"each read token must have at least {MIN_TOKEN_CHARS} characters "
                    "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`)"
                )
        return value

    def tokens(self) -> list[str]:
        if self.read_tokens is None:
            return []
        return [t.strip() for t in self.read_tokens.get_secret_value().split(",") if t.strip()]


def load_dashboard_settings() -> DashboardSettings:
    try:
        return DashboardSettings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = "LEADFLOW_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
            lines.append(f"{where}: {str(error['msg']).removeprefix('Value error, ')}")
        raise DashboardError("bad settings:\n  " + "\n  ".join(lines)) from None


def read_tokens(settings: DashboardSettings, state_dir: Path) -> tuple[list[str], Path | None]:
    """The tokens the views accept, and the file a made-up one was written to (or None)."""
    given = settings.tokens()
    if given:
        return given, None
    path = state_dir / "read-token"
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) >= MIN_TOKEN_CHARS:
            return [token], path
    token = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return [token], path
