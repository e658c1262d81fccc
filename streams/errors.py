"""The errors of the streaming layer: one base, children that say what went wrong where."""

from __future__ import annotations

from routing.errors import LeadflowError


class StreamsError(LeadflowError):
    """Base class of every error the streaming layer raises on purpose."""


class SettingsError(StreamsError):
    """An environment variable has a bad value; the message names the variable."""


class BrokerError(StreamsError):
    """The local Kafka broker could not be fetched, formatted, started or stopped."""
