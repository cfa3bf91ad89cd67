"""The selector's second candidate: the plain mean of the best algorithm's configurations that the
folds cannot tell apart from the best trial.

When greedy selection finds no gain worth its fits, the single best trial is the best of several
configurations whose CV means lie within the folds' noise of each other, and which one comes first is
decided by that noise (the winner's curse): on a large, well-behaved dataset the top trial by CV is
often not the best of its peers on new rows. Averaging them takes that chance out of the choice, and
a mean of near-equal boosted models is, if anything, a little better than each of them. Its
out-of-fold gain over the best trial is a pessimistic estimate (the best trial was picked for its own
out-of-fold score), so it is weighed on the holdout exactly as a greedy ensemble is
(``final_model.judge``), and fitted only when its members' fits are cheap enough.

Members: trials of the best trial's algorithm, on every training row, whose CV mean is within one
standard error (the best trial's fold scores' spread over the root of their count) of the best's, at
most :data:`MAX_MEMBERS`, best first. One algorithm only: a mean across families gives a weak family
the weight of a strong one, which is what greedy selection's weights are for.
"""

from __future__ import annotations

import math
from typing import Any

MAX_MEMBERS = 5  # the mean's gain flattens after a few members; each one is two more fits at the job's end


def standard_error(trial: dict[str, Any]) -> float | None:
    """The standard error of ``trial``'s CV mean (its fold scores' spread over the root of their
    count), or None when it has fewer than two fold scores or no spread recorded."""
    folds = len(trial.get("fold_scores") or [])
    spread = trial.get("cv_std")
    if folds < 2 or spread is None or not math.isfinite(float(spread)):
        return None
    return float(spread) / math.sqrt(folds)


def members(leaders: list[dict[str, Any]], best: dict[str, Any]) -> list[int]:
    """Positions in ``leaders`` (best first, ``sort_key`` higher is better) of the trials the mean is
    made of: the best trial and its tied peers of the same algorithm (see the module's docstring)."""
    error = standard_error(best)
    if error is None or "sort_key" not in best:
        return []
    floor = float(best["sort_key"]) - error
    chosen = [i for i, t in enumerate(leaders)
              if t["_id"] == best["_id"] or (t["algorithm"] == best["algorithm"]
                                            and float(t.get("sort_key", -math.inf)) >= floor)]
    return chosen[:MAX_MEMBERS]
