"""The dashboard's one base exception."""

from __future__ import annotations

from routing.errors import LeadflowError


class DashboardError(LeadflowError):
    """A scorecard, board or setting the dashboard cannot show; the message says which."""
