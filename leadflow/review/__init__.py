"""The offline tools that change the agreement with data: the quarterly review pack
(`leadflow review`), a backtest of new terms (`leadflow backtest`), what a policy change
says (`leadflow policy diff`) and a revenue plan (`leadflow plan`).

Thin shells over the core: every number comes from the engine's replay, its scorecard or
the simulator; nothing here decides a rule of the policy.
"""

from routing.errors import LeadflowError


class ReviewError(LeadflowError):
    """A review, backtest, diff or plan that cannot be made (bad option, empty history)."""


__all__ = ["ReviewError"]
