"""The notifier's one base exception."""

from routing.errors import LeadflowError


class NotifyError(LeadflowError):
    """A notifier setting or endpoint is wrong; the message names the setting and value."""
