"""The CRM commands refuse to start without what security needs, saying which variable to
set; a bad setting names its variable; no traceback reaches the user."""

from __future__ import annotations

import pytest

from crm.errors import CrmError
from crm.settings import CrmSettings, load_crm_settings
from leadflow.cli import main
from tests.crm_rig import EXAMPLES


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CrmSettings.model_fields:
        monkeypatch.delenv(f"LEADFLOW_{name.upper()}", raising=False)


def test_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_INGEST_PORT", "70000")
    with pytest.raises(CrmError, match="LEADFLOW_INGEST_PORT: Input should be less than"):
        load_crm_settings()


def test_ingest_without_token_or_hubspot_secret_refuses_to_start(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = f"hubspot={EXAMPLES / 'hubspot.yaml'}"
    assert main(["ingest", "--hook", hook]) == 2
    assert "set LEADFLOW_INGEST_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("LEADFLOW_INGEST_TOKEN", "t")
    assert main(["ingest", "--hook", hook]) == 2
    err = capsys.readouterr().err
    assert "is a HubSpot hook: set LEADFLOW_HUBSPOT_CLIENT_SECRET" in err
    assert "Traceback" not in err
    assert main(["ingest", "--hook", "nonsense"]) == 2
    assert "expected NAME=MAPPING" in capsys.readouterr().err


def test_sink_without_crm_credentials_refuses_to_start(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sink", "--team", str(EXAMPLES / "team.yaml")]) == 2
    assert "sink: set LEADFLOW_HUBSPOT_TOKEN" in capsys.readouterr().err
