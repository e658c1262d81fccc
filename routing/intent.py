"""Intent spikes: all of the policy's signal counts seen within the sliding window."""

from __future__ import annotations

from mypy_extensions import mypyc_attr

from routing.lead import Lead
from routing.policy.models import IntentSpike


@mypyc_attr(serializable=True)
class IntentDetector:
    def __init__(self, spec: IntentSpike) -> None:
        self.window_s = spec.window.seconds
        self.signals = dict(spec.signals)
        self.need_total = sum(self.signals.values())

    def observe(self, lead: Lead, t: float, activity: str) -> dict[str, int] | None:
        """Record an engagement; return the signal counts when a spike starts now.

        A spike fires once when the counts are first all met, and re-arms when they no
        longer are (signals dropped out of the window)."""
        if activity not in self.signals:
            return None
        seen = lead.signals + ((t, activity),)  # noqa: RUF005 (compiled, a star-unpack builds a list)
        horizon = t - self.window_s
        old = 0
        while old < len(seen) and seen[old][0] < horizon:
            old += 1
        if old:
            seen = seen[old:]
        lead.signals = seen
        if len(seen) < self.need_total:  # fewer signals than the spike needs in all
            lead.intent_active = False
            return None
        counts = dict.fromkeys(self.signals, 0)
        for at, name in seen:
            if horizon <= at <= t:
                counts[name] += 1
        met = True
        for name, need in self.signals.items():
            if counts[name] < need:
                met = False
                break
        if met and not lead.intent_active:
            lead.intent_active = True
            return {name: counts[name] for name in self.signals}
        if not met:
            lead.intent_active = False
        return None
