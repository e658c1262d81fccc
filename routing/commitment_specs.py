"""What a policy commits each side to, one scorecard row each (`routing.commitments`).

Marketing: MQL volume, data completeness, handoff and the SAL rate; sales: first touch per
tier, the follow-up cadence, dispositions and, when every rejection needs a reason, the
rejection documentation. Each row says what it counts (`basis`) and how often it is
evaluated (`per`: week, month or quarter; routing.periods).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from routing.policy.models import Policy
from routing.scorecard import Side

REJECTION_DOCUMENTATION: Final = "rejection_documentation"


@dataclass(frozen=True, slots=True)
class Spec:
    """One commitment of the policy: its key (`first_touch:<tier>` per tier), side, target,
    unit, what its row counts (`basis`, in words) and its period (`per`)."""

    key: str
    side: Side
    # `int | float`, not `float`: compiled (mypyc), a float-typed value is a C double,
    # so a count target (an int) would come out as 120.0 instead of 120.
    target: int | float
    unit: Literal["count", "share"] = "share"
    basis: str = ""  # what the row counts, in words (Row.basis)
    per: str = "week"  # evaluated per week, month or quarter (routing.periods)


def build_specs(policy: Policy) -> list[Spec]:
    """The commitments of `policy`, in the scorecard's order: marketing's, then sales'."""
    mc, sc = policy.marketing_commits, policy.sales_commits
    specs: list[Spec] = []
    if mc.mql_volume is not None:
        v = mc.mql_volume
        specs.append(
            Spec("mql_volume", "marketing", v.min, "count", f"MQLs, by MQL {v.per}", v.per)
        )
    if mc.data_completeness is not None:
        dc = mc.data_completeness
        specs.append(
            Spec(
                "data_completeness",
                "marketing",
                dc.min,
                "share",
                f"MQLs with every required field / MQLs, by MQL {dc.per}",
                dc.per,
            )
        )
    if mc.handoff is not None:
        specs.append(
            Spec(
                "handoff",
                "marketing",
                mc.handoff.target,
                "share",
                f"MQLs assigned or queued in time / MQLs, by due week; {mc.handoff.clock} hours",
            )
        )
    if mc.sal_rate is not None:
        sal = mc.sal_rate
        specs.append(
            Spec(
                "sal_rate",
                "marketing",
                sal.min,
                "share",
                f"accepted / dispositioned, by disposition {sal.per}",
                sal.per,
            )
        )
    specs += [
        Spec(
            f"first_touch:{t.name}",
            "sales",
            t.first_touch.target,
            "share",
            "MQLs touched within the tier's window / the tier's MQLs, one verdict per "
            f"lead, by due week; {t.first_touch.clock} hours",
        )
        for t in policy.tiers
    ]
    if sc.follow_up is not None:
        specs.append(
            Spec(
                "follow_up",
                "sales",
                sc.follow_up.target,
                "share",
                "cadences completed in time / leads, one verdict per lead, by due week; "
                f"{sc.follow_up.clock} hours",
            )
        )
    if sc.disposition is not None:
        specs.append(
            Spec(
                "disposition",
                "sales",
                sc.disposition.target,
                "share",
                "MQLs dispositioned in time / MQLs, one verdict per lead, by due week; "
                f"{sc.disposition.clock} hours",
            )
        )
        if sc.disposition.reject_requires_reason:
            specs.append(
                Spec(
                    REJECTION_DOCUMENTATION,
                    "sales",
                    1.0,
                    "share",
                    "rejections with a reason code from the taxonomy / rejections "
                    "attempted, by attempt week",
                )
            )
    return specs


__all__ = ["REJECTION_DOCUMENTATION", "Spec", "build_specs"]
