"""The one base exception of the CRM shells (a `LeadflowError`, so the CLI prints it)."""

from __future__ import annotations

from routing.errors import LeadflowError


class CrmError(LeadflowError):
    """A CRM shell cannot go on: a bad setting, a mapping that names an unknown rep, ..."""
