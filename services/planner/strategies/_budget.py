"""The default budget of ``auto`` for a job that sets no ``time_budget_s``, and how it bends to the
search's progress (see :mod:`.auto`, "When to stop")."""

from __future__ import annotations

BUDGET_FACTOR = 10.0  # default budget: 10x the instance-seconds the portfolio took ...
BUDGET_MIN_S = 60.0  # ... and at least a minute
BUDGET_STRETCH = 2.0  # a search still improving may spend up to twice the default budget


def default_budget_s(portfolio_seconds: float) -> float:
    """Instance-seconds ``auto`` spends when the job sets no ``time_budget_s``: ``BUDGET_FACTOR`` times what
    its portfolio took (the portfolio is a fair sample of what a trial costs on this data), at least
    ``BUDGET_MIN_S``."""
    return max(BUDGET_MIN_S, BUDGET_FACTOR * portfolio_seconds)


def budget_state(spent: float, improved_at: float, budget: float) -> str:
    """Where a job without ``time_budget_s`` stands against its default ``budget``: ``spent`` instance-seconds
    so far, ``improved_at`` of them spent when its best score last improved. A fixed budget stops a search
    that found its best early as late as one still improving. ``"open"``: go on. ``"plateau"``: from half
    the budget on, the second half of the spending brought nothing (``spent >= 2 * improved_at``); only an
    algorithm not tried yet gets a trial (its cost and promise are unknown), then the search stops. Past the
    budget a search goes on only while it improves, and ``"spent"`` at ``BUDGET_STRETCH`` times it."""
    if spent >= BUDGET_STRETCH * budget:
        return "spent"
    if spent >= budget / 2 and spent - improved_at >= improved_at:
        return "plateau"
    return "open"
